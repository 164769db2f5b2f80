"""Group holds: box office and staff hold many seats for a named group."""

from datetime import timedelta

import pytest
from rest_framework import status

from reservations.models import Reservation, ReservationEvent
from tests.assertions import error_of

pytestmark = pytest.mark.django_db

URL = "/api/reservations/"
ROWS = [f"{row}{n}" for row in "AB" for n in range(1, 11)] + [
    f"C{n}" for n in range(1, 9)
]  # the 28 seats of the default screen


def group_hold(client, showtime, seats, group_name="Year 7 trip", **extra):
    return client.post(
        URL,
        {"showtime": showtime.pk, "seats": seats, "group_name": group_name, **extra},
        format="json",
    )


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("auth_client", status.HTTP_403_FORBIDDEN),
        ("manager_client", status.HTTP_403_FORBIDDEN),
        ("box_office_client", status.HTTP_201_CREATED),
        ("staff_client", status.HTTP_201_CREATED),
    ],
)
def test_who_may_hold_for_a_group(request, showtime, role, expected):
    client = request.getfixturevalue(role)

    response = group_hold(client, showtime, ROWS[:2])

    assert response.status_code == expected, response.content
    assert Reservation.objects.exists() is (expected == status.HTTP_201_CREATED)


def test_anonymous_group_hold_is_401(api_client, showtime):
    response = group_hold(api_client, showtime, ROWS[:2])

    assert response.status_code == status.HTTP_401_UNAUTHORIZED


def test_box_office_holds_more_than_a_customer_for_a_day(
    box_office_client, showtime, clock, settings
):
    settings.GROUP_HOLD_SECONDS = 86400

    response = group_hold(box_office_client, showtime, ROWS[:25])

    assert response.status_code == status.HTTP_201_CREATED, response.content
    body = response.json()
    assert len(body["seats"]) == 25
    assert body["group_name"] == "Year 7 trip"
    reservation = Reservation.objects.get()
    assert reservation.expires_at == clock.now + timedelta(seconds=86400)
    created = ReservationEvent.objects.get(reservation=reservation)
    assert created.details["group_name"] == "Year 7 trip"


def test_group_hold_is_capped_by_group_booking_max(
    box_office_client, showtime, settings
):
    settings.GROUP_BOOKING_MAX = 20

    response = group_hold(box_office_client, showtime, ROWS[:21])

    err = error_of(response, status.HTTP_400_BAD_REQUEST)
    assert list(err["fields"]) == ["seats"]
    assert not Reservation.objects.exists()


def test_box_office_without_a_group_keeps_the_customer_limit(
    box_office_client, showtime
):
    response = box_office_client.post(
        URL, {"showtime": showtime.pk, "seats": ROWS[:11]}, format="json"
    )

    err = error_of(response, status.HTTP_400_BAD_REQUEST)
    assert "At most 10 seats" in err["fields"]["seats"][0]


def test_blank_group_name_is_no_group(box_office_client, showtime):
    response = group_hold(box_office_client, showtime, ROWS[:11], group_name="  ")

    error_of(response, status.HTTP_400_BAD_REQUEST)


def test_customer_asking_for_a_group_is_403_and_holds_nothing(auth_client, showtime):
    response = group_hold(auth_client, showtime, ROWS[:11])

    assert response.status_code == status.HTTP_403_FORBIDDEN
    assert not Reservation.objects.exists()


def test_group_holds_are_outside_the_hoarding_limits(
    box_office_client, showtime, settings
):
    settings.RESERVATION_MAX_ACTIVE_HOLDS = 1

    first = group_hold(box_office_client, showtime, ROWS[:12])
    second = group_hold(box_office_client, showtime, ROWS[12:24], group_name="Club")

    assert first.status_code == status.HTTP_201_CREATED, first.content
    assert second.status_code == status.HTTP_201_CREATED, second.content


def test_group_hold_changes_seats_beyond_ten(box_office_client, showtime):
    created = group_hold(box_office_client, showtime, ROWS[:12]).json()

    response = box_office_client.put(
        f"{URL}{created['id']}/", {"seats": ROWS[:15]}, format="json"
    )

    assert response.status_code == status.HTTP_200_OK, response.content
    assert len(response.json()["seats"]) == 15


def test_group_seats_are_taken_like_any_hold(box_office_client, auth_client, showtime):
    group_hold(box_office_client, showtime, ROWS[:12])

    response = auth_client.post(
        URL, {"showtime": showtime.pk, "seats": ["A1"]}, format="json"
    )

    error_of(response, status.HTTP_409_CONFLICT, "seats_unavailable")

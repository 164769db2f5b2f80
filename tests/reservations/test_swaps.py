"""Swapping the seats of a purchase: same showtime, same price, new tickets."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework import status

from reservations.models import ReservationEvent, ReservedSeat, Ticket
from tests.assertions import error_of
from tests.factories import ReservationFactory, ShowtimeFactory

from .helpers import active_labels

pytestmark = pytest.mark.django_db


def swap_url(reservation) -> str:
    return f"/api/reservations/{reservation.pk}/swap-seats/"


def swap(client, reservation, old, new, **extra):
    return client.post(
        swap_url(reservation), {"from": old, "to": new, **extra}, format="json"
    )


@pytest.fixture
def bought(user, showtime, gateway):
    return ReservationFactory(
        user=user, showtime=showtime, seats=["A1", "A2"], purchased=True
    )


def live_codes(reservation) -> dict[str, str]:
    return dict(
        Ticket.objects.filter(reservation=reservation, is_void=False).values_list(
            "seat__label", "code"
        )
    )


def test_swap_moves_the_seats_and_reissues_tickets(auth_client, user, bought):
    before = live_codes(bought)

    response = swap(auth_client, bought, ["a1"], ["B5"])

    assert response.status_code == status.HTTP_200_OK, response.content
    assert response.json()["seats"] == ["A2", "B5"]
    after = live_codes(bought)
    assert set(after) == {"A2", "B5"}
    assert after["A2"] == before["A2"]
    assert after["B5"] not in before.values()
    assert Ticket.objects.get(reservation=bought, seat__label="A1").is_void
    assert active_labels(bought.showtime) == ["A2", "B5"]
    event = ReservationEvent.objects.filter(reservation=bought).last()
    assert event.action == "seats_swapped"
    assert event.details["swapped"] == {"A1": "B5"}
    assert event.details["seats_after"] == ["A2", "B5"]


def test_swapping_back_issues_a_new_code_again(auth_client, bought):
    first = live_codes(bought)["A1"]
    swap(auth_client, bought, ["A1"], ["B5"])

    response = swap(auth_client, bought, ["B5"], ["A1"])

    assert response.status_code == status.HTTP_200_OK, response.content
    assert live_codes(bought)["A1"] != first
    assert sorted(live_codes(bought)) == ["A1", "A2"]


def test_freed_seat_can_be_held_by_others(auth_client, other_client, bought):
    swap(auth_client, bought, ["A1"], ["B5"])

    response = other_client.post(
        "/api/reservations/",
        {"showtime": bought.showtime_id, "seats": ["A1"]},
        format="json",
    )

    assert response.status_code == status.HTTP_201_CREATED, response.content


def test_taken_target_is_409_and_changes_nothing(
    auth_client, other_user, bought, showtime
):
    ReservationFactory(user=other_user, showtime=showtime, seats=["B5"])
    before = live_codes(bought)

    response = swap(auth_client, bought, ["A1", "A2"], ["B4", "B5"])

    err = error_of(response, status.HTTP_409_CONFLICT, "seats_unavailable")
    assert err["details"]["seats"] == ["B5"]
    assert live_codes(bought) == before
    assert sorted(active_labels(showtime)) == ["A1", "A2", "B5"]


def test_other_price_is_400_swap_price_differs(auth_client, bought):
    response = swap(auth_client, bought, ["A1"], ["C1"])

    err = error_of(response, status.HTTP_400_BAD_REQUEST, "swap_price_differs")
    assert err["details"]["pairs"][0]["from"] == "A1"
    assert sorted(live_codes(bought)) == ["A1", "A2"]


def test_held_reservation_cannot_swap(auth_client, user, showtime):
    held = ReservationFactory(user=user, showtime=showtime, seats=["A1"])

    response = swap(auth_client, held, ["A1"], ["B5"])

    error_of(response, status.HTTP_409_CONFLICT, "swap_closed")


def test_swap_after_the_cancellation_cutoff_is_409(
    auth_client, user, gateway, settings
):
    settings.CANCELLATION_CUTOFF_MINUTES = 60
    showtime = ShowtimeFactory(starts_at=timezone.now() + timedelta(minutes=30))
    bought = ReservationFactory(
        user=user, showtime=showtime, seats=["A1"], purchased=True
    )

    response = swap(auth_client, bought, ["A1"], ["B5"])

    error_of(response, status.HTTP_409_CONFLICT, "swap_closed")
    assert live_codes(bought).keys() == {"A1"}


@pytest.mark.parametrize(
    ("body", "field_or_code"),
    [
        pytest.param({"from": ["A1"]}, "to", id="to-missing"),
        pytest.param({"to": ["B5"]}, "from", id="from-missing"),
        pytest.param({"from": [], "to": []}, "from", id="empty"),
        pytest.param({"from": "A1", "to": "B5"}, "from", id="not-lists"),
        pytest.param({"from": ["A1", "A1"], "to": ["B5", "B6"]}, "from", id="repeat"),
    ],
)
def test_bad_swap_bodies_are_400(auth_client, bought, body, field_or_code):
    response = auth_client.post(swap_url(bought), body, format="json")

    err = error_of(response, status.HTTP_400_BAD_REQUEST)
    assert field_or_code in err["fields"]


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        pytest.param(["A1"], ["B5", "B6"], "invalid_seats", id="uneven"),
        pytest.param(["A3"], ["B5"], "invalid_seats", id="not-its-seat"),
        pytest.param(["A1"], ["A2"], "seats_unavailable", id="onto-its-own-seat"),
        pytest.param(["A1"], ["A1"], "invalid_seats", id="same-seat"),
        pytest.param(["A1"], ["Z9"], "unknown_seats", id="unknown-seat"),
    ],
)
def test_bad_swaps_are_refused_with_nothing_changed(
    auth_client, bought, old, new, code
):
    response = swap(auth_client, bought, old, new)

    assert response.status_code in (400, 409), response.content
    assert response.json()["error"]["code"] == code
    assert sorted(live_codes(bought)) == ["A1", "A2"]


def test_checked_in_ticket_cannot_be_swapped(auth_client, bought):
    Ticket.objects.filter(reservation=bought, seat__label="A1").update(
        checked_in_at=timezone.now()
    )

    response = swap(auth_client, bought, ["A1"], ["B5"])

    error_of(response, status.HTTP_409_CONFLICT, "ticket_used")


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("auth_client", status.HTTP_200_OK),
        ("other_client", status.HTTP_404_NOT_FOUND),
        ("manager_client", status.HTTP_404_NOT_FOUND),
        ("box_office_client", status.HTTP_403_FORBIDDEN),
        ("staff_client", status.HTTP_200_OK),
    ],
)
def test_who_may_swap(request, bought, role, expected):
    client = request.getfixturevalue(role)

    response = swap(client, bought, ["A1"], ["B5"])

    assert response.status_code == expected, response.content
    swapped = ReservedSeat.objects.filter(
        reservation=bought, seat__label="B5", is_active=True
    ).exists()
    assert swapped is (expected == status.HTTP_200_OK)

"""Wheelchair spaces and companion seats kept for access until the release."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework import status

from reservations.exceptions import SeatReservedForAccess
from reservations.models import ReservedSeat
from reservations.services import change_seats, create_reservation
from tests.assertions import error_of
from tests.factories import ScreenFactory, ShowtimeFactory
from theaters.services import update_screen

pytestmark = pytest.mark.django_db

RESERVATIONS = "/api/reservations/"


def accessible_showtime(**kwargs):
    """Row A: wheelchair spaces 5 and 6, companions 4 and 7."""
    screen = ScreenFactory()
    layout = [dict(row) for row in screen.layout]
    layout[0] = {**layout[0], "wheelchair": [5, 6], "companion": [4, 7]}
    update_screen(screen=screen, layout=layout)
    return ShowtimeFactory(screen=screen, **kwargs)


def hold(client, showtime, seats, **extra):
    return client.post(
        RESERVATIONS,
        {"showtime": showtime.pk, "seats": seats, **extra},
        format="json",
    )


def test_wheelchair_space_needs_the_declaration(auth_client):
    showtime = accessible_showtime()

    response = hold(auth_client, showtime, ["A5", "A1"])

    err = error_of(response, status.HTTP_409_CONFLICT, "seat_reserved_for_access")
    assert err["details"]["seats"] == ["A5"]
    assert not ReservedSeat.objects.exists()


def test_wheelchair_space_is_held_with_the_declaration(auth_client):
    showtime = accessible_showtime()

    response = hold(auth_client, showtime, ["A5"], accessible=True)

    assert response.status_code == status.HTTP_201_CREATED, response.content
    assert response.json()["seats"] == ["A5"]


def test_wheelchair_space_with_its_companion_is_held(auth_client):
    showtime = accessible_showtime()

    response = hold(auth_client, showtime, ["A4", "A5"], accessible=True)

    assert response.status_code == status.HTTP_201_CREATED, response.content


@pytest.mark.parametrize(
    ("seats", "refused"),
    [
        pytest.param(["A4"], ["A4"], id="companion-alone"),
        pytest.param(["A4", "A3"], ["A4"], id="companion-with-a-plain-seat"),
        pytest.param(["A4", "A6"], ["A4"], id="companion-not-beside-the-space"),
    ],
)
def test_companion_seat_needs_a_wheelchair_space_beside_it(auth_client, seats, refused):
    showtime = accessible_showtime()

    response = hold(auth_client, showtime, seats, accessible=True)

    err = error_of(response, status.HTTP_409_CONFLICT, "seat_reserved_for_access")
    assert err["details"]["seats"] == refused
    assert not ReservedSeat.objects.exists()


def test_companion_and_space_without_declaration_names_both(auth_client):
    showtime = accessible_showtime()

    response = hold(auth_client, showtime, ["A7", "A6"])

    err = error_of(response, status.HTTP_409_CONFLICT, "seat_reserved_for_access")
    assert err["details"]["seats"] == ["A6"]


def test_places_go_on_general_sale_at_the_release(auth_client, settings):
    settings.WHEELCHAIR_RELEASE_MINUTES = 60
    showtime = accessible_showtime(starts_at=timezone.now() + timedelta(minutes=59))

    response = hold(auth_client, showtime, ["A4", "A6"])

    assert response.status_code == status.HTTP_201_CREATED, response.content


def test_release_minutes_is_a_setting(auth_client, settings):
    settings.WHEELCHAIR_RELEASE_MINUTES = 10
    showtime = accessible_showtime(starts_at=timezone.now() + timedelta(minutes=59))

    response = hold(auth_client, showtime, ["A4"])

    error_of(response, status.HTTP_409_CONFLICT, "seat_reserved_for_access")


def test_accessible_must_be_a_boolean(auth_client):
    showtime = accessible_showtime()

    response = hold(auth_client, showtime, ["A5"], accessible="maybe")

    err = error_of(response, status.HTTP_400_BAD_REQUEST)
    assert list(err["fields"]) == ["accessible"]


def test_changing_seats_to_a_wheelchair_space_needs_the_declaration(auth_client, user):
    showtime = accessible_showtime()
    reservation = create_reservation(user=user, showtime=showtime, labels=["A1"])
    url = f"{RESERVATIONS}{reservation.pk}/"

    refused = auth_client.put(url, {"seats": ["A5"]}, format="json")
    allowed = auth_client.put(url, {"seats": ["A5"], "accessible": True}, format="json")

    error_of(refused, status.HTTP_409_CONFLICT, "seat_reserved_for_access")
    assert allowed.status_code == status.HTTP_200_OK, allowed.content
    assert allowed.json()["seats"] == ["A5"]


def test_dropping_the_space_but_keeping_its_companion_is_409(user):
    showtime = accessible_showtime()
    reservation = create_reservation(
        user=user, showtime=showtime, labels=["A4", "A5"], accessible=True
    )

    with pytest.raises(SeatReservedForAccess) as caught:
        change_seats(reservation=reservation, labels=["A4"])

    assert caught.value.details["seats"] == ["A4"]
    assert sorted(
        reservation.reserved_seats.filter(is_active=True).values_list(
            "seat__label", flat=True
        )
    ) == ["A4", "A5"]


def test_keeping_a_space_needs_no_new_declaration(user):
    showtime = accessible_showtime()
    reservation = create_reservation(
        user=user, showtime=showtime, labels=["A5"], accessible=True
    )

    change_seats(reservation=reservation, labels=["A5", "A1"])

    assert reservation.reserved_seats.filter(is_active=True).count() == 2

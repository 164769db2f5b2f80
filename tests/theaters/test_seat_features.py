"""Seat features named in a screen's layout: stored per seat, shown in the seat map."""

import pytest
from rest_framework import status

from reservations.services import create_reservation
from tests.assertions import error_of
from tests.factories import ShowtimeFactory, TheaterFactory
from theaters.models import Screen, Seat

pytestmark = pytest.mark.django_db

SCREENS = "/api/screens/"
FEATURED_ROW = {
    "row": "A",
    "seats": 12,
    "category": "standard",
    "wheelchair": [5, 6],
    "companion": [4, 7],
    "aisle_after": [6],
    "restricted_view": [1],
}


def test_layout_features_are_stored_per_seat(manager_client):
    theater = TheaterFactory()

    response = manager_client.post(
        SCREENS,
        {"theater": theater.pk, "name": "One", "layout": [FEATURED_ROW]},
        format="json",
    )

    assert response.status_code == status.HTTP_201_CREATED, response.content
    assert response.json()["layout"] == [FEATURED_ROW]
    seats = {s.number: s for s in Seat.objects.filter(screen_id=response.json()["id"])}
    assert [n for n, s in seats.items() if s.wheelchair] == [5, 6]
    assert [n for n, s in seats.items() if s.companion] == [4, 7]
    assert [n for n, s in seats.items() if s.aisle_after] == [6]
    assert [n for n, s in seats.items() if s.restricted_view] == [1]
    assert seats[5].features == ["wheelchair"]
    assert seats[2].features == []


def test_layout_without_features_keeps_its_shape(manager_client):
    theater = TheaterFactory()
    layout = [{"row": "A", "seats": 3, "category": "standard"}]

    response = manager_client.post(
        SCREENS, {"theater": theater.pk, "name": "One", "layout": layout}, format="json"
    )

    assert response.json()["layout"] == layout


@pytest.mark.parametrize(
    "marks",
    [
        pytest.param({"wheelchair": [13]}, id="wheelchair-past-the-row"),
        pytest.param({"companion": [0]}, id="companion-zero"),
        pytest.param({"aisle_after": [-1]}, id="aisle-negative"),
        pytest.param({"restricted_view": [99]}, id="restricted-past-the-row"),
        pytest.param({"wheelchair": ["x"]}, id="not-a-number"),
        pytest.param({"wheelchair": 5}, id="not-a-list"),
        pytest.param({"wheelchair": [5], "companion": [5]}, id="both-on-one-seat"),
    ],
)
def test_bad_seat_numbers_are_400_and_create_nothing(manager_client, marks):
    theater = TheaterFactory()
    row = {"row": "A", "seats": 12, "category": "standard", **marks}

    response = manager_client.post(
        SCREENS, {"theater": theater.pk, "name": "One", "layout": [row]}, format="json"
    )

    err = error_of(response, status.HTTP_400_BAD_REQUEST)
    assert list(err["fields"]) == ["layout"]
    assert not Screen.objects.exists()


def test_unknown_seat_number_names_the_row_and_seat(manager_client):
    theater = TheaterFactory()
    row = {"row": "A", "seats": 12, "wheelchair": [13, 14]}

    response = manager_client.post(
        SCREENS, {"theater": theater.pk, "name": "One", "layout": [row]}, format="json"
    )

    err = error_of(response, status.HTTP_400_BAD_REQUEST)
    assert "no seat 13, 14" in str(err["fields"]["layout"])


def test_marking_features_on_a_screen_with_bookings_keeps_its_seats(
    manager_client, user
):
    showtime = ShowtimeFactory()
    create_reservation(user=user, showtime=showtime, labels=["A1"])
    screen = showtime.screen
    seat_ids = set(screen.seats.values_list("pk", flat=True))
    layout = [dict(row) for row in screen.layout]
    layout[1] = {**layout[1], "wheelchair": [3], "companion": [4], "aisle_after": [5]}

    response = manager_client.patch(
        f"{SCREENS}{screen.pk}/", {"layout": layout}, format="json"
    )

    assert response.status_code == status.HTTP_200_OK, response.content
    assert set(screen.seats.values_list("pk", flat=True)) == seat_ids
    assert Seat.objects.get(screen=screen, label="B3").wheelchair
    assert Seat.objects.get(screen=screen, label="B4").companion
    assert Seat.objects.get(screen=screen, label="B5").aisle_after


def test_seat_map_lists_features_and_aisles(api_client, manager_client):
    showtime = ShowtimeFactory()
    screen = showtime.screen
    layout = [dict(row) for row in screen.layout]
    layout[0] = {**layout[0], "wheelchair": [5], "companion": [4], "aisle_after": [6]}
    layout[1] = {**layout[1], "restricted_view": [1]}
    url = f"/api/showtimes/{showtime.pk}/seats/"
    before = {s["label"]: s for s in api_client.get(url).json()}  # now cached

    manager_client.patch(f"{SCREENS}{screen.pk}/", {"layout": layout}, format="json")
    seats = {s["label"]: s for s in api_client.get(url).json()}

    assert before["A5"]["features"] == []
    assert seats["A5"]["features"] == ["wheelchair"]
    assert seats["A4"]["features"] == ["companion"]
    assert seats["B1"]["features"] == ["restricted_view"]
    assert seats["A6"]["aisle_after"] is True
    assert seats["A7"]["aisle_after"] is False
    assert seats["A7"]["features"] == []

"""The cached seat map is never behind a committed seat change, nor a lapsed hold."""

import pytest
from django.core.cache import cache
from rest_framework import status

from reservations import services
from tests.factories import ScreenFactory, ShowtimeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def seat_status(client, showtime, label: str) -> str:
    response = client.get(f"/api/showtimes/{showtime.pk}/seats/")
    assert response.status_code == status.HTTP_200_OK
    return {seat["label"]: seat["status"] for seat in response.json()}[label]


def test_every_seat_change_shows_at_once_although_the_map_is_cached(
    api_client, showtime, user, gateway
):
    assert seat_status(api_client, showtime, "A1") == "available"  # now cached

    reservation = services.create_reservation(
        user=user, showtime=showtime, labels=["A1"]
    )
    assert seat_status(api_client, showtime, "A1") == "held"

    reservation = services.change_seats(reservation=reservation, labels=["A2"])
    assert seat_status(api_client, showtime, "A1") == "available"
    assert seat_status(api_client, showtime, "A2") == "held"

    services.purchase_reservation(reservation=reservation)
    assert seat_status(api_client, showtime, "A2") == "sold"

    services.cancel_reservation(reservation=reservation, actor=user)
    assert seat_status(api_client, showtime, "A2") == "available"


def test_a_lapsed_hold_shows_available_without_any_write(
    api_client, showtime, user, clock, settings
):
    settings.RESERVATION_HOLD_SECONDS = 120
    services.create_reservation(user=user, showtime=showtime, labels=["B3"])
    assert (
        seat_status(api_client, showtime, "B3") == "held"
    )  # cached until the deadline

    clock.advance(seconds=119)
    assert seat_status(api_client, showtime, "B3") == "held"
    clock.advance(seconds=2)
    assert seat_status(api_client, showtime, "B3") == "available"


def test_a_price_change_reaches_the_cached_map(api_client, manager_client, showtime):
    first = api_client.get(f"/api/showtimes/{showtime.pk}/seats/").json()
    assert first[0]["price"] == "10.00"

    response = manager_client.patch(
        f"/api/showtimes/{showtime.pk}/",
        {"prices": {"standard": "12.00", "premium": "15.50"}},
    )
    assert response.status_code == status.HTTP_200_OK

    assert (
        api_client.get(f"/api/showtimes/{showtime.pk}/seats/").json()[0]["price"]
        == "12.00"
    )


def test_a_layout_change_reaches_the_cached_map(api_client, manager_client):
    screen = ScreenFactory(layout=[{"row": "A", "seats": 4, "category": "standard"}])
    showtime = ShowtimeFactory(screen=screen, prices={"standard": "9.00"})
    assert len(api_client.get(f"/api/showtimes/{showtime.pk}/seats/").json()) == 4

    response = manager_client.patch(
        f"/api/screens/{screen.pk}/",
        {"layout": [{"row": "A", "seats": 6, "category": "standard"}]},
    )
    assert response.status_code == status.HTTP_200_OK

    assert len(api_client.get(f"/api/showtimes/{showtime.pk}/seats/").json()) == 6


def test_etag_answers_304_until_the_seats_change(api_client, showtime):
    url = f"/api/showtimes/{showtime.pk}/seats/"
    first = api_client.get(url)
    etag = first["ETag"]
    assert etag

    unchanged = api_client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == status.HTTP_304_NOT_MODIFIED
    assert unchanged.content == b""

    services.create_reservation(user=UserFactory(), showtime=showtime, labels=["C1"])
    changed = api_client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == status.HTTP_200_OK
    assert changed["ETag"] != etag


def test_showtime_detail_has_an_etag_and_answers_304(api_client, showtime):
    url = f"/api/showtimes/{showtime.pk}/"
    etag = api_client.get(url)["ETag"]
    assert (
        api_client.get(url, HTTP_IF_NONE_MATCH=etag).status_code
        == status.HTTP_304_NOT_MODIFIED
    )


def test_unknown_showtime_is_a_404_envelope(api_client):
    response = api_client.get("/api/showtimes/987654/seats/")
    assert response.status_code == status.HTTP_404_NOT_FOUND
    assert response.json()["error"]["code"] == "not_found"

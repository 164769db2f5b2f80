"""Seat blocks: per showtime and per screen, in the seat map, against holds."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework import status

from reservations import services
from reservations.models import SeatBlock
from reservations.selectors import get_seat_map
from tests.factories import (
    ReservationFactory,
    ScreenFactory,
    ShowtimeFactory,
    UserFactory,
)
from tickets.selectors import find_best_block

from .helpers import seat_states

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def blocks_url(showtime) -> str:
    return f"/api/showtimes/{showtime.pk}/blocks/"


def screen_blocks_url(screen) -> str:
    return f"/api/screens/{screen.pk}/seat-blocks/"


# --- per showtime ---------------------------------------------------------------------


def test_manager_blocks_seats_and_the_map_shows_them_blocked_at_once(
    manager_client, manager, api_client, showtime
):
    assert seat_states(api_client, showtime)["A7"] == "available"  # now cached

    response = manager_client.post(
        blocks_url(showtime),
        {"seats": ["a7", "A8"], "reason": "house", "note": "press"},
        format="json",
    )

    assert response.status_code == status.HTTP_201_CREATED, response.content
    body = response.json()
    block = SeatBlock.objects.get()
    assert body == {
        "id": block.pk,
        "showtime": showtime.pk,
        "screen": None,
        "seats": ["A7", "A8"],
        "reason": "house",
        "note": "press",
        "until": None,
        "created_at": body["created_at"],
        "created_by": manager.username,
    }
    assert block.created_by == manager
    states = seat_states(api_client, showtime)  # the cached map changed at once
    assert (states["A7"], states["A8"], states["A9"]) == (
        "blocked",
        "blocked",
        "available",
    )


def test_a_blocked_seat_cannot_be_held(auth_client, box_office, showtime):
    services.block_seats(
        showtime=showtime, labels=["A1"], reason="broken", actor=box_office
    )

    response = auth_client.post(
        "/api/reservations/",
        {"showtime": showtime.pk, "seats": ["A1", "A2"]},
        format="json",
    )

    assert response.status_code == status.HTTP_409_CONFLICT
    assert response.json()["error"]["code"] == "seats_unavailable"
    assert response.json()["error"]["details"] == {"seats": ["A1"]}


def test_a_held_reservation_cannot_move_onto_a_blocked_seat(user, staff, showtime):
    reservation = services.create_reservation(
        user=user, showtime=showtime, labels=["A1"]
    )
    services.block_seats(showtime=showtime, labels=["A2"], reason="house", actor=staff)

    with pytest.raises(services.seats.SeatsUnavailable) as error:
        services.change_seats(reservation=reservation, labels=["A2"])
    assert error.value.details == {"seats": ["A2"]}


def test_blocking_a_held_or_sold_seat_is_409_and_blocks_nothing(
    box_office_client, api_client, showtime
):
    ReservationFactory(showtime=showtime, seats=["A1"])
    ReservationFactory(showtime=showtime, seats=["A2"], purchased=True)

    response = box_office_client.post(
        blocks_url(showtime),
        {"seats": ["A1", "A2", "A3"], "reason": "house"},
        format="json",
    )

    assert response.status_code == status.HTTP_409_CONFLICT
    assert response.json()["error"]["code"] == "seats_unavailable"
    assert response.json()["error"]["details"] == {"seats": ["A1", "A2"]}
    assert not SeatBlock.objects.exists()
    assert seat_states(api_client, showtime)["A3"] == "available"


def test_blocking_a_blocked_seat_is_409(box_office_client, showtime, staff):
    services.block_seats(showtime=showtime, labels=["A1"], reason="house", actor=staff)

    response = box_office_client.post(
        blocks_url(showtime), {"seats": ["A1"], "reason": "other"}, format="json"
    )

    assert response.status_code == status.HTTP_409_CONFLICT
    assert response.json()["error"]["details"] == {"seats": ["A1"]}


def test_deleting_a_block_frees_the_seats_and_keeps_the_row_as_audit(
    manager_client, manager, box_office, api_client, auth_client, showtime
):
    block = services.block_seats(
        showtime=showtime, labels=["B5"], reason="technical", actor=box_office
    )
    assert seat_states(api_client, showtime)["B5"] == "blocked"  # cached

    response = manager_client.delete(f"{blocks_url(showtime)}{block.pk}/")

    assert response.status_code == status.HTTP_204_NO_CONTENT
    assert seat_states(api_client, showtime)["B5"] == "available"
    block.refresh_from_db()
    assert block.removed_at is not None
    assert (block.removed_by, block.removed_by_username) == (manager, manager.username)
    assert block.created_by == box_office
    assert manager_client.get(blocks_url(showtime)).json()["results"] == []
    again = manager_client.delete(f"{blocks_url(showtime)}{block.pk}/")
    assert again.status_code == status.HTTP_404_NOT_FOUND
    hold = auth_client.post(
        "/api/reservations/", {"showtime": showtime.pk, "seats": ["B5"]}, format="json"
    )
    assert hold.status_code == status.HTTP_201_CREATED


def test_a_block_of_another_showtime_is_404(manager_client, staff, showtime):
    other = ShowtimeFactory()
    block = services.block_seats(
        showtime=other, labels=["A1"], reason="house", actor=staff
    )

    response = manager_client.delete(f"{blocks_url(showtime)}{block.pk}/")

    assert response.status_code == status.HTTP_404_NOT_FOUND
    assert SeatBlock.objects.active().count() == 1


def test_list_shows_the_showtimes_active_blocks(manager_client, staff, showtime):
    first = services.block_seats(
        showtime=showtime, labels=["A1"], reason="house", actor=staff
    )
    gone = services.block_seats(
        showtime=showtime, labels=["A2"], reason="house", actor=staff
    )
    services.remove_block(block=gone, actor=staff)
    services.block_seats(
        showtime=ShowtimeFactory(), labels=["A1"], reason="house", actor=staff
    )

    response = manager_client.get(blocks_url(showtime))

    assert response.status_code == status.HTTP_200_OK
    assert [b["id"] for b in response.json()["results"]] == [first.pk]
    assert response.json()["results"][0]["seats"] == ["A1"]


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"seats": ["A1"], "reason": "bored"}, "invalid", "reason"),
        ({"seats": [], "reason": "house"}, "invalid", "seats"),
        ({"seats": ["A1", "a1"], "reason": "house"}, "invalid", "seats"),
        ({"seats": "A1", "reason": "house"}, "invalid", "seats"),
        ({"reason": "house"}, "invalid", "seats"),
        ({"seats": ["A1"]}, "invalid", "reason"),
    ],
)
def test_bad_block_input_is_400(manager_client, showtime, body, code, field):
    response = manager_client.post(blocks_url(showtime), body, format="json")

    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert response.json()["error"]["code"] == code
    assert field in response.json()["error"]["fields"]
    assert not SeatBlock.objects.exists()


def test_unknown_seats_are_400_and_block_nothing(manager_client, showtime):
    response = manager_client.post(
        blocks_url(showtime), {"seats": ["A1", "Z99"], "reason": "house"}, format="json"
    )

    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert response.json()["error"]["code"] == "unknown_seats"
    assert response.json()["error"]["details"] == {"seats": ["Z99"]}
    assert not SeatBlock.objects.exists()


def test_blocks_of_an_unknown_showtime_are_404(manager_client):
    response = manager_client.post(
        "/api/showtimes/999999/blocks/", {"seats": ["A1"], "reason": "house"}
    )
    assert response.status_code == status.HTTP_404_NOT_FOUND


def test_best_seats_skip_blocked_seats(showtime, staff):
    before = find_best_block(get_seat_map(showtime=showtime), count=2)
    labels = [seat["label"] for seat in before]
    services.block_seats(showtime=showtime, labels=labels, reason="house", actor=staff)

    after = find_best_block(get_seat_map(showtime=showtime), count=2)

    assert after is not None
    assert not {seat["label"] for seat in after} & set(labels)


def test_best_seats_endpoint_never_proposes_a_screen_blocked_seat(api_client, staff):
    screen = ScreenFactory()
    showtime = ShowtimeFactory(screen=screen)
    url = f"/api/showtimes/{showtime.pk}/best-seats/?count=2"
    best = api_client.get(url).json()["seats"]
    services.block_screen_seats(
        screen=screen, labels=best, reason="broken", actor=staff
    )

    response = api_client.get(url)

    assert response.status_code == status.HTTP_200_OK
    assert not set(response.json()["seats"]) & set(best)


# --- per screen -----------------------------------------------------------------------


def test_screen_block_covers_future_showtimes_and_lists_what_it_skipped(
    manager_client, api_client
):
    screen = ScreenFactory()
    now = timezone.now()
    first = ShowtimeFactory(screen=screen, starts_at=now + timedelta(days=1))
    second = ShowtimeFactory(screen=screen, starts_at=now + timedelta(days=2))
    started = ShowtimeFactory(screen=screen, starts_at=now - timedelta(minutes=5))
    other_screen = ShowtimeFactory(starts_at=now + timedelta(days=1))
    ReservationFactory(showtime=first, seats=["C1"])
    ReservationFactory(showtime=second, seats=["C2"], purchased=True)
    seat_states(api_client, first)  # cache the maps
    seat_states(api_client, second)

    response = manager_client.post(
        screen_blocks_url(screen),
        {"seats": ["C1", "C2"], "reason": "broken", "until": None},
        format="json",
    )

    assert response.status_code == status.HTTP_201_CREATED, response.content
    body = response.json()
    assert body["screen"] == screen.pk
    assert body["seats"] == ["C1", "C2"]
    assert body["blocked"] == [
        {"showtime": first.pk, "seats": ["C2"]},
        {"showtime": second.pk, "seats": ["C1"]},
    ]
    assert body["skipped"] == [
        {"showtime": first.pk, "seats": ["C1"], "reason": "held"},
        {"showtime": second.pk, "seats": ["C2"], "reason": "sold"},
    ]
    first_map, second_map = (
        seat_states(api_client, first),
        seat_states(api_client, second),
    )
    assert (first_map["C1"], first_map["C2"]) == ("held", "blocked")
    assert (second_map["C1"], second_map["C2"]) == ("blocked", "sold")
    assert seat_states(api_client, started)["C1"] == "available"
    assert seat_states(api_client, other_screen)["C1"] == "available"
    # a showtime created afterwards on the screen honours the block too
    later = ShowtimeFactory(screen=screen, starts_at=now + timedelta(days=5))
    assert seat_states(api_client, later)["C1"] == "blocked"
    hold = manager_client.post(
        "/api/reservations/", {"showtime": later.pk, "seats": ["C2"]}, format="json"
    )
    assert hold.status_code == status.HTTP_409_CONFLICT
    assert hold.json()["error"]["details"] == {"seats": ["C2"]}


def test_screen_block_ends_after_its_until_date(manager_client, api_client, staff):
    screen = ScreenFactory()
    now = timezone.now()
    inside = ShowtimeFactory(screen=screen, starts_at=now + timedelta(days=1))
    outside = ShowtimeFactory(screen=screen, starts_at=now + timedelta(days=10))

    response = manager_client.post(
        screen_blocks_url(screen),
        {
            "seats": ["A1"],
            "reason": "broken",
            "until": inside.business_date.isoformat(),
        },
        format="json",
    )

    assert response.status_code == status.HTTP_201_CREATED, response.content
    assert response.json()["blocked"] == [{"showtime": inside.pk, "seats": ["A1"]}]
    assert seat_states(api_client, inside)["A1"] == "blocked"
    assert seat_states(api_client, outside)["A1"] == "available"


def test_removing_a_screen_block_frees_the_seats_at_once(
    box_office_client, api_client, staff
):
    screen = ScreenFactory()
    showtime = ShowtimeFactory(screen=screen)
    result = services.block_screen_seats(
        screen=screen, labels=["B2"], reason="broken", actor=staff
    )
    assert seat_states(api_client, showtime)["B2"] == "blocked"  # cached

    response = box_office_client.delete(
        f"{screen_blocks_url(screen)}{result.block.pk}/"
    )

    assert response.status_code == status.HTTP_204_NO_CONTENT
    assert seat_states(api_client, showtime)["B2"] == "available"
    assert box_office_client.get(screen_blocks_url(screen)).json()["results"] == []
    result.block.refresh_from_db()
    assert result.block.removed_at is not None


def test_screen_block_bad_input(manager_client):
    screen = ScreenFactory()
    unknown = manager_client.post(
        screen_blocks_url(screen), {"seats": ["Q1"], "reason": "broken"}, format="json"
    )
    bad_date = manager_client.post(
        screen_blocks_url(screen),
        {"seats": ["A1"], "reason": "broken", "until": "soon"},
        format="json",
    )

    assert unknown.status_code == status.HTTP_400_BAD_REQUEST
    assert unknown.json()["error"]["code"] == "unknown_seats"
    assert bad_date.status_code == status.HTTP_400_BAD_REQUEST
    assert "until" in bad_date.json()["error"]["fields"]
    assert not SeatBlock.objects.exists()


# --- permissions and queries ----------------------------------------------------------


def test_customers_and_anonymous_may_not_block(auth_client, api_client, showtime):
    body = {"seats": ["A1"], "reason": "house"}
    assert auth_client.post(blocks_url(showtime), body).status_code == 403
    assert api_client.post(blocks_url(showtime), body).status_code == 401
    assert auth_client.get(blocks_url(showtime)).status_code == 403
    assert not SeatBlock.objects.exists()


def test_role_holder_without_staff_flag_gets_permission_from_group():
    assert UserFactory(roles=["manager"]).has_perm("reservations.block_seats")
    assert UserFactory(roles=["box_office"]).has_perm("reservations.block_seats")
    assert not UserFactory().has_perm("reservations.block_seats")


@pytest.mark.parametrize("scope", ["showtime", "screen"])
def test_block_lists_query_count_is_constant(manager_client, staff, scope):
    screen = ScreenFactory()
    showtime = ShowtimeFactory(screen=screen)

    def add_block(label):
        if scope == "showtime":
            services.block_seats(
                showtime=showtime, labels=[label], reason="house", actor=staff
            )
        else:
            services.block_screen_seats(
                screen=screen, labels=[label], reason="broken", actor=staff
            )

    url = blocks_url(showtime) if scope == "showtime" else screen_blocks_url(screen)

    def queries_and_rows() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = manager_client.get(url)
        assert response.status_code == status.HTTP_200_OK
        return len(queries.captured_queries), len(response.json()["results"])

    add_block("A1")
    queries_and_rows()  # warm the user's permission cache
    one = queries_and_rows()
    for label in ["A2", "A3", "A4", "A5"]:
        add_block(label)
    five = queries_and_rows()

    assert (one[1], five[1]) == (1, 5)
    assert five[0] == one[0]

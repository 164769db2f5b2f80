"""A seat block racing a hold for one seat: exactly one wins, on both databases.

Each trial starts a hold (a customer) and a block (box office) on the same seat in
two threads released together, with the window between the availability check and
the write widened (``tests.seams``). The showtime lock, taken by both use cases,
serialises them on PostgreSQL; on SQLite ``BEGIN IMMEDIATE`` does. There is no
database backstop between claims and blocks, so the negative controls show the
guards are what hold: with no lock and no check both win on either database, and on
PostgreSQL the check alone (without the lock) lets both through as well.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework import status

from reservations.models import ReservedSeat, SeatBlock
from reservations.services import locking
from showtimes.models import Showtime
from tests.factories import ShowtimeFactory, UserFactory
from tests.seams import switch_guards_off, widen_race_window

from .helpers import client_for, codes_of, run_in_threads, seat_states

pytestmark = pytest.mark.django_db(transaction=True)

TRIALS = 20
WINDOW = 0.05


@pytest.fixture
def box_office(db):
    return UserFactory(roles=["box_office"])


def race_hold_and_block(box_office):
    """One trial on a fresh showtime, with a fresh customer (so no hold limit
    interferes): (hold response, block response, showtime)."""
    showtime, customer = ShowtimeFactory(), UserFactory()

    def work(i):
        if i == 0:
            return client_for(customer).post(
                "/api/reservations/",
                {"showtime": showtime.pk, "seats": ["A1"]},
                format="json",
            )
        return client_for(box_office).post(
            f"/api/showtimes/{showtime.pk}/blocks/",
            {"seats": ["A1"], "reason": "house"},
            format="json",
        )

    hold, block = run_in_threads(2, work)
    codes_of([hold, block])  # no crash, no 5xx
    return hold, block, showtime


def claimed(showtime) -> bool:
    return ReservedSeat.objects.filter(
        showtime=showtime, seat__label="A1", is_active=True
    ).exists()


def blocked(showtime) -> bool:
    return SeatBlock.objects.active().filter(showtime=showtime).exists()


def test_block_and_hold_racing_for_one_seat_have_one_winner(
    box_office, monkeypatch, api_client, record_property
):
    widen_race_window(monkeypatch, WINDOW)
    hold_wins = 0
    for _ in range(TRIALS):
        cache.clear()
        hold, block, showtime = race_hold_and_block(box_office)

        assert sorted([hold.status_code, block.status_code]) == [
            status.HTTP_201_CREATED,
            status.HTTP_409_CONFLICT,
        ]
        loser = hold if hold.status_code == status.HTTP_409_CONFLICT else block
        assert loser.json()["error"]["code"] == "seats_unavailable"
        assert loser.json()["error"]["details"] == {"seats": ["A1"]}
        hold_won = hold.status_code == status.HTTP_201_CREATED
        hold_wins += hold_won
        assert (claimed(showtime), blocked(showtime)) == (hold_won, not hold_won)
        assert seat_states(api_client, showtime)["A1"] == (
            "held" if hold_won else "blocked"
        )
        assert Showtime.objects.get(pk=showtime.pk).seats_version == 1
    record_property("hold_wins", hold_wins)
    record_property("block_wins", TRIALS - hold_wins)


# --- negative controls: without the guards the same harness sees both win ------------


def test_negative_control_without_lock_or_check_both_win(
    box_office, monkeypatch, record_property
):
    switch_guards_off(monkeypatch, window_seconds=WINDOW)
    both = 0
    for _ in range(TRIALS):
        hold, block, showtime = race_hold_and_block(box_office)
        if hold.status_code == block.status_code == status.HTTP_201_CREATED:
            both += 1
            assert claimed(showtime)
            assert blocked(showtime)
    record_property("both_won", both)
    assert both > 0


@pytest.mark.postgres
def test_negative_control_without_the_lock_the_check_alone_lets_both_win(
    box_office, monkeypatch, record_property
):
    widen_race_window(monkeypatch, WINDOW)
    monkeypatch.setattr(
        locking, "lock_showtime", lambda pk: Showtime.objects.get(pk=pk)
    )
    both = 0
    for _ in range(TRIALS):
        hold, block, _showtime = race_hold_and_block(box_office)
        both += hold.status_code == block.status_code == status.HTTP_201_CREATED
    record_property("both_won", both)
    assert both > 0


def race_hold_and_screen_block(box_office):
    """One trial: a hold and a screen block on A1 of a fresh screen's only show."""
    showtime, customer = ShowtimeFactory(), UserFactory()

    def work(i):
        if i == 0:
            return client_for(customer).post(
                "/api/reservations/",
                {"showtime": showtime.pk, "seats": ["A1"]},
                format="json",
            )
        return client_for(box_office).post(
            f"/api/screens/{showtime.screen_id}/seat-blocks/",
            {"seats": ["A1"], "reason": "broken"},
            format="json",
        )

    hold, block = run_in_threads(2, work)
    codes_of([hold, block])
    return hold, block, showtime


def test_screen_block_and_hold_racing_agree_on_who_has_the_seat(
    box_office, monkeypatch, api_client, record_property
):
    """The hold wins (the block lists the seat as skipped, held) or the block wins
    (the hold is refused); never a hold on a seat the block says it blocked."""
    widen_race_window(monkeypatch, WINDOW)
    hold_wins = 0
    for _ in range(TRIALS):
        cache.clear()
        hold, block, showtime = race_hold_and_screen_block(box_office)

        assert block.status_code == status.HTTP_201_CREATED
        if hold.status_code == status.HTTP_201_CREATED:
            hold_wins += 1
            assert block.json()["blocked"] == []
            assert block.json()["skipped"] == [
                {"showtime": showtime.pk, "seats": ["A1"], "reason": "held"}
            ]
            assert seat_states(api_client, showtime)["A1"] == "held"
        else:
            assert hold.json()["error"]["code"] == "seats_unavailable"
            assert block.json()["blocked"] == [
                {"showtime": showtime.pk, "seats": ["A1"]}
            ]
            assert not claimed(showtime)
            assert seat_states(api_client, showtime)["A1"] == "blocked"
    record_property("hold_wins", hold_wins)
    record_property("block_wins", TRIALS - hold_wins)


def test_negative_control_screen_block_without_guards_blocks_a_held_seat(
    box_office, monkeypatch, record_property
):
    switch_guards_off(monkeypatch, window_seconds=WINDOW)
    both = 0
    for _ in range(TRIALS):
        hold, block, showtime = race_hold_and_screen_block(box_office)
        blocked_it = {"showtime": showtime.pk, "seats": ["A1"]} in block.json()[
            "blocked"
        ]
        both += hold.status_code == status.HTTP_201_CREATED and blocked_it
    record_property("both_won", both)
    assert both > 0

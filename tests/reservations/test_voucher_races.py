"""``max_uses`` under a race: 20 customers hold at once with a 5-use voucher.

Each holds on a showtime of their own, so no showtime lock serialises them: only
the voucher claim (a conditional UPDATE: the voucher's row lock on PostgreSQL,
BEGIN IMMEDIATE on SQLite) stands between them and a sixth use.
``tests.seams.widen_voucher_window`` sleeps right before each claim so the threads
really overlap there. The negative controls replace the claim with a check in
Python and must then see more than 5 holds, or these tests prove nothing.
"""

import pytest
from django.db import connection

from pricing.models import Voucher
from reservations.models import Reservation, ReservationStatus
from tests.factories import ShowtimeFactory, UserFactory
from tests.seams import switch_voucher_guard_off, widen_voucher_window

from .helpers import client_for, codes_of, run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20
MAX_USES = 5


@pytest.fixture
def racers(db):
    return [
        (UserFactory(), showtime) for showtime in ShowtimeFactory.create_batch(THREADS)
    ]


@pytest.fixture
def five_uses(db):
    return Voucher.objects.create(
        code="FIVE", kind="percent", value=50, max_uses=MAX_USES
    )


def race(racers):
    def grab(i):
        user, showtime = racers[i]
        return client_for(user).post(
            "/api/reservations/",
            {"showtime": showtime.pk, "seats": ["A1"], "voucher": "five"},
        )

    return run_in_threads(THREADS, grab)


def held_with(voucher) -> int:
    return Reservation.objects.filter(
        voucher=voucher, status=ReservationStatus.HELD
    ).count()


def test_exactly_max_uses_holds_win(racers, five_uses, monkeypatch, record_property):
    widen_voucher_window(monkeypatch, 0.05)

    responses = race(racers)

    codes = codes_of(responses)
    record_property("winners", codes.count(201))
    assert sorted(codes) == [201] * MAX_USES + [400] * (THREADS - MAX_USES)
    assert {
        (r.json()["error"]["code"], r.json()["error"]["details"]["reason"])
        for r in responses
        if r.status_code == 400
    } == {("voucher_invalid", "exhausted")}
    five_uses.refresh_from_db()
    assert five_uses.uses == MAX_USES == held_with(five_uses)
    assert Reservation.objects.count() == MAX_USES  # the losers hold nothing


# --- negative controls: without the conditional UPDATE the same harness overspends ---


def test_negative_control_without_any_check_overspends(
    racers, five_uses, monkeypatch, record_property
):
    switch_voucher_guard_off(monkeypatch, check=False, window_seconds=0.05)

    responses = race(racers)

    codes = codes_of(responses)
    record_property("winners", codes.count(201))
    assert codes.count(201) > MAX_USES, "the harness failed to overspend"
    assert held_with(five_uses) == codes.count(201)


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="READ COMMITTED races are PostgreSQL's"
)
def test_negative_control_postgres_check_then_write_overspends(
    racers, five_uses, monkeypatch, record_property
):
    """A count read, checked in Python and written back lets several racers in."""
    switch_voucher_guard_off(monkeypatch, check=True, window_seconds=0.05)

    responses = race(racers)

    codes = codes_of(responses)
    record_property("winners", codes.count(201))
    assert codes.count(201) > MAX_USES, "the race window never overlapped"
    assert held_with(five_uses) == codes.count(201)


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="BEGIN IMMEDIATE is SQLite's serialiser"
)
def test_sqlite_immediate_transactions_serialise_a_check_then_write(
    racers, five_uses, monkeypatch
):
    """On SQLite even the check in Python holds: whole bookings queue at BEGIN."""
    switch_voucher_guard_off(monkeypatch, check=True, window_seconds=0.05)

    codes = codes_of(race(racers))

    assert codes.count(201) == MAX_USES

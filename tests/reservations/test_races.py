"""Thread races against the booking engine, on SQLite and PostgreSQL alike.

Every test releases 16 threads together through a barrier; each thread has its own
database connection and goes through the real HTTP stack (``APIClient`` with a user
of its own). ``tests.seams.widen_race_window`` sleeps between the availability check
and the insert so the threads really overlap there. The negative controls switch the
guards off and must then observe a double booking: otherwise these tests could not
fail and would prove nothing.
"""

import random
import time
from collections import Counter

import pytest
from django.db import connection
from django.db.models import Count
from rest_framework import status

from reservations.models import Reservation, ReservationStatus, ReservedSeat, Ticket
from reservations.services import locking
from showtimes.models import Showtime
from tests.factories import ReservationFactory, UserFactory
from tests.seams import switch_guards_off, widen_race_window

from .helpers import active_labels, client_for, codes_of, run_in_threads, seat_states

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 16
URL = "/api/reservations/"
INDEX = "uniq_reservedseat_showtime_seat"


@pytest.fixture
def race_window(monkeypatch):
    widen_race_window(monkeypatch, 0.05)


@pytest.fixture
def racers(db):
    return UserFactory.create_batch(THREADS)


@pytest.fixture
def without_seat_index():
    """Drop the partial unique index for one test; put it back afterwards."""
    constraint = next(c for c in ReservedSeat._meta.constraints if c.name == INDEX)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {INDEX}")
    try:
        yield
    finally:
        # The double bookings this test made would stop the index being rebuilt.
        ReservedSeat.objects.all().delete()
        with connection.schema_editor() as editor:
            editor.add_constraint(ReservedSeat, constraint)


def book_same_seat(racers, showtime):
    def book(i):
        return client_for(racers[i]).post(
            URL, {"showtime": showtime.pk, "seats": ["A1"]}
        )

    return run_in_threads(THREADS, book)


def claims_per_seat(showtime) -> dict[str, int]:
    return dict(
        ReservedSeat.objects.filter(showtime=showtime, is_active=True)
        .values_list("seat__label")
        .annotate(n=Count("pk"))
        .values_list("seat__label", "n")
    )


# --- the guards hold ------------------------------------------------------------------


def test_same_seat_has_exactly_one_winner(
    race_window, racers, showtime, api_client, record_property
):
    responses = book_same_seat(racers, showtime)

    codes = codes_of(responses)
    record_property("winners", codes.count(201))
    assert sorted(codes) == [201] + [409] * (THREADS - 1)
    for response in responses:
        if response.status_code == status.HTTP_409_CONFLICT:
            assert response.json()["error"]["code"] == "seats_unavailable"
            assert response.json()["error"]["details"] == {"seats": ["A1"]}
    assert active_labels(showtime) == ["A1"]
    winner = next(r for r in responses if r.status_code == 201).json()
    assert list(Reservation.objects.values_list("pk", flat=True)) == [winner["id"]]
    assert seat_states(api_client, showtime)["A1"] == "held"


def test_overlapping_multi_seat_bookings_never_share_a_seat(
    race_window, racers, showtime, api_client, record_property
):
    def wanted(i) -> list[str]:
        start = (i * 3) % 8 + 1  # windows of 3 in row A, overlapping each other
        labels = [f"A{n}" for n in range(start, start + 3)] + [f"C{i % 4 + 1}"]
        random.Random(i).shuffle(labels)  # request order must not matter (deadlocks)
        return labels

    def book(i):
        return client_for(racers[i]).post(
            URL, {"showtime": showtime.pk, "seats": wanted(i)}
        )

    responses = run_in_threads(THREADS, book)

    codes = codes_of(responses)
    record_property("winners", codes.count(201))
    assert set(codes) <= {201, 409}
    winners = [r.json() for r in responses if r.status_code == 201]
    assert winners
    per_seat = claims_per_seat(showtime)
    assert max(per_seat.values()) == 1, per_seat
    won = Counter(label for body in winners for label in body["seats"])
    assert max(won.values()) == 1, won
    assert sorted(won) == sorted(per_seat)
    # All or nothing: every reservation holds all 4 seats it asked for, losers none.
    assert Reservation.objects.count() == len(winners)
    for body in winners:
        reservation = Reservation.objects.get(pk=body["id"])
        assert sorted(body["seats"]) == sorted(wanted(racers.index(reservation.user)))
        assert reservation.reserved_seats.filter(is_active=True).count() == 4
    states = seat_states(api_client, showtime)
    assert sorted(label for label, s in states.items() if s == "held") == sorted(won)
    assert api_client.get(f"/api/showtimes/{showtime.pk}/").json()[
        "available_seats"
    ] == 28 - len(won)


def test_change_seats_racing_new_bookings_never_shares_a_seat(
    race_window, racers, showtime, record_property
):
    owner, *others = racers
    held = ReservationFactory(user=owner, showtime=showtime, seats=["A1", "B1"])

    def act(i):
        if i == 0:  # move B1 to A2, which everyone else wants too
            return client_for(owner).patch(f"{URL}{held.pk}/", {"seats": ["A1", "A2"]})
        seat = "A2" if i % 2 else "B1"  # ...or wants the seat the move frees
        return client_for(others[i - 1]).post(
            URL, {"showtime": showtime.pk, "seats": [seat]}
        )

    responses = run_in_threads(THREADS, act)

    codes = codes_of(responses)
    move, newcomers = responses[0], codes[1:]
    record_property("move_won", move.status_code == 200)
    per_seat = claims_per_seat(showtime)
    assert max(per_seat.values()) == 1, per_seat
    assert per_seat["A2"] == 1
    held.refresh_from_db()
    mine = sorted(
        held.reserved_seats.filter(is_active=True).values_list("seat__label", flat=True)
    )
    if move.status_code == status.HTTP_200_OK:
        assert mine == ["A1", "A2"] == move.json()["seats"]
        # B1 was freed by the move: at most one newcomer got it, and only after.
        assert newcomers.count(201) == per_seat.get("B1", 0)
    else:
        assert move.status_code == status.HTTP_409_CONFLICT
        assert move.json()["error"]["code"] == "seats_unavailable"
        assert mine == ["A1", "B1"]
        assert newcomers.count(201) == 1  # A2 went to a newcomer; B1 stayed held
    assert set(newcomers) <= {201, 409}
    assert Reservation.objects.count() == 1 + newcomers.count(201)


def test_concurrent_purchases_issue_one_set_of_tickets(racers, showtime, gateway):
    owner = racers[0]
    reservation = ReservationFactory(user=owner, showtime=showtime, seats=["A1", "A2"])
    gateway.on_charge = lambda charge: time.sleep(0.02)  # a slow gateway overlaps them

    def buy(i):
        return client_for(owner).post(f"{URL}{reservation.pk}/purchase/", {})

    responses = run_in_threads(THREADS, buy)

    assert set(codes_of(responses)) == {200}
    assert {r.json()["status"] for r in responses} == {"confirmed"}
    assert len({tuple(t["code"] for t in r.json()["tickets"]) for r in responses}) == 1
    assert Ticket.objects.count() == 2
    assert gateway.net_charges() == 1  # any extra charge was refunded
    assert len(gateway.refunds) == len(gateway.charges) - 1


def test_concurrent_purchases_with_one_idempotency_key_charge_once(
    racers, showtime, gateway
):
    owner = racers[0]
    reservation = ReservationFactory(user=owner, showtime=showtime, seats=["A1"])
    gateway.on_charge = lambda charge: time.sleep(0.05)

    def buy(i):
        return client_for(owner).post(
            f"{URL}{reservation.pk}/purchase/", {}, HTTP_IDEMPOTENCY_KEY="pay-once"
        )

    responses = run_in_threads(THREADS, buy)

    codes = codes_of(responses)
    assert set(codes) <= {200, 409}
    for response in responses:
        if response.status_code == 409:
            assert response.json()["error"]["code"] == "idempotency_key_in_progress"
            assert response["Retry-After"] == "1"
    assert len(gateway.charges) == 1
    assert gateway.refunds == []
    assert Ticket.objects.count() == 1


def test_unique_index_alone_holds_the_race(
    racers, showtime, monkeypatch, record_property
):
    """Guard off (no lock, no check): the partial unique index still lets one in."""
    switch_guards_off(monkeypatch, window_seconds=0.05)

    responses = book_same_seat(racers, showtime)

    codes = codes_of(responses)
    record_property("winners", codes.count(201))
    assert sorted(codes) == [201] + [409] * (THREADS - 1)
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {
        "seats_unavailable"
    }
    assert active_labels(showtime) == ["A1"]
    assert Reservation.objects.count() == 1


# --- negative controls: without the guards the same harness sees double bookings -----


def test_negative_control_without_any_guard_double_books(
    racers, showtime, monkeypatch, without_seat_index, record_property
):
    switch_guards_off(monkeypatch, window_seconds=0.05)

    responses = book_same_seat(racers, showtime)

    codes = codes_of(responses)
    claims = claims_per_seat(showtime).get("A1", 0)
    record_property("winners", codes.count(201))
    assert codes.count(201) > 1, "the harness failed to produce a double booking"
    assert claims == codes.count(201) > 1


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the row lock only exists on PostgreSQL"
)
def test_negative_control_postgres_check_without_row_lock_double_books(
    race_window, racers, showtime, monkeypatch, without_seat_index, record_property
):
    """The availability check alone, at READ COMMITTED, lets several racers in."""
    monkeypatch.setattr(
        locking, "lock_showtime", lambda pk: Showtime.objects.get(pk=pk)
    )

    responses = book_same_seat(racers, showtime)

    codes = codes_of(responses)
    record_property("winners", codes.count(201))
    assert codes.count(201) > 1, "the race window never overlapped"
    assert claims_per_seat(showtime)["A1"] == codes.count(201)


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="BEGIN IMMEDIATE is SQLite's serialiser"
)
def test_sqlite_immediate_transactions_serialise_without_lock_or_index(
    race_window, racers, showtime, monkeypatch, without_seat_index, record_property
):
    """On SQLite the check holds even without the index: writers queue at BEGIN."""
    monkeypatch.setattr(
        locking, "lock_showtime", lambda pk: Showtime.objects.get(pk=pk)
    )

    responses = book_same_seat(racers, showtime)

    codes = codes_of(responses)
    record_property("winners", codes.count(201))
    assert sorted(codes) == [201] + [409] * (THREADS - 1)
    assert claims_per_seat(showtime) == {"A1": 1}


def test_expired_hold_is_claimed_by_exactly_one_racer(
    race_window, racers, showtime, clock
):
    """Lazy expiry under contention: the lapsed hold is released once, won once."""
    stale = ReservationFactory(user=racers[0], showtime=showtime, seats=["A1"])
    clock.advance(seconds=600)

    responses = book_same_seat(racers, showtime)

    codes = codes_of(responses)
    assert sorted(codes) == [201] + [409] * (THREADS - 1)
    stale.refresh_from_db()
    assert stale.status == ReservationStatus.EXPIRED
    assert claims_per_seat(showtime) == {"A1": 1}

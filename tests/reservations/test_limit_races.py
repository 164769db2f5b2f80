"""Thread races against the hoarding limits, on SQLite and PostgreSQL alike.

One user fires 16 holds at once. On one showtime the showtime lock serialises them;
across showtimes only the user-row lock does (PostgreSQL), or BEGIN IMMEDIATE
(SQLite). ``tests.seams.widen_race_window`` sleeps between the checks and the insert
so the threads really overlap there. The PostgreSQL negative control drops the user
lock and must then see the limit exceeded, or these tests prove nothing.
"""

import pytest
from django.db import connection

from reservations.models import Reservation, ReservationStatus, ReservedSeat
from reservations.services import locking
from tests.factories import (
    ReservationFactory,
    ScreenFactory,
    ShowtimeFactory,
    UserFactory,
)
from tests.seams import widen_race_window

from .helpers import client_for, codes_of, run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 16
URL = "/api/reservations/"


@pytest.fixture
def race_window(monkeypatch):
    widen_race_window(monkeypatch, 0.05)


@pytest.fixture
def hoarder(db):
    return UserFactory()


def refusals(responses) -> set[str]:
    return {r.json()["error"]["code"] for r in responses if r.status_code == 409}


def held_by(user) -> int:
    return Reservation.objects.filter(user=user, status=ReservationStatus.HELD).count()


def test_holds_on_one_showtime_stop_at_the_hold_limit(
    race_window, hoarder, showtime, record_property
):
    labels = [f"{row}{n}" for row in "AB" for n in range(1, 9)]

    def grab(i):
        return client_for(hoarder).post(
            URL, {"showtime": showtime.pk, "seats": [labels[i]]}
        )

    responses = run_in_threads(THREADS, grab)

    codes = codes_of(responses)
    record_property("winners", codes.count(201))
    assert sorted(codes) == [201] * 5 + [409] * (THREADS - 5)
    assert refusals(responses) == {"hold_limit_reached"}
    assert held_by(hoarder) == 5


def test_holds_across_showtimes_stop_at_the_hold_limit(
    race_window, hoarder, record_property
):
    """Sixteen showtimes, sixteen showtime locks: only the user's row serialises."""
    showtimes = ShowtimeFactory.create_batch(THREADS)

    def grab(i):
        return client_for(hoarder).post(
            URL, {"showtime": showtimes[i].pk, "seats": ["A1"]}
        )

    responses = run_in_threads(THREADS, grab)

    codes = codes_of(responses)
    record_property("winners", codes.count(201))
    assert sorted(codes) == [201] * 5 + [409] * (THREADS - 5)
    assert refusals(responses) == {"hold_limit_reached"}
    assert held_by(hoarder) == 5


def test_seats_on_one_showtime_stop_at_the_seat_limit(
    race_window, hoarder, settings, record_property
):
    """Sixteen disjoint holds of three seats: three fit under ten seats, no more."""
    settings.RESERVATION_MAX_ACTIVE_HOLDS = THREADS
    layout = [{"row": row, "seats": 12, "category": "standard"} for row in "ABCD"]
    showtime = ShowtimeFactory(screen=ScreenFactory(layout=layout))
    seats = [f"{row}{n}" for row in "ABCD" for n in range(1, 13)]

    def grab(i):
        return client_for(hoarder).post(
            URL, {"showtime": showtime.pk, "seats": seats[3 * i : 3 * i + 3]}
        )

    responses = run_in_threads(THREADS, grab)

    codes = codes_of(responses)
    record_property("winners", codes.count(201))
    assert sorted(codes) == [201] * 3 + [409] * (THREADS - 3)
    assert refusals(responses) == {"seat_limit_reached"}
    assert ReservedSeat.objects.filter(showtime=showtime, is_active=True).count() == 9


def test_growing_holds_together_stay_under_the_seat_limit(
    race_window, hoarder, settings
):
    """Four holds of two seats each all try to grow to four seats at once."""
    settings.RESERVATION_MAX_HELD_SEATS_PER_SHOWTIME = 10
    layout = [{"row": row, "seats": 4, "category": "standard"} for row in "ABCD"]
    showtime = ShowtimeFactory(screen=ScreenFactory(layout=layout))
    rows = "ABCD"
    holds = [
        ReservationFactory(user=hoarder, showtime=showtime, seats=[f"{r}1", f"{r}2"])
        for r in rows
    ]

    def grow(i):
        row = rows[i % 4]
        return client_for(hoarder).patch(
            f"{URL}{holds[i % 4].pk}/", {"seats": [f"{row}{n}" for n in range(1, 5)]}
        )

    responses = run_in_threads(8, grow)

    codes = codes_of(responses)
    assert set(codes) <= {200, 409}
    assert refusals(responses) <= {"seat_limit_reached"}
    active = ReservedSeat.objects.filter(showtime=showtime, is_active=True).count()
    assert active <= 10
    # 8 + 2 per successful growth: exactly one hold could grow (8 + 2 = 10).
    assert active == 10


# --- negative control: without the user lock the per-user limit leaks ------------------


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the row lock only exists on PostgreSQL"
)
def test_negative_control_without_user_lock_exceeds_the_hold_limit(
    race_window, hoarder, monkeypatch, record_property
):
    monkeypatch.setattr(locking, "lock_user", lambda user_id: None)
    showtimes = ShowtimeFactory.create_batch(THREADS)

    def grab(i):
        return client_for(hoarder).post(
            URL, {"showtime": showtimes[i].pk, "seats": ["A1"]}
        )

    responses = run_in_threads(THREADS, grab)

    codes = codes_of(responses)
    record_property("winners", codes.count(201))
    assert codes.count(201) > 5, "the race window never overlapped"
    assert held_by(hoarder) == codes.count(201)

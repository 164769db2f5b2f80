"""Freed seats racing new holds and waiting-list runs: order kept, no seat offered twice.

Each trial sells out a showtime of eight seats, puts six customers on its waiting
list (one seat each), then releases together, in threads of their own: four owners
cancelling their purchases (each commit triggers a run, which the immediate task
backend executes in that thread), two walk-in customers holding seats that are
being freed, and two extra waiting-list runs. Afterwards:

- no seat is claimed twice and every offer holds exactly the seats asked for;
- the offers went to a prefix of the queue (the first k entries), never to a later
  entry while an earlier one still waited for a seat that fitted;
- offers and walk-in holds together took exactly the four freed seats: none is
  left free while someone still waits;
- one email per offer.

Runs on SQLite (IMMEDIATE transactions) and PostgreSQL (the showtime row lock).
"""

from collections import Counter

import pytest
from django.core import mail

from reservations import services as booking
from reservations.exceptions import SeatsUnavailable
from reservations.models import Reservation, ReservationStatus, ReservedSeat
from tests.factories import (
    ReservationFactory,
    ScreenFactory,
    ShowtimeFactory,
    UserFactory,
)
from tests.reservations.helpers import run_in_threads
from waitlist import services
from waitlist.models import WaitlistEntry, WaitlistStatus

from .conftest import offer_emails

pytestmark = pytest.mark.django_db(transaction=True)

TRIALS = 5
EIGHT = [{"row": "A", "seats": 8, "category": "standard"}]


def trial():
    showtime = ShowtimeFactory(screen=ScreenFactory(layout=EIGHT))
    buyers = [UserFactory() for _ in range(8)]
    sold = [
        ReservationFactory(
            user=buyer, showtime=showtime, seats=[f"A{n}"], purchased=True
        )
        for n, buyer in enumerate(buyers, start=1)
    ]
    queue = [
        services.join_waitlist(user=UserFactory(), showtime=showtime, seats=1)
        for _ in range(6)
    ]
    walk_ins = [UserFactory(), UserFactory()]
    mail.outbox = []

    def work(i):
        if i < 4:  # owners of A2, A4, A6, A8 cancel
            reservation = sold[2 * i + 1]
            return booking.cancel_reservation(
                reservation=reservation, actor=buyers[2 * i + 1]
            )
        if i < 6:  # walk-ins try A2 and A4 as they come free
            try:
                return booking.create_reservation(
                    user=walk_ins[i - 4],
                    showtime=showtime,
                    labels=[f"A{2 * (i - 4) + 2}"],
                )
            except SeatsUnavailable:
                return None
        return services.process_showtime(showtime_id=showtime.pk)

    results = run_in_threads(8, work)
    crashed = [r for r in results if isinstance(r, BaseException)]
    assert not crashed, crashed
    services.process_waitlists()  # the periodic backstop finds nothing left to do
    return showtime, queue, [r for r in results[4:6] if r is not None]


def test_freed_seats_go_down_the_queue_in_order_and_once():
    outcomes = Counter()
    for _ in range(TRIALS):
        showtime, queue, walk_in_holds = trial()
        outcomes[f"walk-ins won {len(walk_in_holds)}"] += 1

        claims = Counter(
            ReservedSeat.objects.filter(showtime=showtime, is_active=True).values_list(
                "seat__label", flat=True
            )
        )
        assert set(claims.values()) == {1}, claims
        assert len(claims) == 8  # every freed seat was taken again

        statuses = [WaitlistEntry.objects.get(pk=e.pk).status for e in queue]
        offered = statuses.count(WaitlistStatus.OFFERED)
        assert statuses == [WaitlistStatus.OFFERED] * offered + [
            WaitlistStatus.WAITING
        ] * (6 - offered), statuses
        assert offered + len(walk_in_holds) == 4
        for entry in WaitlistEntry.objects.filter(status=WaitlistStatus.OFFERED):
            assert entry.reservation.status == ReservationStatus.HELD
            assert entry.reservation.user_id == entry.user_id
            assert entry.reservation.reserved_seats.filter(is_active=True).count() == 1
        assert sorted(m.to[0] for m in offer_emails()) == sorted(
            e.user.email for e in queue[:offered]
        )
    print(f"waitlist race outcomes: {dict(outcomes)}")


def concurrent_runs(runs: int = 3):
    """Two seats free, three people waiting for one each, ``runs`` runs at once:
    (results, entries)."""
    showtime = ShowtimeFactory(screen=ScreenFactory(layout=EIGHT))
    for n in range(3, 9):
        ReservationFactory(showtime=showtime, seats=[f"A{n}"], purchased=True)
    hold = ReservationFactory(showtime=showtime, seats=["A1", "A2"])
    queue = [
        services.join_waitlist(user=UserFactory(), showtime=showtime, seats=1)
        for _ in range(3)
    ]
    # Free A1 and A2 without a trigger, as if the enqueue was lost in a crash.
    Reservation.objects.filter(pk=hold.pk).update(status=ReservationStatus.CANCELLED)
    ReservedSeat.objects.filter(reservation=hold).update(is_active=False)
    results = run_in_threads(
        runs, lambda i: services.process_showtime(showtime_id=showtime.pk)
    )
    return results, [WaitlistEntry.objects.get(pk=e.pk) for e in queue]


def test_concurrent_runs_offer_each_seat_once_in_order(monkeypatch):
    from tests.seams import widen_race_window

    widen_race_window(monkeypatch, 0.05)
    for _ in range(TRIALS):
        results, entries = concurrent_runs()

        assert not [r for r in results if isinstance(r, BaseException)], results
        assert sum(len(r) for r in results) == 2  # two offers in all, no more
        assert [e.status for e in entries] == ["offered", "offered", "waiting"]
        held = ReservedSeat.objects.filter(
            reservation__in=[e.reservation_id for e in entries[:2]], is_active=True
        )
        assert sorted(held.values_list("seat__label", flat=True)) == ["A1", "A2"]


@pytest.mark.postgres
def test_negative_control_without_the_showtime_lock_runs_collide(monkeypatch):
    """The same race with the showtime lock switched off (PostgreSQL; SQLite's
    IMMEDIATE transactions serialise the runs anyway): runs read the same queue
    and seats and collide, so the lock is what keeps the runs apart."""
    from reservations.services import locking
    from showtimes.models import Showtime
    from tests.seams import widen_race_window

    widen_race_window(monkeypatch, 0.05)
    monkeypatch.setattr(
        locking, "lock_showtime", lambda pk: Showtime.objects.get(pk=pk)
    )
    collided = 0
    for _ in range(TRIALS):
        results, entries = concurrent_runs()
        crashed = [r for r in results if isinstance(r, BaseException)]
        offers = sum(len(r) for r in results if isinstance(r, list))
        if crashed or offers != 2 or entries[2].status != "waiting":
            collided += 1
    print(f"waitlist negative control: {collided} of {TRIALS} trials collided")
    assert collided > 0

"""Waiting lists: join, leave, and offer freed seats to the first entry that fits.

Locking: every decision here runs under the showtime lock
(``reservations.services.locking.decide_on_showtime``), the lock every booking
takes, so the queue is read and changed in one order with the seats it is about.
An offer is an ordinary hold (``create_reservation``) made for the customer, for
WAITLIST_OFFER_SECONDS instead of RESERVATION_HOLD_SECONDS, inside that same
transaction; one offer per transaction, so a transaction never locks more than one
user row (the locking rule's showtime -> user order holds).

Fair order: entries are served in arrival order (``pk``). The first waiting entry
whose seat count fits in the offerable seats gets them, then the next, and so on;
a later, smaller entry is served before an earlier one only while the earlier one
does not fit. An entry whose owner is at a hoarding limit (RESERVATION_MAX_ACTIVE_HOLDS
or RESERVATION_MAX_HELD_SEATS_PER_SHOWTIME) is passed over in that round and keeps
its place: offers respect the limits like any hold.

Triggers: ``on_seats_changed`` (after the commit of any seat change, see
``reservations.signals``) enqueues ``tasks.process_showtime_waitlist`` for a
showtime with open entries; ``process_waitlists`` is the periodic backstop (lost
enqueues, offers that lapsed with nobody booking the showtime).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction

from movie_api.db import retry_once_on_transaction_conflict
from reservations.exceptions import HoldLimitReached, SeatLimitReached
from reservations.models import ReservationStatus
from reservations.selectors import get_seat_map
from reservations.services import cancellation, holds, locking
from showtimes.models import Showtime
from tickets.selectors import find_best_block

from .exceptions import AlreadyWaiting, EntryNotOpen, SeatsAvailable, WaitlistClosed
from .models import OPEN_STATUSES, WaitlistEntry, WaitlistStatus

if TYPE_CHECKING:
    from accounts.models import User

# Showtimes whose waiting list this context is processing: their own seat changes
# need not enqueue another run (the running one goes on until nothing fits).
_processing: ContextVar[frozenset[int]] = ContextVar("_processing", default=frozenset())


# --- seats -----------------------------------------------------------------------


def _offerable(seat: dict) -> bool:
    """A seat an offer may take: free, priced, not kept for wheelchair users."""
    return (
        seat["status"] == "available"
        and seat["price"] is not None
        and "wheelchair" not in seat["features"]
        and "companion" not in seat["features"]
    )


def count_offerable(seat_map: list[dict]) -> int:
    return sum(1 for seat in seat_map if _offerable(seat))


def choose_seats(seat_map: list[dict], count: int) -> list[str] | None:
    """The best ``count`` offerable seats of ``seat_map``, or None if too few.

    The best adjacent block (``tickets.selectors.find_best_block``, the
    best-available search) when there is one; otherwise the best single seats, one
    at a time by the same ranking: a party that waits for two seats is better
    served by two good seats apart than by no offer.
    """
    if count_offerable(seat_map) < count:
        return None
    block = find_best_block(seat_map, count=count)
    if block is not None:
        return [seat["label"] for seat in block]
    remaining = [dict(seat) for seat in seat_map]
    chosen = []
    for _ in range(count):
        seat = find_best_block(remaining, count=1)[0]  # enough are left (above)
        seat["status"] = "held"
        chosen.append(seat["label"])
    return chosen


# --- join and leave --------------------------------------------------------------


def _is_closed(showtime: Showtime, now: datetime) -> bool:
    return showtime.is_cancelled or showtime.starts_at <= now


@retry_once_on_transaction_conflict
def join_waitlist(*, user: User, showtime: Showtime, seats: int) -> WaitlistEntry:
    """Put ``user`` on ``showtime``'s waiting list for ``seats`` seats.

    Refused while enough seats are free to book now (``SeatsAvailable``), when the
    user already waits or holds an offer here (``AlreadyWaiting``), and once the
    showtime started or was cancelled (``WaitlistClosed``). Decided under the
    showtime lock, so a seat freed concurrently is either seen here (409, book it)
    or offered to this entry after its commit.
    """
    with locking.decide_on_showtime(showtime.pk) as decision:
        showtime, now = decision.showtime, decision.now
        if _is_closed(showtime, now):
            raise WaitlistClosed(showtime=showtime.pk)
        free = count_offerable(get_seat_map(showtime=showtime))
        if free >= seats:
            raise SeatsAvailable(available=free, seats=seats)
        if WaitlistEntry.objects.filter(
            user=user, showtime=showtime, status__in=OPEN_STATUSES
        ).exists():
            raise AlreadyWaiting(showtime=showtime.pk)
        try:
            with transaction.atomic():  # savepoint: the unique index is the backstop
                return WaitlistEntry.objects.create(
                    user=user, showtime=showtime, seats=seats, created_at=now
                )
        except IntegrityError as exc:
            raise AlreadyWaiting(showtime=showtime.pk) from exc


@retry_once_on_transaction_conflict
def leave_waitlist(*, entry: WaitlistEntry, actor: User) -> WaitlistEntry:
    """Leave the list: a waiting entry is dropped; an entry holding an offer lets
    it go (the hold is cancelled and its seats pass to the next entry).
    ``EntryNotOpen`` once the entry is neither."""
    with locking.decide_on_showtime(entry.showtime_id) as decision:
        showtime, now = decision.showtime, decision.now
        settle_offers(showtime=showtime, now=now)
        entry = WaitlistEntry.objects.select_related("reservation").get(pk=entry.pk)
        if entry.status == WaitlistStatus.WAITING:
            entry.status = WaitlistStatus.LEFT
        elif entry.status == WaitlistStatus.OFFERED:
            cancellation.cancel_reservation(reservation=entry.reservation, actor=actor)
            entry.status = WaitlistStatus.DECLINED
        else:  # keep the offers just settled
            locking.raise_after_commit(EntryNotOpen(status=entry.status))
        entry.closed_at = now
        entry.save(update_fields=["status", "closed_at"])
    return entry


# --- offers ----------------------------------------------------------------------


def offer_outcome(reservation_status: str, *, showtime_cancelled: bool) -> str:
    """What became of an offer whose hold is no longer held."""
    if reservation_status == ReservationStatus.CONFIRMED:
        return WaitlistStatus.PURCHASED
    if reservation_status == ReservationStatus.EXPIRED:
        return WaitlistStatus.LAPSED
    if showtime_cancelled:
        return WaitlistStatus.CLOSED
    return WaitlistStatus.DECLINED  # the customer cancelled the hold


def settle_offers(*, showtime: Showtime, now: datetime) -> int:
    """Record the outcome of offers whose hold ended (bought, lapsed, cancelled).

    Call under the showtime lock, after its lapsed holds were released (as
    ``decide_on_showtime`` does). Returns how many were settled.
    """
    settled = 0
    for reservation_status in (
        ReservationStatus.CONFIRMED,
        ReservationStatus.EXPIRED,
        ReservationStatus.CANCELLED,
    ):
        settled += WaitlistEntry.objects.filter(
            showtime_id=showtime.pk,
            status=WaitlistStatus.OFFERED,
            reservation__status=reservation_status,
        ).update(
            status=offer_outcome(
                reservation_status, showtime_cancelled=showtime.is_cancelled
            ),
            closed_at=now,
        )
    return settled


@contextmanager
def _processing_showtime(showtime_id: int) -> Iterator[None]:
    token = _processing.set(_processing.get() | {showtime_id})
    try:
        yield
    finally:
        _processing.reset(token)


def process_showtime(*, showtime_id: int) -> list[WaitlistEntry]:
    """Settle ended offers and offer free seats down the queue until none fits.

    One offer per transaction (``_offer_next``); each re-reads the queue and the
    seats under the showtime lock, so concurrent runs for one showtime take turns
    and never offer a seat twice. Returns the entries offered seats.
    """
    offered: list[WaitlistEntry] = []
    passed: set[int] = set()
    with _processing_showtime(showtime_id):
        while (
            entry := _offer_next(showtime_id=showtime_id, passed=passed)
        ) is not None:
            if entry.status == WaitlistStatus.OFFERED:
                offered.append(entry)
    return offered


@retry_once_on_transaction_conflict
def _offer_next(*, showtime_id: int, passed: set[int]) -> WaitlistEntry | None:
    """Offer seats to the first waiting entry that fits (not in ``passed``).

    Returns the entry offered seats, or one passed over for a hoarding limit (added
    to ``passed``, still waiting), or None when no entry fits (or the showtime
    closed: its waiting entries are closed).
    """
    with locking.decide_on_showtime(showtime_id) as decision:
        showtime, now = decision.showtime, decision.now
        settle_offers(showtime=showtime, now=now)
        waiting = WaitlistEntry.objects.filter(
            showtime_id=showtime_id, status=WaitlistStatus.WAITING
        )
        if _is_closed(showtime, now):
            waiting.update(status=WaitlistStatus.CLOSED, closed_at=now)
            return None
        seat_map = get_seat_map(showtime=showtime)
        free = count_offerable(seat_map)
        entry = (
            waiting.filter(seats__lte=free)  # fits; choose_seats finds them
            .exclude(pk__in=passed)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        if entry is None:
            return None
        try:
            reservation = holds.create_reservation(
                user=entry.user,
                showtime=showtime,
                labels=choose_seats(seat_map, entry.seats),
                hold_seconds=settings.WAITLIST_OFFER_SECONDS,
            )
        except (HoldLimitReached, SeatLimitReached):
            passed.add(entry.pk)  # keeps its place; tried again next round
            return entry
        entry.status, entry.reservation = WaitlistStatus.OFFERED, reservation
        entry.offered_at = now
        entry.save(update_fields=["status", "reservation", "offered_at"])
        transaction.on_commit(partial(_send_offer, entry.pk), robust=True)
        return entry


def _send_offer(entry_id: int) -> None:
    from .tasks import send_offer_email

    send_offer_email.enqueue(entry_id)


def on_seats_changed(sender, *, showtime_id: int, **kwargs) -> None:
    """``reservations.signals.seats_changed`` receiver (after commit): enqueue a
    run for a showtime with open entries, unless one is running here already."""
    if showtime_id in _processing.get():
        return
    if WaitlistEntry.objects.filter(
        showtime_id=showtime_id, status__in=OPEN_STATUSES
    ).exists():
        from .tasks import process_showtime_waitlist

        process_showtime_waitlist.enqueue(showtime_id)


def showtimes_with_open_entries() -> list[int]:
    """Ids of the showtimes whose waiting list has open entries."""
    return list(
        WaitlistEntry.objects.filter(status__in=OPEN_STATUSES)
        .order_by("showtime_id")
        .values_list("showtime_id", flat=True)
        .distinct()
    )


def process_waitlists() -> int:
    """Run every showtime with open entries, here and now; returns offers made.

    The backstop for what the on-commit trigger cannot catch: an offer that lapsed
    while nobody touched its showtime, a trigger lost to a crash between commit and
    enqueue, and waiting entries of showtimes that have started (closed). The
    periodic job (``tasks.process_all_waitlists``) enqueues one run per showtime
    instead, so one showtime's failure does not hold up the others.
    """
    return sum(
        len(process_showtime(showtime_id=showtime_id))
        for showtime_id in showtimes_with_open_entries()
    )

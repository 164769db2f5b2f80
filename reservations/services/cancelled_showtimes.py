"""A cancelled showtime: every purchase on it is cancelled and refunded in full.

Cancelling the showtime (``showtimes.services.update_showtime`` with
``is_cancelled``) frees its holds in that same transaction
(``expiry.on_showtime_cancelled``) and, through ``on_showtime_cancelled_refund``,
enqueues ``reservations.tasks.refund_cancelled_showtime`` once it commits. That
task cancels the confirmed reservations one per transaction with
``cancellation.cancel_reservation`` (the whole amount paid back for a cancelled
show, unused tickets void, seats freed, the audit trail), so a crash halfway
leaves the rest confirmed and nothing half-done; ``resume_cancelled_showtimes``
(periodic, ``reservations.tasks``) enqueues it again for every cancelled showtime
that still has confirmed reservations.

Nobody is refunded twice: each step re-reads the reservation under the showtime
lock and cancels only a confirmed one (``ReservationNotActive`` otherwise, which
the loop skips), and the refund is queued on the commit of the transaction that
moved it to cancelled. Each step also checks under that lock that the showtime is
still cancelled, so a showtime put back on sale stops the refunds.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from django.db import transaction

from movie_api.db import retry_once_on_transaction_conflict
from showtimes.models import Showtime

from ..exceptions import ReservationNotActive
from ..models import Reservation, ReservationStatus
from . import cancellation, locking

if TYPE_CHECKING:
    from accounts.models import User


def on_showtime_cancelled_refund(
    sender, *, showtime: Showtime, actor: User | None = None, **kwargs
) -> None:
    """Receiver of ``showtimes.signals.showtime_cancelled``: refund after commit."""
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    transaction.on_commit(partial(_enqueue_refunds, showtime.pk, actor_id), robust=True)


def _enqueue_refunds(showtime_id: int, actor_id: int | None) -> None:
    from ..tasks import refund_cancelled_showtime

    refund_cancelled_showtime.enqueue(showtime_id, actor_id)


def refund_cancelled_showtime(*, showtime_id: int, actor: User | None = None) -> int:
    """Cancel and refund every confirmed reservation of a cancelled showtime, one
    per transaction, in id order; returns how many this call cancelled.

    ``actor`` (the manager who cancelled the show; None: the system) is recorded
    on each cancellation.
    """
    pks = list(
        Reservation.objects.filter(
            showtime_id=showtime_id, status=ReservationStatus.CONFIRMED
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    cancelled = 0
    for pk in pks:
        outcome = _cancel_one(showtime_id=showtime_id, reservation_id=pk, actor=actor)
        if outcome is None:
            break  # the showtime is on sale again
        cancelled += outcome
    return cancelled


@retry_once_on_transaction_conflict
def _cancel_one(
    *, showtime_id: int, reservation_id: int, actor: User | None
) -> int | None:
    """1 if it cancelled the reservation, 0 if it was no longer confirmed, None if
    the showtime is no longer cancelled."""
    with locking.decide_on_showtime(showtime_id) as decision:
        if not decision.showtime.is_cancelled:
            return None
        reservation = Reservation.objects.get(pk=reservation_id)
        try:
            cancellation.cancel_reservation(reservation=reservation, actor=actor)
        except ReservationNotActive:
            return 0
        return 1


def cancelled_showtimes_to_refund() -> list[int]:
    """Ids of cancelled showtimes that still have confirmed reservations."""
    return list(
        Reservation.objects.filter(
            status=ReservationStatus.CONFIRMED, showtime__is_cancelled=True
        )
        .order_by("showtime_id")
        .values_list("showtime_id", flat=True)
        .distinct()
    )


def resume_cancelled_showtimes() -> int:
    """Refund, here and now, what a crash left of every cancelled showtime; returns
    how many reservations it cancelled (the management command; the periodic job
    enqueues one task per showtime instead)."""
    return sum(
        refund_cancelled_showtime(showtime_id=showtime_id)
        for showtime_id in cancelled_showtimes_to_refund()
    )

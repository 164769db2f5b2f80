"""Ending holds in bulk: lapsed holds (expired) and the holds of a cancelled showtime.

Both run with the showtime already locked: ``release_expired_holds`` from
``locking.decide_on_showtime`` (every booking decision starts with it),
``cancel_holds_of_cancelled_showtime`` from the transaction that cancels the show.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils import timezone

from showtimes.models import Showtime

from ..models import (
    Reservation,
    ReservationAction,
    ReservationEvent,
    ReservationStatus,
    ReservedSeat,
)
from . import vouchers
from .audit import build_event, bump_seats_version

if TYPE_CHECKING:
    from accounts.models import User


def release_expired_holds(
    *, showtime_id: int, now: datetime | None = None, trigger: str = "lazy"
) -> list[int]:
    """Mark this showtime's lapsed holds expired, free their seats, record each.

    Call it with the showtime locked (``decide_on_showtime`` does), or through
    ``expire_holds``. Returns the ids of the reservations it expired. The events
    have no actor (the system expires holds) but carry the request id of whatever
    booking released them; ``trigger`` says which path did ("lazy" or "sweep").
    """
    now = now or timezone.now()
    return _end_holds(
        Reservation.objects.filter(
            showtime_id=showtime_id, status=ReservationStatus.HELD, expires_at__lte=now
        ),
        showtime_id=showtime_id,
        status=ReservationStatus.EXPIRED,
        action=ReservationAction.EXPIRED,
        actor=None,
        now=now,
        trigger=trigger,
    )


def cancel_holds_of_cancelled_showtime(
    *, showtime_id: int, actor: User | None = None, now: datetime | None = None
) -> list[int]:
    """Free every hold of a showtime that was just cancelled; returns their ids.

    Runs in the transaction that cancels the showtime, under its lock (a receiver of
    ``showtimes.signals.showtime_cancelled``). Lapsed holds are recorded as expired,
    the others as cancelled by ``actor`` (the manager) with nothing to refund.
    Purchases are cancelled and refunded in full after this commits, one per
    transaction (``cancelled_showtimes``); until then their buyers (or box office)
    may cancel them for a full refund whatever the cutoff, and their tickets are
    refused at the door.
    """
    now = now or timezone.now()
    release_expired_holds(showtime_id=showtime_id, now=now)
    return _end_holds(
        Reservation.objects.filter(
            showtime_id=showtime_id, status=ReservationStatus.HELD
        ),
        showtime_id=showtime_id,
        status=ReservationStatus.CANCELLED,
        action=ReservationAction.CANCELLED,
        actor=actor,
        now=now,
        reason="showtime_cancelled",
    )


def on_showtime_cancelled(
    sender, *, showtime: Showtime, actor: User | None = None, **kwargs
) -> None:
    """Receiver of ``showtimes.signals.showtime_cancelled``."""
    cancel_holds_of_cancelled_showtime(showtime_id=showtime.pk, actor=actor)


def _end_holds(
    holds: QuerySet[Reservation],
    *,
    showtime_id: int,
    status: str,
    action: str,
    actor,
    now: datetime,
    **extra,
) -> list[int]:
    """Move ``holds`` (held reservations of one locked showtime) to ``status``.

    Frees their seats, appends one ``action`` event each (with ``extra`` details),
    and bumps the seat-map version once.
    """
    ended = list(holds.order_by("pk"))
    if not ended:
        return []
    ids = [reservation.pk for reservation in ended]
    labels: dict[int, list[str]] = {pk: [] for pk in ids}
    for reservation_id, label in (
        ReservedSeat.objects.filter(reservation_id__in=ids, is_active=True)
        .order_by("reservation_id", "seat_id")
        .values_list("reservation_id", "seat__label")
    ):
        labels[reservation_id].append(label)
    changes = {"status": status}
    if status == ReservationStatus.CANCELLED:
        changes.update(cancelled_at=now, refund_amount=Decimal("0.00"))
    Reservation.objects.filter(pk__in=ids, status=ReservationStatus.HELD).update(
        **changes
    )
    ReservedSeat.objects.filter(reservation_id__in=ids, is_active=True).update(
        is_active=False
    )
    # None of them was bought: each gives its voucher's use back.
    vouchers.release_uses(reservation.voucher_id for reservation in ended)
    ReservationEvent.objects.bulk_create(
        [
            build_event(
                reservation=reservation,
                action=action,
                actor=actor,
                now=now,
                from_status=ReservationStatus.HELD,
                to_status=status,
                seats=labels[reservation.pk],
                expires_at=reservation.expires_at,
                **extra,
            )
            for reservation in ended
        ]
    )
    bump_seats_version(showtime_id)
    return ids

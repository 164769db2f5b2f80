"""Cancelling a reservation: a hold frees its seats, a purchase is refunded.

The refund is computed from what was paid (``amount_paid``), never from a total.
A ticket that was checked in is never refunded and its seat stays claimed, so it
is never sold again for that showtime.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction

from movie_api.db import retry_once_on_transaction_conflict
from movie_api.permissions import may_cancel_after_cutoff
from showtimes.models import Showtime

from ..exceptions import CancellationClosed, ReservationNotActive, TicketUsed
from ..models import Reservation, ReservationAction, ReservationStatus, ReservedSeat
from ..payments import get_gateway
from . import locking, seats, vouchers
from .audit import bump_seats_version, record_event

if TYPE_CHECKING:
    from accounts.models import User


@retry_once_on_transaction_conflict
def cancel_reservation(*, reservation: Reservation, actor: User) -> Reservation:
    """Cancel: a hold frees its seats at once; a purchase is refunded within policy.

    Owners may cancel a confirmed reservation until CANCELLATION_CUTOFF_MINUTES
    before the show, and not once one of its tickets was checked in
    (``TicketUsed``); staff may cancel at any time, and anyone allowed to cancel
    may once the showtime was cancelled. The refund is what was paid, less the
    price of every seat whose ticket was used (a cancelled show refunds it all).
    """
    with locking.decide_on_showtime(reservation.showtime_id) as decision:
        showtime, now = decision.showtime, decision.now
        reservation = Reservation.objects.get(pk=reservation.pk)
        from_status = reservation.status
        used_seat_ids: set[int] = set()
        if from_status == ReservationStatus.HELD:
            reservation.refund_amount = Decimal("0.00")
            vouchers.release_uses([reservation.voucher_id])  # not bought: use back
        elif from_status == ReservationStatus.CONFIRMED:
            used_seat_ids = _settle_purchase(
                reservation, showtime, actor=actor, now=now
            )
        else:  # keep an expiry released on the way in
            locking.raise_after_commit(ReservationNotActive(status=from_status))
        labels = seats.labels_of(reservation)
        reservation.status = ReservationStatus.CANCELLED
        reservation.cancelled_at = now
        reservation.save(update_fields=["status", "cancelled_at", "refund_amount"])
        ReservedSeat.objects.filter(reservation=reservation, is_active=True).exclude(
            seat_id__in=used_seat_ids
        ).update(is_active=False)
        details = {"refund_amount": reservation.refund_amount}
        if used_seat_ids:
            details["used_seats"] = seats.labels_of(reservation, used_seat_ids)
        record_event(
            reservation=reservation,
            action=ReservationAction.CANCELLED,
            actor=actor,
            now=now,
            from_status=from_status,
            to_status=ReservationStatus.CANCELLED,
            seats=labels,
            **details,
        )
        bump_seats_version(showtime.pk)
    return reservation


def _settle_purchase(
    reservation: Reservation, showtime: Showtime, *, actor: User, now: datetime
) -> set[int]:
    """Check the policy, set the refund, void unused tickets, queue the refund.

    Returns the seat ids of used tickets (their seats stay claimed).
    """
    anytime = showtime.is_cancelled or may_cancel_after_cutoff(actor)
    cutoff = showtime.starts_at - timedelta(
        minutes=settings.CANCELLATION_CUTOFF_MINUTES
    )
    if now >= cutoff and not anytime:
        raise CancellationClosed(cutoff=cutoff.isoformat())
    used_seat_ids = lock_used_tickets(reservation)
    if used_seat_ids and not anytime:
        raise TicketUsed(seats=seats.labels_of(reservation, used_seat_ids))
    # A cancelled show was not seen, used ticket or not: all of it goes back.
    reservation.refund_amount = _refundable(
        reservation, set() if showtime.is_cancelled else used_seat_ids
    )
    reservation.tickets.filter(checked_in_at__isnull=True).update(is_void=True)
    if reservation.refund_amount:
        reference, amount = reservation.payment_reference, reservation.refund_amount
        transaction.on_commit(
            lambda: get_gateway().refund(reference=reference, amount=amount)
        )
    return used_seat_ids


def lock_used_tickets(reservation: Reservation) -> set[int]:
    """Seat ids of the reservation's checked-in tickets, with its tickets locked.

    Check-in takes no showtime lock; it claims a ticket with a conditional UPDATE.
    Locking the tickets here (FOR UPDATE reads the latest committed row on
    PostgreSQL; SQLite's IMMEDIATE transactions queue) means a check-in either
    committed before this read, and is seen, or waits and then finds the ticket
    void: a ticket is never both used and refunded.
    """
    tickets = reservation.tickets.select_for_update().order_by("pk")
    return {
        seat_id
        for seat_id, checked_in_at in tickets.values_list("seat_id", "checked_in_at")
        if checked_in_at is not None
    }


def _refundable(reservation: Reservation, used_seat_ids: set[int]) -> Decimal:
    """What was paid, less what the seats whose tickets were used cost after their
    discount (never below zero)."""
    paid = reservation.amount_paid
    if paid is None:  # confirmed before amount_paid existed and not migrated
        paid = reservation.total_price
    used = sum(
        (
            price - discount
            for price, discount in reservation.reserved_seats.filter(
                seat_id__in=used_seat_ids
            ).values_list("price", "discount")
        ),
        Decimal("0.00"),
    )
    return max(paid - used, Decimal("0.00"))

"""Cancelling: a hold frees its seats; a purchase, or some of its seats, is given
back and refunded less the fee of its tier; box office and staff refund in full.

Money is counted from what was paid (``amount_paid``), never from a total:

- A seat's **share** is what it was charged: its price less its discount (vouchers
  and comps discount each seat, so the shares add up to what the purchase charged).
- Giving seats back refunds their shares less the **fee** of the tier in force
  (``CANCELLATION_POLICY``): per seat, ``share * percent / 100`` rounded half up to
  the cent, kept on the seat's row (``ReservedSeat.fee``) and added to
  ``Reservation.fee``. What is refunded is added to ``refund_amount``.
- What is still paid for is ``amount_paid - refund_amount - fee``. A partial cancel
  never refunds more than that; cancelling the rest refunds all of it less the
  shares of used tickets and the fee, so any cent left by rounding goes back with
  the last seat. Hence ``refund_amount + fee <= amount_paid`` always (also a check
  constraint). ``total_price`` and ``discount_total`` keep what the purchase
  charged.
- A ticket that was checked in is never refunded and its seat stays claimed, so it
  is never sold again for that showtime; a cancelled show gives everything back.

The refund itself goes through ``refunds.refund_payment`` once the transaction that
recorded it committed, outside the showtime lock (as purchase calls the gateway).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.conf import settings

from movie_api.db import retry_once_on_transaction_conflict
from movie_api.permissions import may_cancel_after_cutoff
from showtimes.models import Showtime

from ..exceptions import (
    CancellationClosed,
    InvalidSeatSelection,
    NothingToRefund,
    ReservationNotActive,
    ReservationNotConfirmed,
    SeatsAlreadyCancelled,
    TicketUsed,
)
from ..models import (
    Reservation,
    ReservationAction,
    ReservationStatus,
    ReservedSeat,
    Ticket,
)
from . import locking, seats, vouchers
from .audit import bump_seats_version, record_event
from .refunds import refund_payment

if TYPE_CHECKING:
    from accounts.models import User

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


# --- the policy -----------------------------------------------------------------------


def fee_tiers() -> tuple[tuple[int, Decimal], ...]:
    """((minutes before the start, fee percent), ...), longest first.

    CANCELLATION_POLICY, or ``<CANCELLATION_CUTOFF_MINUTES>m:0`` when it is unset.
    """
    return settings.CANCELLATION_POLICY or (
        (settings.CANCELLATION_CUTOFF_MINUTES, Decimal("0")),
    )


def fee_percent(showtime: Showtime, now: datetime) -> Decimal | None:
    """The fee of the tier in force at ``now``; None once every tier is past."""
    left = showtime.starts_at - now
    for minutes, percent in fee_tiers():
        if left > timedelta(minutes=minutes):
            return percent
    return None


def _policy_percent(
    showtime: Showtime, *, actor: User | None, now: datetime
) -> Decimal:
    """The fee for giving seats back now; ``CancellationClosed`` past the last tier.

    A cancelled show costs nothing, at any time. Staff may cancel past the last
    tier, at its fee.
    """
    if showtime.is_cancelled:
        return Decimal("0")
    percent = fee_percent(showtime, now)
    if percent is not None:
        return percent
    minutes, last = fee_tiers()[-1]
    if may_cancel_after_cutoff(actor):
        return last
    cutoff = showtime.starts_at - timedelta(minutes=minutes)
    raise CancellationClosed(cutoff=cutoff.isoformat())


def _share(row: ReservedSeat) -> Decimal:
    return row.price - row.discount


def _fee(share: Decimal, percent: Decimal) -> Decimal:
    return (share * percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def _still_paid(reservation: Reservation) -> Decimal:
    """What the reservation's active seats are still paid with."""
    paid = reservation.amount_paid
    if paid is None:  # confirmed before amount_paid existed and not migrated
        paid = reservation.total_price
    return paid - (reservation.refund_amount or ZERO) - reservation.fee


# --- use cases --------------------------------------------------------------------------


@retry_once_on_transaction_conflict
def cancel_reservation(*, reservation: Reservation, actor: User) -> Reservation:
    """Cancel: a hold frees its seats at once; a purchase is refunded within policy.

    Owners may cancel a confirmed reservation while a fee tier is in force
    (``CancellationClosed`` after the last), and not once one of its tickets was
    checked in (``TicketUsed``); staff may cancel at any time (past the last tier
    at its fee), and anyone allowed to cancel may once the showtime was cancelled.
    The refund is what is still paid, less the shares of used tickets and the fee
    (a cancelled show refunds it all).
    """
    with locking.decide_on_showtime(reservation.showtime_id) as decision:
        showtime, now = decision.showtime, decision.now
        reservation = Reservation.objects.get(pk=reservation.pk)
        from_status = reservation.status
        if from_status == ReservationStatus.HELD:
            labels = seats.labels_of(reservation)
            reservation.refund_amount = ZERO
            vouchers.release_uses([reservation.voucher_id])  # not bought: use back
            ReservedSeat.objects.filter(reservation=reservation, is_active=True).update(
                is_active=False
            )
            _close(reservation, actor=actor, now=now, labels=labels, refund_amount=ZERO)
        elif from_status == ReservationStatus.CONFIRMED:
            percent = _policy_percent(showtime, actor=actor, now=now)
            used = lock_used_tickets(reservation)
            if used and not (showtime.is_cancelled or may_cancel_after_cutoff(actor)):
                raise TicketUsed(seats=seats.labels_of(reservation, used))
            _cancel_purchase(
                reservation, showtime, actor=actor, now=now, percent=percent, used=used
            )
        else:  # keep an expiry released on the way in
            locking.raise_after_commit(ReservationNotActive(status=from_status))
        bump_seats_version(showtime.pk)
    return reservation


@retry_once_on_transaction_conflict
def cancel_seats(
    *, reservation: Reservation, labels: list[str], actor: User
) -> Reservation:
    """Give back some seats of a purchase: free them, void their tickets, refund
    their shares less the fee of the tier in force (see the module docstring).

    The same policy as ``cancel_reservation``; a seat whose ticket was used cannot
    be given back (``TicketUsed``, also for staff). Giving back every seat left
    cancels the reservation. Labels that are not on the screen are
    ``UnknownSeats``; seats of the screen that this reservation never had,
    ``InvalidSeatSelection``; seats it already gave back, ``SeatsAlreadyCancelled``.
    """
    labels = seats.clean_labels(labels, limit=settings.GROUP_BOOKING_MAX)
    with locking.decide_on_showtime(reservation.showtime_id) as decision:
        showtime, now = decision.showtime, decision.now
        reservation = Reservation.objects.get(pk=reservation.pk)
        if reservation.status != ReservationStatus.CONFIRMED:
            error = (
                ReservationNotConfirmed
                if reservation.status == ReservationStatus.HELD
                else ReservationNotActive
            )  # after commit: keep an expiry released on the way in
            locking.raise_after_commit(error(status=reservation.status))
        wanted = {seat.pk: seat.label for seat in seats.seats_for(showtime, labels)}
        rows = {
            row.seat_id: row
            for row in reservation.reserved_seats.filter(seat_id__in=list(wanted))
        }
        foreign = sorted(wanted[pk] for pk in wanted.keys() - rows.keys())
        if foreign:
            raise InvalidSeatSelection(
                f"Not seats of this reservation: {', '.join(foreign)}.", seats=foreign
            )
        gone = sorted(wanted[pk] for pk, row in rows.items() if not row.is_active)
        if gone:
            raise SeatsAlreadyCancelled(seats=gone)
        percent = _policy_percent(showtime, actor=actor, now=now)
        used = lock_used_tickets(reservation)
        if used & wanted.keys():
            raise TicketUsed(seats=sorted(wanted[pk] for pk in used & wanted.keys()))
        left = reservation.reserved_seats.filter(is_active=True).exclude(
            seat_id__in=list(wanted)
        )
        if not left.exists():  # the last seats: the reservation is cancelled
            _cancel_purchase(
                reservation, showtime, actor=actor, now=now, percent=percent, used=used
            )
        else:
            given = sorted(rows.values(), key=lambda row: row.seat_id)
            shares = sum((_share(row) for row in given), ZERO)
            value = min(shares, _still_paid(reservation))
            refund, fee = _give_back(reservation, given, percent=percent, value=value)
            record_event(
                reservation=reservation,
                action=ReservationAction.SEATS_CANCELLED,
                actor=actor,
                now=now,
                from_status=ReservationStatus.CONFIRMED,
                to_status=ReservationStatus.CONFIRMED,
                seats=[wanted[row.seat_id] for row in given],
                refund_amount=refund,
                fee=fee,
                fee_percent=percent,
            )
            _refund_on_commit(
                reservation, refund, reason="seats_cancelled", actor=actor
            )
        bump_seats_version(showtime.pk)
    return reservation


@retry_once_on_transaction_conflict
def refund_in_full(
    *, reservation: Reservation, actor: User, reason: str
) -> Reservation:
    """Box office and staff: refund everything still kept, at any time, no fee.

    A confirmed reservation is cancelled on the way (its unused seats freed, their
    tickets void); a cancelled purchase gets back the fees it kept. Used tickets
    keep their money and their seats, unless the show was cancelled.
    ``NothingToRefund`` when nothing is left. Audited as ``refunded`` with ``reason``.
    """
    with locking.decide_on_showtime(reservation.showtime_id) as decision:
        showtime, now = decision.showtime, decision.now
        reservation = Reservation.objects.get(pk=reservation.pk)
        from_status = reservation.status
        if reservation.confirmed_at is None or from_status not in (
            ReservationStatus.CONFIRMED,
            ReservationStatus.CANCELLED,
        ):
            raise NothingToRefund(status=from_status)
        used = lock_used_tickets(reservation)
        kept = set() if showtime.is_cancelled else used
        kept_value = sum(
            (
                _share(row)
                for row in reservation.reserved_seats.filter(seat_id__in=kept)
            ),
            ZERO,
        )
        # The fees come back too: what is kept is only the used tickets' shares.
        paid = reservation.amount_paid
        if paid is None:
            paid = reservation.total_price
        refund = paid - (reservation.refund_amount or ZERO) - kept_value
        if refund <= 0:
            raise NothingToRefund(status=from_status)
        labels = seats.labels_of(reservation)
        freed = reservation.reserved_seats.filter(is_active=True).exclude(
            seat_id__in=used
        )
        freed_labels = list(
            freed.order_by("seat_id").values_list("seat__label", flat=True)
        )
        freed.update(is_active=False)
        reservation.reserved_seats.exclude(fee=ZERO).update(fee=ZERO)
        reservation.tickets.filter(checked_in_at__isnull=True).update(is_void=True)
        reservation.refund_amount = (reservation.refund_amount or ZERO) + refund
        reservation.fee = ZERO
        reservation.status = ReservationStatus.CANCELLED
        reservation.cancelled_at = reservation.cancelled_at or now
        reservation.save(
            update_fields=["status", "cancelled_at", "refund_amount", "fee"]
        )
        record_event(
            reservation=reservation,
            action=ReservationAction.REFUNDED,
            actor=actor,
            now=now,
            from_status=from_status,
            to_status=ReservationStatus.CANCELLED,
            seats=labels if from_status == ReservationStatus.CONFIRMED else [],
            freed_seats=freed_labels,
            refund_amount=refund,
            reason=reason,
        )
        _refund_on_commit(reservation, refund, reason=reason, actor=actor)
        bump_seats_version(showtime.pk)
    return reservation


# --- helpers ---------------------------------------------------------------------------


def _cancel_purchase(
    reservation: Reservation,
    showtime: Showtime,
    *,
    actor: User,
    now: datetime,
    percent: Decimal,
    used: set[int],
) -> None:
    """Cancel a confirmed reservation: give back every unused seat, refund what is
    still paid less the used tickets' shares and the fee, void unused tickets."""
    # A cancelled show was not seen, used ticket or not: all of it goes back.
    kept = set() if showtime.is_cancelled else used
    labels = seats.labels_of(reservation)
    rows = list(reservation.reserved_seats.filter(is_active=True).order_by("seat_id"))
    kept_value = sum((_share(row) for row in rows if row.seat_id in kept), ZERO)
    value = max(_still_paid(reservation) - kept_value, ZERO)
    given = [row for row in rows if row.seat_id not in used]
    refund, fee = _give_back(reservation, given, percent=percent, value=value)
    details = {"refund_amount": refund}
    if fee:
        details.update(fee=fee, fee_percent=percent)
    if used:
        details["used_seats"] = seats.labels_of(reservation, used)
    _close(reservation, actor=actor, now=now, labels=labels, **details)
    _refund_on_commit(reservation, refund, reason="cancelled", actor=actor)


def _give_back(
    reservation: Reservation,
    rows: list[ReservedSeat],
    *,
    percent: Decimal,
    value: Decimal,
) -> tuple[Decimal, Decimal]:
    """Free ``rows`` (fee per seat), void their unused tickets, and add ``value``
    less the fees to ``refund_amount``. Returns (refund, fee)."""
    for row in rows:
        row.fee = min(_fee(_share(row), percent), _share(row))
        row.is_active = False
    fee = min(sum((row.fee for row in rows), ZERO), value)
    ReservedSeat.objects.bulk_update(rows, ["fee", "is_active"])
    Ticket.objects.filter(
        reservation=reservation,
        seat_id__in=[row.seat_id for row in rows],
        checked_in_at__isnull=True,
    ).update(is_void=True)
    refund = value - fee
    reservation.refund_amount = (reservation.refund_amount or ZERO) + refund
    reservation.fee += fee
    reservation.save(update_fields=["refund_amount", "fee"])
    return refund, fee


def _close(
    reservation: Reservation,
    *,
    actor: User,
    now: datetime,
    labels: list[str],
    **details,
) -> None:
    from_status = reservation.status
    reservation.status = ReservationStatus.CANCELLED
    reservation.cancelled_at = now
    reservation.save(update_fields=["status", "cancelled_at", "refund_amount"])
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


def _refund_on_commit(
    reservation: Reservation, amount: Decimal, *, reason: str, actor: User | None
) -> None:
    """Record the refund in the deciding transaction; the provider is asked once
    it commits (``refund_payment``). A crash between the commit and that call
    leaves a pending ``Refund`` that ``reconcile_payments`` sends, not a refund
    the books promise and nobody owes."""
    if amount > 0:
        refund_payment(reservation, amount, reason=reason, actor=actor)


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

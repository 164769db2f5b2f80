"""Buying a hold: charge outside the lock, confirm under it, refund on any loss.

The gateway is called *outside* the lock (a slow gateway must not stall every
booking of a showtime). Purchase charges a quote (the hold's seats and prices, read
in one query), then re-checks under the lock that the hold is still held, the show
still open and the quote unchanged; if anything was lost meanwhile (expired,
cancelled, bought by a twin request, seats changed by a racing PATCH, showtime
closed) the charge is refunded. What is confirmed is exactly what was charged.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from movie_api import metrics
from movie_api.db import retry_once_on_transaction_conflict

from ..exceptions import (
    HoldExpired,
    PaymentDeclined,
    ReservationChanged,
    ReservationNotHeld,
    ShowtimeClosed,
)
from ..models import (
    Reservation,
    ReservationAction,
    ReservationStatus,
    ReservedSeat,
    Ticket,
)
from ..payments import Charge, get_gateway
from . import locking, seats
from .audit import bump_seats_version, record_event
from .holds import release_showtime_holds

if TYPE_CHECKING:
    from accounts.models import User

# ((seat id, ticket type id, price, discount), ...), total to pay, voucher id
Quote = tuple[tuple[tuple[int, int | None, Decimal, Decimal], ...], Decimal, int | None]


def quote(reservation: Reservation) -> Quote:
    """What a purchase pays for, in one query: each seat with its ticket type,
    price and discount, the total after discounts, and the voucher. A change of
    any of them between the charge and the confirmation is a ``ReservationChanged``.
    """
    rows = tuple(
        reservation.reserved_seats.filter(is_active=True)
        .order_by("seat_id")
        .values_list("seat_id", "ticket_type_id", "price", "discount")
    )
    total = sum((price - discount for _, _, price, discount in rows), Decimal("0.00"))
    return rows, total, reservation.voucher_id


def purchase_reservation(
    *,
    reservation: Reservation,
    payment_token: str | None = None,
    actor: User | None = None,
) -> Reservation:
    """Confirm a held, unexpired reservation: charge, then issue one ticket per seat.

    Purchasing an already confirmed reservation returns it unchanged (no second
    charge, no second set of tickets). If the seats change between the charge and
    the confirmation (a racing PATCH), the charge is refunded and the purchase is
    refused with ``ReservationChanged``: nothing is confirmed that was not paid for.
    ``actor`` (for the audit trail) defaults to the reservation's owner.
    """
    reservation = Reservation.objects.select_related("user").get(pk=reservation.pk)
    if reservation.status == ReservationStatus.CONFIRMED:
        return reservation
    now = timezone.now()
    if reservation.status == ReservationStatus.HELD and reservation.expires_at <= now:
        release_showtime_holds(
            showtime_id=reservation.showtime_id, now=now, trigger="lazy"
        )
        raise HoldExpired(reservation=reservation.code)
    seats.ensure_held(reservation, now)
    seats.ensure_open(reservation.showtime, now)

    offer = quote(reservation)
    gateway = get_gateway()
    try:
        charge = gateway.charge(
            amount=offer[1],
            token=payment_token,
            description=f"Reservation {reservation.code}",
        )
    except PaymentDeclined:
        metrics.PAYMENT_FAILURES.inc()  # no transaction is open: nothing to undo
        raise
    try:
        return _confirm(
            reservation=reservation,
            charge=charge,
            offer=offer,
            actor=actor if actor is not None else reservation.user,
        )
    except _AlreadyConfirmed:
        # A concurrent purchase of the same reservation won: refund this charge.
        gateway.refund(reference=charge.reference, amount=charge.amount)
        return Reservation.objects.get(pk=reservation.pk)
    except BaseException:
        gateway.refund(reference=charge.reference, amount=charge.amount)
        raise


class _AlreadyConfirmed(Exception):
    """Internal: another request confirmed this reservation first."""


@retry_once_on_transaction_conflict
def _confirm(
    *, reservation: Reservation, charge: Charge, offer: Quote, actor: User
) -> Reservation:
    with locking.decide_on_showtime(reservation.showtime_id) as decision:
        reservation = Reservation.objects.get(pk=reservation.pk)
        _ensure_still_buyable(reservation, decision, charge=charge, offer=offer)
        reservation.status = ReservationStatus.CONFIRMED
        reservation.confirmed_at = decision.now
        reservation.amount_paid = charge.amount
        reservation.payment_reference = charge.reference
        reservation.save(
            update_fields=["status", "confirmed_at", "amount_paid", "payment_reference"]
        )
        ReservedSeat.objects.filter(reservation=reservation, is_active=True).update(
            held_until=None
        )
        codes = {seat_id: seats.generate_ticket_code() for seat_id, *_ in offer[0]}
        Ticket.objects.bulk_create(
            Ticket(reservation=reservation, seat_id=seat_id, code=code)
            for seat_id, code in codes.items()
        )
        record_event(
            reservation=reservation,
            action=ReservationAction.PURCHASED,
            actor=actor,
            now=decision.now,
            from_status=ReservationStatus.HELD,
            to_status=ReservationStatus.CONFIRMED,
            seats=seats.labels_of(reservation),
            amount=charge.amount,
            payment_reference=charge.reference,
            tickets=len(offer[0]),
        )
        bump_seats_version(reservation.showtime_id)
    return reservation


def _ensure_still_buyable(
    reservation: Reservation,
    decision: locking.Decision,
    *,
    charge: Charge,
    offer: Quote,
) -> None:
    """Under the lock: the hold, the show and the quote are as they were charged.

    A lost hold is raised after commit, so the expiry released on the way in is kept.
    """
    if reservation.status == ReservationStatus.CONFIRMED:
        locking.raise_after_commit(_AlreadyConfirmed())
    try:
        seats.ensure_held(reservation, decision.now)
        seats.ensure_open(decision.showtime, decision.now)
        if quote(reservation) != offer or reservation.total_price != charge.amount:
            raise ReservationChanged(
                charged=str(charge.amount), total_price=str(reservation.total_price)
            )
    except (HoldExpired, ReservationNotHeld, ShowtimeClosed, ReservationChanged) as exc:
        locking.raise_after_commit(exc)

"""Buying a hold: pay outside the lock, confirm under it, refund on any loss.

The payment provider is called *outside* the lock (a slow provider must not stall
every booking of a showtime). Purchase pays a quote (the hold's seats and prices,
read in one query), then ``settlement.settle_payment`` re-checks under the lock that
the hold is still held, the show still open and the quote unchanged; if anything was
lost meanwhile (expired, cancelled, bought by a twin request, seats changed by a
racing PATCH, showtime closed) the payment is refunded. What is confirmed is exactly
what was charged.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from payments.models import PaymentStatus

from ..exceptions import HoldExpired
from ..models import Reservation, ReservationStatus
from . import seats, settlement
from .holds import release_showtime_holds
from .settlement import PaymentPending

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
    payment_method: str | None = None,
    actor: User | None = None,
) -> Reservation | PaymentPending:
    """Pay for a held, unexpired reservation; once paid, issue one ticket per seat.

    Purchasing an already confirmed reservation returns it unchanged (no second
    charge, no second set of tickets). A payment the customer still has to complete
    (Stripe without a ``payment_method`` that confirms at once) returns
    ``PaymentPending``; its success arrives by webhook. If the seats change between
    the charge and the confirmation (a racing PATCH), the charge is refunded and the
    purchase is refused with ``ReservationChanged``: nothing is confirmed that was
    not paid for. ``actor`` (for the audit trail) defaults to the reservation's owner.
    """
    reservation = Reservation.objects.select_related(
        "user", "showtime__screen__theater"
    ).get(pk=reservation.pk)
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

    payment, result = settlement.start_payment(
        reservation=reservation,
        offer=quote(reservation),
        payment_method=payment_method or payment_token,
    )
    if payment.status != PaymentStatus.SUCCEEDED and result.status != "succeeded":
        return settlement.PaymentPending(
            payment=payment, client_secret=result.client_secret
        )
    return settlement.settle_payment(
        payment=payment,
        actor=actor if actor is not None else reservation.user,
        raise_on_loss=True,
    )

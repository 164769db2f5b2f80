"""Finding and fixing money that disagrees with bookings (``reconcile_payments``).

Never a confirmed reservation without a succeeded payment; never a succeeded
payment without tickets or a refund. Each pass:

1. makes pending refunds agree with the provider's, then sends again those it
   never had (a provider timeout), with their own idempotency key, so the
   provider refunds each once (never one it has, whose key may have expired);
2. asks the provider about every pending or failed payment (a webhook that never
   came; a customer may retry a failed one) and settles those that succeeded;
3. settles every succeeded payment that confirmed nothing and was not refunded
   (it confirms if it still can, else it is refunded);
4. ends every paid confirmed reservation that has no succeeded payment of its
   reference: cancelled, seats freed, tickets void (recorded with reason
   ``unpaid``).

A plain function (the lead schedules it) and ``manage.py reconcile_payments``.
"""

from __future__ import annotations

from collections import Counter

from django.db.models import Exists, OuterRef

from payments.exceptions import PaymentProviderUnavailable
from payments.models import Payment, PaymentStatus, Refund, RefundStatus
from payments.providers import get_provider

from ..models import Reservation, ReservationAction, ReservationStatus, ReservedSeat
from . import locking
from .audit import bump_seats_version, record_event
from .refunds import send_refund
from .settlement import settle_payment, sync_refunds


def reconcile_payments() -> Counter:
    """One pass over the four checks above; returns what it fixed, by kind."""
    done: Counter = Counter()
    for refund in Refund.objects.filter(status=RefundStatus.PENDING).select_related(
        "payment"
    ):
        try:
            # Ask what the provider has first: a refund it made (answered pending,
            # or the answer was lost) is never asked for again, as Stripe's
            # idempotency keys expire after 24 hours and a repeat would pay twice.
            sync_refunds(refund.payment)
            refund.refresh_from_db()
            if refund.status == RefundStatus.PENDING and not refund.provider_id:
                send_refund(refund)
                done["refunds_sent"] += 1
        except PaymentProviderUnavailable:
            done["provider_unavailable"] += 1
    open_payments = Payment.objects.filter(
        status__in=[PaymentStatus.PENDING, PaymentStatus.FAILED]
    ).exclude(provider="test")  # the test provider keeps no payments to ask about
    for payment in open_payments:
        try:
            result = get_provider(payment.provider).retrieve_payment(
                payment.provider_id
            )
        except PaymentProviderUnavailable:
            done["provider_unavailable"] += 1
            continue
        if result.status == PaymentStatus.SUCCEEDED:
            settle_payment(payment=payment)
            done["payments_settled"] += 1
    unsettled = (
        Payment.objects.filter(status=PaymentStatus.SUCCEEDED, amount__gt=0)
        .exclude(
            Exists(
                Reservation.objects.filter(  # confirmed by it (cancelled since or not)
                    pk=OuterRef("reservation_id"),
                    confirmed_at__isnull=False,
                    payment_reference=OuterRef("provider_id"),
                )
            )
        )
        .exclude(Exists(Refund.objects.filter(payment=OuterRef("pk"))))
    )
    for payment in unsettled:
        settle_payment(payment=payment)
        done["payments_settled"] += 1
    unpaid = Reservation.objects.filter(
        status=ReservationStatus.CONFIRMED, amount_paid__gt=0
    ).exclude(
        Exists(
            Payment.objects.filter(
                reservation=OuterRef("pk"),
                status=PaymentStatus.SUCCEEDED,
                provider_id=OuterRef("payment_reference"),
            )
        )
    )
    for reservation in unpaid:
        if _end_unpaid(reservation):
            done["unpaid_cancelled"] += 1
    return done


def _end_unpaid(reservation: Reservation) -> bool:
    with locking.decide_on_showtime(reservation.showtime_id) as decision:
        reservation = Reservation.objects.get(pk=reservation.pk)
        paid = Payment.objects.filter(
            reservation=reservation,
            status=PaymentStatus.SUCCEEDED,
            provider_id=reservation.payment_reference,
        ).exists()
        if reservation.status != ReservationStatus.CONFIRMED or paid:
            return False
        labels = list(
            reservation.reserved_seats.filter(is_active=True)
            .order_by("seat_id")
            .values_list("seat__label", flat=True)
        )
        reservation.status = ReservationStatus.CANCELLED
        reservation.cancelled_at = decision.now
        reservation.refund_amount = 0
        reservation.save(update_fields=["status", "cancelled_at", "refund_amount"])
        ReservedSeat.objects.filter(reservation=reservation, is_active=True).update(
            is_active=False
        )
        reservation.tickets.update(is_void=True)
        record_event(
            reservation=reservation,
            action=ReservationAction.CANCELLED,
            actor=None,
            now=decision.now,
            from_status=ReservationStatus.CONFIRMED,
            to_status=ReservationStatus.CANCELLED,
            seats=labels,
            reason="unpaid",
            refund_amount=0,
        )
        bump_seats_version(reservation.showtime_id)
    return True

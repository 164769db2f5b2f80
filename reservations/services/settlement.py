"""Money in, decided under the lock: start a payment, then confirm it or give it back.

A payment is started at the provider outside any lock (``start_payment``) and
recorded as a ``Payment`` row. A payment that succeeded, whoever reports it first
(the client's own confirmation or the provider's webhook), is settled under the
showtime lock (``settle_payment``): it confirms the reservation and issues its
tickets only if the quote it paid for still stands; otherwise it is refunded. A
payment that already confirmed its reservation settles to nothing, so a client and
a webhook racing give one confirmation and one set of tickets.

If the hold lapsed while the customer paid, its seats are claimed again when they
are still free; if any was taken meanwhile, the payment is refunded at once and the
reservation ends ``refunded``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from movie_api import metrics
from movie_api.db import retry_once_on_transaction_conflict
from payments.models import Payment, PaymentStatus, RefundStatus
from payments.providers import ProviderEvent, ProviderPayment, get_provider
from theaters.models import Seat

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
from . import locking, refunds, seats, vouchers
from .audit import bump_seats_version, record_event

if TYPE_CHECKING:
    from accounts.models import User

    from .purchase import Quote


@dataclass(frozen=True)
class PaymentPending:
    """A payment the customer still has to complete (Stripe's client_secret)."""

    payment: Payment
    client_secret: str | None


def quote_json(offer: Quote) -> dict:
    rows, total, voucher_id = offer
    return {
        "seats": [[s, t, str(p), str(d)] for s, t, p, d in rows],
        "total": str(total),
        "voucher": voucher_id,
    }


def currency_of(reservation: Reservation) -> str:
    return reservation.showtime.screen.theater.currency


def start_payment(
    *, reservation: Reservation, offer: Quote, payment_method: str | None
) -> tuple[Payment, ProviderPayment]:
    """Start paying ``offer`` at the provider and record it; no lock is held.

    The idempotency key is derived from the reservation, what is paid for, the
    payment method and the number of failed attempts, so a retried request gets the
    same payment back and never a second one.
    """
    total = offer[1]
    provider = get_provider("test" if total == 0 else None)  # nothing to take
    snapshot = quote_json(offer)
    digest = hashlib.sha256(json.dumps(snapshot).encode()).hexdigest()[:16]
    # an attempt that failed or was refunded (lost a race) is not asked for again
    failed = (
        reservation.payments.filter(
            Q(status=PaymentStatus.FAILED) | Q(refunds__isnull=False)
        )
        .distinct()
        .count()
    )
    # the method hashed: Stripe takes keys of up to 255 characters
    method = (
        hashlib.sha256(payment_method.encode()).hexdigest()[:16]
        if payment_method
        else ""
    )
    key = f"purchase-{reservation.code}-{digest}-{method}-{failed}"
    currency = currency_of(reservation)
    try:
        result = provider.create_payment(
            amount=total,
            currency=currency,
            idempotency_key=key,
            description=f"Reservation {reservation.code}",
            metadata={"reservation": reservation.code},
            payment_method=payment_method,
        )
    except PaymentDeclined as exc:
        metrics.PAYMENT_FAILURES.inc()  # nothing of ours to undo
        if getattr(exc, "payment", None) is not None:
            record_payment(provider.name, exc.payment, reservation, snapshot)
        raise
    payment = record_payment(provider.name, result, reservation, snapshot)
    return payment, result


def record_payment(
    provider: str,
    result: ProviderPayment,
    reservation: Reservation,
    snapshot: dict | None = None,
) -> Payment:
    """The row for a provider's payment (created once; status follows the provider,
    but a succeeded payment never goes back). A new pending payment extends the
    hold, once per reservation, by PAYMENT_HOLD_EXTENSION_SECONDS."""
    if result.status != PaymentStatus.PENDING:  # no hold to extend: no lock
        with transaction.atomic():
            return _upsert_payment(provider, result, reservation, snapshot)[0]
    with locking.decide_on_showtime(reservation.showtime_id) as decision:
        payment, created = _upsert_payment(provider, result, reservation, snapshot)
        if created:
            _extend_hold_once(reservation.pk, payment, decision.now)
    return payment


def _upsert_payment(
    provider: str,
    result: ProviderPayment,
    reservation: Reservation,
    snapshot: dict | None,
) -> tuple[Payment, bool]:
    payment, created = Payment.objects.get_or_create(
        provider=provider,
        provider_id=result.provider_id,
        defaults={
            "reservation": reservation,
            "reservation_code": reservation.code,
            "amount": result.amount,
            "currency": result.currency,
            "status": result.status,
            "quote": snapshot or [],
            "failure_code": result.failure_code,
        },
    )
    if not created and payment.reservation_id not in (reservation.pk, None):
        # a provider id is one payment: never let it settle another reservation
        raise IntegrityError(f"{provider} payment {result.provider_id} is not yours")
    if not created and payment.status != PaymentStatus.SUCCEEDED:
        payment.status, payment.failure_code = result.status, result.failure_code
        payment.save(update_fields=["status", "failure_code", "updated_at"])
    return payment, created


def _extend_hold_once(reservation_id: int, payment: Payment, now) -> None:
    reservation = Reservation.objects.get(pk=reservation_id)
    first = not reservation.payments.exclude(pk=payment.pk).exists()
    if not first or reservation.status != ReservationStatus.HELD:
        return
    if reservation.expires_at <= now:
        return
    reservation.expires_at += timedelta(seconds=settings.PAYMENT_HOLD_EXTENSION_SECONDS)
    reservation.save(update_fields=["expires_at"])
    ReservedSeat.objects.filter(reservation=reservation, is_active=True).update(
        held_until=reservation.expires_at
    )


class _Loss(Exception):
    """Internal: the payment cannot confirm; ``error`` says why (None: no error)."""

    def __init__(self, error: Exception | None):
        super().__init__(error)
        self.error = error


def settle_payment(
    *, payment: Payment, actor: User | None = None, raise_on_loss: bool = False
) -> Reservation | None:
    # The client's own purchase keeps today's rule (a lapsed hold is refunded and
    # answered HoldExpired); a payment reported later claims free seats again.
    """A succeeded payment: confirm its reservation, or refund it (see module).

    ``raise_on_loss`` (the client's purchase) re-raises why it could not confirm
    (``ReservationChanged``, ``HoldExpired``, ...) after refunding; the webhook and
    reconciliation refund quietly. Settling twice has no second effect.
    """
    if payment.reservation_id is None:  # its (history) reservation was deleted
        if not payment.refunds.exclude(status=RefundStatus.FAILED).exists():
            refunds.refund_of(payment, payment.amount, reason="reservation deleted")
        return None
    try:
        return _settle(payment=payment, actor=actor, reclaim=not raise_on_loss)
    except _Loss as loss:
        refunds.refund_of(payment, payment.amount, reason=_reason(loss.error))
        if raise_on_loss and loss.error is not None:
            raise loss.error from None
        return Reservation.objects.get(pk=payment.reservation_id)
    except BaseException:
        if raise_on_loss:  # e.g. the retried transaction failed again
            refunds.refund_of(payment, payment.amount, reason="not confirmed")
        raise


def _reason(error: Exception | None) -> str:
    return getattr(error, "code", None) or "paid twice"


@retry_once_on_transaction_conflict
def _settle(*, payment: Payment, actor: User | None, reclaim: bool) -> Reservation:
    with locking.decide_on_showtime(payment.reservation.showtime_id) as decision:
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        reservation = Reservation.objects.select_related("user").get(
            pk=payment.reservation_id
        )
        if payment.status != PaymentStatus.SUCCEEDED:
            payment.status = PaymentStatus.SUCCEEDED
            payment.save(update_fields=["status", "updated_at"])
        if already_settled(reservation, payment):
            return reservation  # no second effect
        from_status = reservation.status
        if from_status == ReservationStatus.CONFIRMED:
            # Paid twice (twin purchases): this one is given back.
            locking.raise_after_commit(_Loss(None))
        reclaim = reclaim and from_status == ReservationStatus.EXPIRED
        try:
            with transaction.atomic():  # a savepoint: a failed claim leaves nothing
                seats.ensure_open(decision.showtime, decision.now)
                if reclaim:
                    _claim_again(reservation, payment)
                else:
                    seats.ensure_held(reservation, decision.now)
                if (
                    quote_json(_quote(reservation)) != payment.quote
                    or reservation.total_price != payment.amount
                ):
                    raise ReservationChanged(
                        charged=str(payment.amount),
                        total_price=str(reservation.total_price),
                    )
        except (
            HoldExpired,
            ReservationNotHeld,
            ShowtimeClosed,
            ReservationChanged,
        ) as exc:
            reservation.refresh_from_db()
            if reclaim:
                _mark_refunded(reservation, payment, decision, exc)
            locking.raise_after_commit(_Loss(exc))
        _confirm(reservation, payment, decision, actor or reservation.user, from_status)
    return reservation


def already_settled(reservation: Reservation, payment: Payment) -> bool:
    """Under the lock: this payment confirmed its reservation, or was refunded.

    The guard that makes a client confirmation and a webhook for the same payment
    confirm once (the race tests replace it for their negative control)."""
    # confirmed_at stays once confirmed: a purchase cancelled since (its fee kept)
    # was settled too, and is never refunded again by a late event or reconcile.
    return (
        reservation.confirmed_at is not None
        and reservation.payment_reference == payment.provider_id
    ) or payment.refunds.exclude(status=RefundStatus.FAILED).exists()


def _quote(reservation: Reservation) -> Quote:
    from .purchase import quote

    return quote(reservation)


def _claim_again(reservation: Reservation, payment: Payment) -> None:
    """A lapsed hold that was paid: take its seats again if they are all free.

    Raises ``HoldExpired`` when a seat (or the voucher's last use) went meanwhile.
    """
    seat_ids = [row[0] for row in payment.quote.get("seats", [])]
    lost = HoldExpired(reservation=reservation.code)
    if not seat_ids or (
        ReservedSeat.objects.filter(
            showtime_id=reservation.showtime_id, seat_id__in=seat_ids, is_active=True
        ).exists()
    ):
        raise lost
    # withdrawn from sale meanwhile (a seat block has no claim row to collide with)
    if seats.blocked_labels(reservation.showtime, [Seat(pk=pk) for pk in seat_ids]):
        raise lost
    rows = {
        row.seat_id: row
        for row in ReservedSeat.objects.filter(
            reservation=reservation, seat_id__in=seat_ids
        ).order_by("pk")
    }
    if len(rows) != len(seat_ids):
        raise lost
    if reservation.voucher_id is not None and not vouchers.claim_use(
        reservation.voucher_id
    ):
        raise lost
    try:
        with transaction.atomic():  # the unique index is the backstop
            for pk in sorted(r.pk for r in rows.values()):
                ReservedSeat.objects.filter(pk=pk).update(
                    is_active=True, held_until=None
                )
    except IntegrityError:
        raise lost from None
    reservation.status = ReservationStatus.HELD


def _mark_refunded(
    reservation: Reservation,
    payment: Payment,
    decision: locking.Decision,
    error: Exception,
) -> None:
    reservation.status = ReservationStatus.REFUNDED
    reservation.refund_amount = payment.amount
    reservation.save(update_fields=["status", "refund_amount"])
    record_event(
        reservation=reservation,
        action=ReservationAction.REFUNDED,
        actor=None,
        now=decision.now,
        from_status=ReservationStatus.EXPIRED,
        to_status=ReservationStatus.REFUNDED,
        seats=[],
        amount=payment.amount,
        payment_reference=payment.provider_id,
        reason=getattr(error, "code", "hold_expired"),
    )


def _confirm(
    reservation: Reservation,
    payment: Payment,
    decision: locking.Decision,
    actor: User,
    from_status: str,
) -> None:
    reservation.status = ReservationStatus.CONFIRMED
    reservation.confirmed_at = decision.now
    reservation.amount_paid = payment.amount
    reservation.payment_reference = payment.provider_id
    reservation.save(
        update_fields=["status", "confirmed_at", "amount_paid", "payment_reference"]
    )
    ReservedSeat.objects.filter(reservation=reservation, is_active=True).update(
        held_until=None
    )
    seat_ids = [row[0] for row in payment.quote["seats"]]
    Ticket.objects.bulk_create(
        Ticket(
            reservation=reservation, seat_id=seat_id, code=seats.generate_ticket_code()
        )
        for seat_id in seat_ids
    )
    record_event(
        reservation=reservation,
        action=ReservationAction.PURCHASED,
        actor=actor,
        now=decision.now,
        from_status=from_status,
        to_status=ReservationStatus.CONFIRMED,
        seats=seats.labels_of(reservation),
        amount=payment.amount,
        payment_reference=payment.provider_id,
        tickets=len(seat_ids),
    )
    bump_seats_version(reservation.showtime_id)


# --- provider events (the webhook) ----------------------------------------------


def handle_payment_event(*, provider: str, event: ProviderEvent) -> str:
    """Apply one verified provider event; a replay (same id) changes nothing.

    Every effect is idempotent by itself (settling twice does nothing), and the
    event is stored by id once applied, so a replay is answered without effect.
    Returns what was done (for logs and tests).
    """
    from payments.models import WebhookEvent

    if WebhookEvent.objects.filter(provider=provider, event_id=event.id).exists():
        return "replay"
    outcome = "ignored"
    if event.payment is not None:
        payment = _payment_for(provider, event.payment)
        if payment is not None:
            outcome = _apply(provider, event, payment)
    WebhookEvent.objects.get_or_create(
        provider=provider, event_id=event.id, defaults={"type": event.type}
    )
    return outcome


def _payment_for(provider: str, result: ProviderPayment) -> Payment | None:
    """Our row for the event's payment; created from its metadata if we missed it
    (its reservation's current quote is what it pays for)."""
    payment = Payment.objects.filter(
        provider=provider, provider_id=result.provider_id
    ).first()
    if payment is not None:
        return payment
    reservation = Reservation.objects.filter(
        code=result.metadata.get("reservation", "")
    ).first()
    if reservation is None:
        return None
    pending = ProviderPayment(
        provider_id=result.provider_id,
        status=PaymentStatus.FAILED
        if result.status == PaymentStatus.FAILED
        else PaymentStatus.PENDING,
        amount=result.amount,
        currency=result.currency,
    )
    return record_payment(
        provider, pending, reservation, quote_json(_quote(reservation))
    )


def _apply(provider: str, event: ProviderEvent, payment: Payment) -> str:
    if event.type == "payment_intent.succeeded":
        settle_payment(payment=payment)
        return "settled"
    if event.type == "payment_intent.payment_failed":
        Payment.objects.filter(pk=payment.pk).exclude(
            status=PaymentStatus.SUCCEEDED
        ).update(
            status=PaymentStatus.FAILED,
            failure_code=event.payment.failure_code if event.payment else "",
        )
        metrics.PAYMENT_FAILURES.inc()
        return "failed"
    if event.type == "charge.refunded":
        sync_refunds(payment)
        return "refunds_synced"
    return "ignored"


def sync_refunds(payment: Payment) -> None:
    """Make our ``Refund`` rows agree with the provider's refunds of ``payment``."""
    from payments.models import Refund

    for found in get_provider(payment.provider).list_refunds(payment.provider_id):
        with transaction.atomic():
            updated = Refund.objects.filter(
                payment=payment, provider_id=found.provider_id
            ).update(status=found.status)
            if updated:
                continue
            # ours, sent but not yet answered (a timeout): same amount, pending
            mine = (
                Refund.objects.select_for_update()
                .filter(
                    payment=payment,
                    provider_id="",
                    status=RefundStatus.PENDING,
                    amount=found.amount,
                )
                .first()
            )
            if mine is not None:
                mine.provider_id, mine.status = found.provider_id, found.status
                mine.save(update_fields=["provider_id", "status", "updated_at"])
                continue
            try:
                with transaction.atomic():
                    Refund.objects.create(
                        payment=payment,
                        amount=found.amount,
                        provider_id=found.provider_id,
                        status=found.status,
                        reason="refunded at the provider",
                        idempotency_key=f"provider-{provider_key(payment)}-{found.provider_id}",
                    )
            except IntegrityError:  # a concurrent delivery recorded it meanwhile
                Refund.objects.filter(
                    payment=payment, provider_id=found.provider_id
                ).update(status=found.status)


def provider_key(payment: Payment) -> str:
    return f"{payment.provider}-{payment.provider_id}"

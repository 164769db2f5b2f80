"""Every refund of the booking services goes through here, to the payment's provider.

A refund is first recorded as a pending ``Refund`` row (the payment row locked, so
two refunds of one payment queue and the sum never exceeds what was paid), with an
idempotency key of its own; then the provider is asked, outside any transaction.
If the provider does not answer, the row stays pending and ``reconcile_payments``
asks again with the same key, so a refund retried after a timeout refunds once.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Sum

from payments.exceptions import PaymentProviderUnavailable, RefundRefused
from payments.models import Payment, PaymentStatus, Refund, RefundStatus
from payments.providers import get_provider

from ..models import Reservation

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


def refund_payment(
    reservation: Reservation,
    amount: Decimal,
    *,
    reason: str,
    actor: User | None = None,
) -> Decimal:
    """Give ``amount`` of the reservation's purchase back; returns what is refunded.

    The purchase is the succeeded payment the reservation was confirmed with. The
    amount is capped at what is left of it (never more than was paid in all).
    Inside a transaction the provider is asked once it commits; a provider that
    does not answer leaves the refund pending for ``reconcile_payments``.
    """
    payment = (
        Payment.objects.filter(
            reservation=reservation,
            status=PaymentStatus.SUCCEEDED,
            provider_id=reservation.payment_reference,
        ).first()
        if reservation.payment_reference
        else None
    )
    if payment is None or amount <= 0:
        return Decimal("0.00")
    with transaction.atomic():
        refund = prepare_refund(payment, amount, reason=reason)
        if refund is None:
            return Decimal("0.00")
        transaction.on_commit(lambda: send_quietly(refund))
    return refund.amount


def refund_of(payment: Payment, amount: Decimal, *, reason: str) -> Refund | None:
    """Outside any transaction: record a refund of (at most) ``amount`` on
    ``payment``, then send it (see module)."""
    with transaction.atomic():
        refund = prepare_refund(payment, amount, reason=reason)
    if refund is not None:
        send_quietly(refund)
    return refund


def prepare_refund(payment: Payment, amount: Decimal, *, reason: str) -> Refund | None:
    """In the caller's transaction: lock the payment, cap the amount, add the row."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    taken = payment.refunds.exclude(status=RefundStatus.FAILED).aggregate(
        total=Sum("amount")
    )["total"] or Decimal("0.00")
    amount = min(amount, payment.amount - taken)
    if amount <= 0:
        return None
    count = payment.refunds.count()
    return Refund.objects.create(
        payment=payment,
        amount=amount,
        reason=reason[:200],
        idempotency_key=f"refund-{payment.provider}-{payment.provider_id}-{count + 1}",
    )


def send_refund(refund: Refund) -> Refund:
    """Ask the provider for a pending refund (again); the key makes it happen once.

    Raises ``PaymentProviderUnavailable`` if the provider did not answer (the row
    stays pending).
    """
    payment = refund.payment
    provider = get_provider(payment.provider)
    try:
        result = _ask(provider, payment, refund)
    except RefundRefused:
        # Refunded at the provider meanwhile (the dashboard): learn its refunds,
        # fit this one to what is left and ask once more, under a new key.
        refund = _fit_to_provider(refund)
        if refund.status != RefundStatus.PENDING:  # nothing left, or known there
            return refund
        try:
            result = _ask(provider, payment, refund)
        except RefundRefused:
            logger.error("refund %s refused by the provider", refund.idempotency_key)
            Refund.objects.filter(pk=refund.pk).update(status=RefundStatus.FAILED)
            refund.refresh_from_db()
            return refund
    Refund.objects.filter(pk=refund.pk).update(
        provider_id=result.provider_id, status=result.status
    )
    refund.refresh_from_db()
    return refund


def _ask(provider, payment: Payment, refund: Refund):
    return provider.refund(
        payment_id=payment.provider_id,
        amount=refund.amount,
        currency=payment.currency,
        idempotency_key=refund.idempotency_key,
    )


def _fit_to_provider(refund: Refund) -> Refund:
    """Record the provider's refunds of the payment, then shrink the pending
    ``refund`` to what is left of the payment (marked failed if nothing is)."""
    from .settlement import sync_refunds

    sync_refunds(refund.payment)
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
        refund = Refund.objects.get(pk=refund.pk)
        if refund.status != RefundStatus.PENDING:  # the provider had it after all
            return refund
        others = payment.refunds.exclude(pk=refund.pk).exclude(
            status=RefundStatus.FAILED
        ).aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
        left = payment.amount - others
        if left <= 0:
            refund.status = RefundStatus.FAILED
            refund.save(update_fields=["status", "updated_at"])
            return refund
        refund.amount = min(refund.amount, left)
        refund.idempotency_key = f"{refund.idempotency_key}-fit"
        refund.save(update_fields=["amount", "idempotency_key", "updated_at"])
    return refund


def send_quietly(refund: Refund) -> None:
    try:
        send_refund(refund)
    except PaymentProviderUnavailable:
        logger.warning(
            "refund %s pending: provider unavailable; reconcile_payments retries it",
            refund.idempotency_key,
        )

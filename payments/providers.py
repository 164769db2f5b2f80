"""The one small interface every payment provider implements, and the choice of one.

Booking services talk to a ``PaymentProvider`` only; no provider SDK is imported
outside its own module (``payments.stripe_provider`` imports ``stripe``). Amounts are
``Decimal`` in the currency's major unit; providers convert.

- ``create_payment``: start a payment for an amount, made idempotent by a key the
  caller derives from what is paid for; with a ``payment_method`` it is also
  confirmed at once. Returns the provider's view of it.
- ``retrieve_payment``: the provider's current view (reconciliation).
- ``refund``: give back (part of) a payment, idempotent by key.
- ``list_refunds``: the refunds the provider knows for a payment.
- ``parse_webhook``: verify and decode an event, or raise ``InvalidWebhook``.

Errors: a refusal is ``reservations.exceptions.PaymentDeclined`` (with the payment,
if one was created); no answer in time is ``PaymentProviderUnavailable``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from reservations.exceptions import PaymentDeclined

from .exceptions import InvalidWebhook


@dataclass(frozen=True)
class ProviderPayment:
    provider_id: str
    status: str  # a PaymentStatus value: pending, succeeded or failed
    amount: Decimal
    currency: str
    client_secret: str | None = None
    failure_code: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderRefund:
    provider_id: str
    amount: Decimal
    status: str  # a RefundStatus value
    payment_id: str = ""


@dataclass(frozen=True)
class ProviderEvent:
    id: str
    type: str
    payment: ProviderPayment | None  # the payment the event is about, if any


class PaymentProvider:
    name = ""

    def create_payment(
        self,
        *,
        amount: Decimal,
        currency: str,
        idempotency_key: str,
        description: str,
        metadata: dict[str, str],
        payment_method: str | None = None,
    ) -> ProviderPayment:
        raise NotImplementedError

    def retrieve_payment(self, provider_id: str) -> ProviderPayment:
        raise NotImplementedError

    def refund(
        self,
        *,
        payment_id: str,
        amount: Decimal,
        currency: str,
        idempotency_key: str,
    ) -> ProviderRefund:
        raise NotImplementedError

    def list_refunds(self, payment_id: str) -> list[ProviderRefund]:
        raise NotImplementedError

    def parse_webhook(self, *, payload: bytes, signature: str | None) -> ProviderEvent:
        raise InvalidWebhook(provider=self.name)


class TestProvider(PaymentProvider):
    """Today's test gateway behind the interface: it charges at once through
    ``settings.PAYMENT_GATEWAY`` (``TestGateway`` approves every token but
    ``tok_declined``) and moves no money. It sends no webhooks."""

    name = "test"

    def __init__(self) -> None:
        self.gateway = import_string(settings.PAYMENT_GATEWAY)()

    def create_payment(
        self,
        *,
        amount: Decimal,
        currency: str,
        idempotency_key: str,
        description: str,
        metadata: dict[str, str],
        payment_method: str | None = None,
    ) -> ProviderPayment:
        charge = self.gateway.charge(
            amount=amount, token=payment_method, description=description
        )
        return ProviderPayment(
            provider_id=charge.reference,
            status="succeeded",
            amount=charge.amount,
            currency=currency,
            metadata=metadata,
        )

    def retrieve_payment(self, provider_id: str) -> ProviderPayment:
        raise NotImplementedError("the test gateway keeps no payments")

    def refund(
        self, *, payment_id: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> ProviderRefund:
        self.gateway.refund(reference=payment_id, amount=amount)
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]
        return ProviderRefund(
            provider_id=f"test_re_{digest}",
            amount=amount,
            status="succeeded",
            payment_id=payment_id,
        )

    def list_refunds(self, payment_id: str) -> list[ProviderRefund]:
        return []


PROVIDERS = {
    "test": "payments.providers.TestProvider",
    "stripe": "payments.stripe_provider.StripeProvider",
}


def get_provider(name: str | None = None) -> PaymentProvider:
    """The provider called ``name``, or the one ``PAYMENT_PROVIDER`` selects."""
    return import_string(PROVIDERS[name or settings.PAYMENT_PROVIDER])()


def declined(code: str, payment: ProviderPayment | None = None) -> PaymentDeclined:
    error = PaymentDeclined(decline_code=code)
    error.payment = payment  # type: ignore[attr-defined]
    return error


def to_minor(amount: Decimal, currency: str) -> int:
    """Stripe's integer amount: cents, or whole units for zero-decimal currencies."""
    if currency.upper() in ZERO_DECIMAL:
        return int(amount)
    return int((amount * 100).to_integral_value())


def from_minor(value: Any, currency: str) -> Decimal:
    if currency.upper() in ZERO_DECIMAL:
        return Decimal(int(value)).quantize(Decimal("0.01"))
    return (Decimal(int(value)) / 100).quantize(Decimal("0.01"))


# https://docs.stripe.com/currencies#zero-decimal
ZERO_DECIMAL = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)

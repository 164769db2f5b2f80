"""Stripe behind the provider interface: PaymentIntents, refunds, signed webhooks.

The only module that imports the ``stripe`` SDK. ``STRIPE_API_BASE`` points the SDK
at another server speaking Stripe's API (the tests' local one). The SDK retries
nothing by itself (``max_network_retries=0``): our callers retry with the same
idempotency keys, so a retried request never creates a second intent or refund.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import stripe
from django.conf import settings

from .exceptions import InvalidWebhook, PaymentProviderUnavailable, RefundRefused
from .providers import (
    PaymentProvider,
    ProviderEvent,
    ProviderPayment,
    ProviderRefund,
    declined,
    from_minor,
    to_minor,
)

# Errors that mean "no answer": the request may or may not have arrived.
UNAVAILABLE = (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError)


def _intent_status(intent: Any) -> str:
    status = intent["status"]
    if status == "succeeded":
        return "succeeded"
    if status == "canceled" or (
        status == "requires_payment_method" and intent.get("last_payment_error")
    ):
        return "failed"
    return "pending"  # requires_payment_method/confirmation/action, processing


def _payment(intent: Any) -> ProviderPayment:
    currency = str(intent["currency"]).upper()
    error = intent.get("last_payment_error") or {}
    return ProviderPayment(
        provider_id=intent["id"],
        status=_intent_status(intent),
        amount=from_minor(intent["amount"], currency),
        currency=currency,
        client_secret=intent.get("client_secret"),
        failure_code=str(error.get("decline_code") or error.get("code") or ""),
        metadata=dict(intent.get("metadata") or {}),
    )


def _refund(refund: Any, currency: str) -> ProviderRefund:
    status = {"succeeded": "succeeded", "failed": "failed", "canceled": "failed"}
    return ProviderRefund(
        provider_id=refund["id"],
        amount=from_minor(refund["amount"], currency),
        status=status.get(refund["status"], "pending"),
        payment_id=str(refund.get("payment_intent") or ""),
    )


class StripeProvider(PaymentProvider):
    name = "stripe"

    def __init__(self) -> None:
        base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else {}
        self.client = stripe.StripeClient(
            settings.STRIPE_SECRET_KEY or "sk_unset",
            base_addresses=base,  # type: ignore[arg-type]
            max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),
        )

    def _call(self, fn, *args, **kwargs):
        try:
            result = fn(*args, **kwargs)
            return result.to_dict() if hasattr(result, "to_dict") else result
        except stripe.CardError as exc:
            error = (exc.json_body or {}).get("error", {})
            intent = error.get("payment_intent")
            raise declined(
                str(error.get("decline_code") or exc.code or "card_declined"),
                _payment(intent) if intent else None,
            ) from exc
        except UNAVAILABLE as exc:
            raise PaymentProviderUnavailable(provider=self.name) from exc

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
        params: dict[str, Any] = {
            "amount": to_minor(amount, currency),
            "currency": currency.lower(),
            "description": description,
            "metadata": metadata,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        }
        if payment_method:
            params.update(payment_method=payment_method, confirm=True)
        try:
            intent = self._call(
                self.client.v1.payment_intents.create,
                params=params,
                options={"idempotency_key": idempotency_key},
            )
        except stripe.InvalidRequestError as exc:  # e.g. no such payment_method
            raise declined(str(exc.code or "invalid_request")) from exc
        return _payment(intent)

    def retrieve_payment(self, provider_id: str) -> ProviderPayment:
        return _payment(
            self._call(self.client.v1.payment_intents.retrieve, provider_id)
        )

    def refund(
        self, *, payment_id: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> ProviderRefund:
        try:
            refund = self._call(
                self.client.v1.refunds.create,
                params={
                    "payment_intent": payment_id,
                    "amount": to_minor(amount, currency),
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.InvalidRequestError as exc:  # e.g. amount_too_large
            raise RefundRefused(str(exc)) from exc
        return _refund(refund, currency)

    def list_refunds(self, payment_id: str) -> list[ProviderRefund]:
        intent = self.retrieve_payment(payment_id)
        page = self._call(
            self.client.v1.refunds.list,
            params={"payment_intent": payment_id, "limit": 100},
        )
        return [_refund(r, intent.currency) for r in page["data"]]

    def parse_webhook(self, *, payload: bytes, signature: str | None) -> ProviderEvent:
        secret = settings.STRIPE_WEBHOOK_SECRET
        if not secret or not signature:
            raise InvalidWebhook(provider=self.name)
        try:
            stripe.Webhook.construct_event(payload, signature, secret)
            event = json.loads(payload)
            obj = event["data"]["object"]
            payment = None
            if obj.get("object") == "payment_intent":
                payment = _payment(obj)
            elif obj.get("object") == "charge" and obj.get("payment_intent"):
                payment = ProviderPayment(
                    provider_id=obj["payment_intent"],
                    status="succeeded",
                    amount=from_minor(obj["amount"], obj["currency"]),
                    currency=str(obj["currency"]).upper(),
                    metadata=dict(obj.get("metadata") or {}),
                )
            return ProviderEvent(id=event["id"], type=event["type"], payment=payment)
        except (
            stripe.SignatureVerificationError,
            ValueError,
            KeyError,
            TypeError,
            AttributeError,  # an object that is not one (a list, a string)
            ArithmeticError,  # an amount beyond Decimal's precision
        ):
            raise InvalidWebhook(provider=self.name) from None

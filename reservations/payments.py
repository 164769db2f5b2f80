"""The test provider's payment gateway (settings.PAYMENT_GATEWAY; payments.providers.TestProvider)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.module_loading import import_string

from .exceptions import PaymentDeclined


@dataclass(frozen=True)
class Charge:
    reference: str
    amount: Decimal


class PaymentGateway:
    """What a gateway must do. Implementations raise PaymentDeclined on refusal."""

    def charge(self, *, amount: Decimal, token: str | None, description: str) -> Charge:
        raise NotImplementedError

    def refund(self, *, reference: str, amount: Decimal) -> None:
        raise NotImplementedError


class TestGateway(PaymentGateway):
    """Approves every payment except the token ``tok_declined``. Moves no money."""

    DECLINED_TOKEN = "tok_declined"

    def charge(self, *, amount: Decimal, token: str | None, description: str) -> Charge:
        if token == self.DECLINED_TOKEN:
            raise PaymentDeclined(decline_code="card_declined")
        return Charge(reference=f"test_{secrets.token_hex(8)}", amount=amount)

    def refund(self, *, reference: str, amount: Decimal) -> None:
        return None


def get_gateway() -> PaymentGateway:
    return import_string(settings.PAYMENT_GATEWAY)()

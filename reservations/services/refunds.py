"""Money going back to a customer: every refund of a purchase goes through here."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from ..models import Reservation
from ..payments import get_gateway

if TYPE_CHECKING:
    from accounts.models import User


def refund_payment(
    reservation: Reservation,
    amount: Decimal,
    *,
    reason: str,
    actor: User | None = None,
) -> Decimal:
    """Refund ``amount`` of what ``reservation`` paid; returns the amount refunded.

    Call it after the transaction that recorded the refund committed
    (``transaction.on_commit``), outside the showtime lock: a slow gateway must not
    stall every booking of the showtime, and no money goes back for a change that
    was rolled back. ``reason`` and ``actor`` say why and who, for the provider's
    records (this gateway keeps none; the audit trail has them).
    """
    if amount <= 0:
        return Decimal("0.00")
    get_gateway().refund(reference=reservation.payment_reference, amount=amount)
    return amount

"""Payments and refunds as rows of their own, and the provider events received.

Money is an invariant, not a field: what a reservation confirms equals a succeeded
``Payment``; what is refunded is the sum of its ``Refund`` rows and never exceeds
the payment. Rows are written by the booking services only (the admin reads).
"""

from decimal import Decimal

from django.db import models
from django.db.models import Q

from reservations.models import Reservation


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # started, the customer still has to pay
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"  # the last attempt failed; it may still succeed


class Payment(models.Model):
    """One payment at a provider (a Stripe PaymentIntent, a test charge)."""

    # SET_NULL: deleting a showtime's history (cancelled, expired reservations) keeps
    # its money records; the code says whose they were.
    reservation = models.ForeignKey(
        Reservation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payments",
    )
    reservation_code = models.CharField(max_length=12, blank=True, default="")
    provider = models.CharField(max_length=20)
    provider_id = models.CharField(max_length=255)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    quote = models.JSONField(
        default=list,
        blank=True,
        help_text="What the amount pays for: [[seat id, ticket type id, price, "
        "discount], ...] and the voucher; confirmation requires it unchanged",
    )
    failure_code = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_id"], name="uniq_payment_provider_id"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="payment_amount_nonneg"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.provider_id} ({self.status})"


class RefundStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # asked for; not yet confirmed by the provider
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Refund(models.Model):
    """Money given back on a payment; ``idempotency_key`` makes a retry refund once."""

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="refunds"
    )
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    provider_id = models.CharField(max_length=255, blank=True, default="")
    status = models.CharField(
        max_length=10, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    reason = models.CharField(max_length=200, blank=True, default="")
    idempotency_key = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["payment", "provider_id"],
                condition=~Q(provider_id=""),
                name="uniq_refund_provider_id",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=Decimal("0")), name="refund_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} on {self.payment.provider_id} ({self.status})"


class WebhookEvent(models.Model):
    """A provider event, stored by its id so that a replay has no second effect."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"], name="uniq_webhookevent_provider_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id} ({self.type})"

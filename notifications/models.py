"""The emails sent about a reservation: one row per email, its delivery state and
what was sent, so that a redelivered trigger never sends a second copy."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q

from reservations.models import Reservation


class EmailKind(models.TextChoices):
    CONFIRMATION = "confirmation", "Purchase confirmation"
    REFUND = "refund", "Cancellation and refund"


class EmailStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Email(models.Model):
    """One email about one reservation, at most one per kind and triggering event
    (a refund email per refund; a redelivered event finds its row and sends none).

    ``attempts`` counts sends tried; ``locked_until`` is the lease of the worker that
    is sending it right now (a worker that dies mid-send lets it lapse, and the next
    run may send again: delivery is at least once). ``event_id`` is the outbox event
    that asked for it, empty when queued directly. ``details`` is what the trigger
    said about the change (a refund's amount, seats, fee and the new status), kept
    as it was then: the reservation may change again before the email is sent.
    """

    kind = models.CharField(max_length=20, choices=EmailKind.choices)
    reservation = models.ForeignKey(
        Reservation, on_delete=models.SET_NULL, null=True, related_name="emails"
    )
    reservation_code = models.CharField(max_length=12)
    event_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=255, blank=True)
    status = models.CharField(
        max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reservation", "kind", "event_id"],
                name="uniq_email_reservation_kind_event",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=EmailKind.values), name="email_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(status__in=EmailStatus.values), name="email_status_known"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="email_due_idx")
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.reservation_code} ({self.status})"

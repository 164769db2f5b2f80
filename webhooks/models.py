"""Webhook endpoints, one delivery per (endpoint, event), and each attempt's record."""

from django.db import models


class Endpoint(models.Model):
    """A URL that receives the events it subscribed to, signed with its secret.

    ``failing_since`` is when its current run of failed attempts began (None while
    it succeeds); after a day of that it is deactivated and ``disabled_reason``
    says why. Setting ``active`` again clears both.
    """

    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True)
    # "whsec_" + base64 of 24 random bytes (Standard Webhooks); shown once.
    secret = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    """One event owed to one endpoint: pending until a 2xx, or failed for good.

    Unique per (endpoint, event), so an event dispatched twice (at least once) is
    still posted to each endpoint as one delivery. ``next_attempt_at`` is when the
    next attempt is due; a running attempt pushes it a lease ahead, so a worker
    killed mid-request is retried after the lease.
    """

    endpoint = models.ForeignKey(
        Endpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(
        "events.Event", on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event"], name="webhook_delivery_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="webhook_delivery_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} -> {self.endpoint_id} ({self.status})"


class DeliveryAttempt(models.Model):
    """One POST: what came back (or the error), how long it took, what happens next."""

    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveIntegerField()
    at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField()
    error = models.CharField(max_length=500, blank=True)
    next_retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["delivery", "at"], name="webhook_attempt_idx")]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"

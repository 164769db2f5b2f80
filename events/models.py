"""The outbox row: one event, saved in the transaction of the change it announces."""

import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Event(models.Model):
    """Something that happened, for subscribers (webhooks, emails) to hear about.

    ``id`` is stable: every delivery of the event carries it, so a receiver that
    sees it twice (delivery is at least once) can tell. ``dispatched_at`` is set
    when every subscriber of ``type`` has taken it; ``handled`` names those that
    already did, so a retried dispatch does not call them again.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=64, db_index=True)
    created = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    handled = models.JSONField(default=list, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created", "id"]
        indexes = [
            models.Index(
                fields=["created"],
                condition=Q(dispatched_at__isnull=True),
                name="event_undispatched_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"

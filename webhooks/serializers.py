"""Shapes of /api/webhooks/: endpoints (the secret once, on create) and attempts."""

from rest_framework import serializers

from events.types import EVENT_TYPES

from . import destinations
from .models import DeliveryAttempt, Endpoint


class EndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(EVENT_TYPES)),
        min_length=1,
        max_length=len(EVENT_TYPES),
        help_text="The event types to receive: " + ", ".join(sorted(EVENT_TYPES)) + ".",
    )

    class Meta:
        model = Endpoint
        fields = [
            "id",
            "url",
            "events",
            "active",
            "description",
            "created_at",
            "failing_since",
            "disabled_reason",
        ]
        read_only_fields = ["created_at", "failing_since", "disabled_reason"]
        extra_kwargs = {
            "url": {"help_text": "http(s); must resolve to public addresses only."},
            "disabled_reason": {
                "help_text": "Why the endpoint was deactivated (failing for a day)."
            },
        }

    def validate_url(self, value: str) -> str:
        try:
            destinations.resolve(value)
        except destinations.DestinationRefused as exc:
            raise serializers.ValidationError(
                str(exc), code="destination_refused"
            ) from exc
        return value

    def validate_events(self, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError("Each event type may be listed once.")
        return value


class EndpointCreatedSerializer(EndpointSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="whsec_... for verifying signatures; shown only in this answer.",
    )

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    event_id = serializers.UUIDField(source="delivery.event_id", read_only=True)
    event_type = serializers.CharField(source="delivery.event.type", read_only=True)
    delivery_status = serializers.CharField(source="delivery.status", read_only=True)
    attempt = serializers.IntegerField(source="number", read_only=True)

    class Meta:
        model = DeliveryAttempt
        fields = [
            "id",
            "event_id",
            "event_type",
            "attempt",
            "at",
            "status_code",
            "duration_ms",
            "error",
            "next_retry_at",
            "delivery_status",
        ]
        read_only_fields = fields

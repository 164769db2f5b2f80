"""Input and output shapes of waiting-list entries."""

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import WaitlistEntry, WaitlistStatus
from .selectors import current_status


class WaitlistJoinSerializer(serializers.Serializer):
    seats = serializers.IntegerField(
        min_value=1, help_text="How many seats, at most RESERVATION_MAX_SEATS."
    )

    def validate_seats(self, value: int) -> int:
        limit = settings.RESERVATION_MAX_SEATS
        if value > limit:
            raise serializers.ValidationError(f"At most {limit} seats at once.")
        return value


class WaitlistOfferSerializer(serializers.Serializer):
    reservation = serializers.IntegerField(source="pk")
    code = serializers.CharField()
    expires_at = serializers.DateTimeField()


class WaitlistEntrySerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField()
    position = serializers.SerializerMethodField()
    offer = serializers.SerializerMethodField()

    class Meta:
        model = WaitlistEntry
        fields = [
            "id",
            "showtime",
            "seats",
            "status",
            "position",
            "created_at",
            "offer",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=WaitlistStatus.choices))
    def get_status(self, entry: WaitlistEntry) -> str:
        return current_status(entry, timezone.now())

    @extend_schema_field(serializers.IntegerField(allow_null=True, min_value=1))
    def get_position(self, entry: WaitlistEntry) -> int | None:
        """Place in the queue while waiting (1 = next), else null."""
        if entry.status != WaitlistStatus.WAITING:
            return None
        return getattr(entry, "queue_position", None)

    @extend_schema_field(WaitlistOfferSerializer(allow_null=True))
    def get_offer(self, entry: WaitlistEntry) -> dict | None:
        """The hold made for the customer (buy it through /api/reservations/)."""
        if entry.reservation_id is None:
            return None
        return WaitlistOfferSerializer(entry.reservation).data

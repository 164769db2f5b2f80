"""Reservation input shapes and the reservation representation."""

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from showtimes.models import Showtime

from .models import Reservation, Ticket


class SeatLabelsField(serializers.ListField):
    child = serializers.CharField(max_length=10, trim_whitespace=True)

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_empty", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        labels = [label.upper() for label in super().to_internal_value(data)]
        limit = settings.RESERVATION_MAX_SEATS
        if len(labels) > limit:
            raise serializers.ValidationError(f"At most {limit} seats per reservation.")
        duplicates = sorted({label for label in labels if labels.count(label) > 1})
        if duplicates:
            raise serializers.ValidationError(
                f"Each seat may be requested once; repeated: {', '.join(duplicates)}."
            )
        return labels


class ReservationCreateSerializer(serializers.Serializer):
    showtime = serializers.PrimaryKeyRelatedField(queryset=Showtime.objects.all())
    seats = SeatLabelsField(help_text='Seat labels, e.g. ["A1", "A2"]')


class ReservationUpdateSerializer(serializers.Serializer):
    showtime = serializers.PrimaryKeyRelatedField(
        queryset=Showtime.objects.all(),
        required=False,
        help_text="Optional; must be the reservation's own showtime.",
    )
    seats = SeatLabelsField(help_text="The complete new list of seat labels")


class PurchaseSerializer(serializers.Serializer):
    payment_token = serializers.CharField(
        required=False, allow_blank=True, max_length=255, default=None, allow_null=True
    )


class TicketSerializer(serializers.ModelSerializer):
    seat = serializers.CharField(source="seat.label", read_only=True)

    class Meta:
        model = Ticket
        fields = ["code", "seat", "is_void", "checked_in_at"]
        read_only_fields = fields


class ShowtimeSummarySerializer(serializers.ModelSerializer):
    movie_title = serializers.CharField(source="movie.title")
    theater = serializers.CharField(source="screen.theater.name")
    theater_id = serializers.IntegerField(source="screen.theater_id")
    screen = serializers.CharField(source="screen.name")

    class Meta:
        model = Showtime
        fields = [
            "id",
            "movie_title",
            "theater",
            "theater_id",
            "screen",
            "starts_at",
            "ends_at",
        ]
        read_only_fields = fields


class ReservationSerializer(serializers.ModelSerializer):
    seats = serializers.SerializerMethodField()
    showtime_detail = ShowtimeSummarySerializer(source="showtime", read_only=True)
    tickets = TicketSerializer(many=True, read_only=True)

    class Meta:
        model = Reservation
        fields = [
            "id",
            "code",
            "showtime",
            "showtime_detail",
            "seats",
            "status",
            "total_price",
            "expires_at",
            "created_at",
            "confirmed_at",
            "cancelled_at",
            "refund_amount",
            "tickets",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_seats(self, obj) -> list[str]:
        return [row.seat.label for row in obj.reserved_seats.all()]


class SeatMapEntrySerializer(serializers.Serializer):
    """Documents one seat-map entry (the view returns plain dicts for speed)."""

    label = serializers.CharField()
    row = serializers.CharField()
    number = serializers.IntegerField()
    category = serializers.CharField()
    price = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    status = serializers.ChoiceField(choices=["available", "held", "sold"])

"""Reservation input shapes and the reservation representation."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from showtimes.models import Showtime

from .exceptions import InvalidSeatSelection
from .models import Reservation, ReservationEvent, ReservationStatus, Ticket
from .services.seats import clean_labels


class SeatLabelsField(serializers.ListField):
    child = serializers.CharField(max_length=10, trim_whitespace=True)

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_empty", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        try:
            return clean_labels(super().to_internal_value(data))
        except InvalidSeatSelection as exc:  # the booking rule, as a field error
            raise serializers.ValidationError(exc.message) from exc


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
            "amount_paid",
            "refund_amount",
            "tickets",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_seats(self, obj) -> list[str]:
        return [row.seat.label for row in obj.reserved_seats.all()]


class ReservationEventSerializer(serializers.ModelSerializer):
    """One entry of a reservation's history.

    ``by`` says who acted in terms every reader may see (the reservation's owner,
    staff or box office, or the system); ``actor`` names them only to box office and
    staff, or to the actor themselves, so a customer never learns staff usernames.
    """

    # The view puts reservation_owner_id, viewer_id and viewer_sees_all in the context.

    from_status = serializers.SerializerMethodField()
    by = serializers.SerializerMethodField()
    actor = serializers.SerializerMethodField()

    class Meta:
        model = ReservationEvent
        fields = [
            "id",
            "action",
            "at",
            "from_status",
            "to_status",
            "by",
            "actor",
            "details",
            "request_id",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.ChoiceField(choices=ReservationStatus.choices, allow_null=True)
    )
    def get_from_status(self, obj) -> str | None:
        return obj.from_status or None  # "" (nothing before "created") reads as null

    @extend_schema_field(serializers.ChoiceField(choices=["owner", "staff", "system"]))
    def get_by(self, obj) -> str:
        # The copied username, not actor_id: the actor's account may be gone.
        if not obj.actor_username:
            return "system"
        if (
            obj.actor_id is not None
            and obj.actor_id == self.context["reservation_owner_id"]
        ):
            return "owner"
        return "staff"

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_actor(self, obj) -> str | None:
        is_viewer = (
            obj.actor_id is not None and obj.actor_id == self.context["viewer_id"]
        )
        if obj.actor_username and (self.context["viewer_sees_all"] or is_viewer):
            return obj.actor_username
        return None


class SeatMapEntrySerializer(serializers.Serializer):
    """Documents one seat-map entry (the view returns plain dicts for speed)."""

    label = serializers.CharField()
    row = serializers.CharField()
    number = serializers.IntegerField()
    category = serializers.CharField()
    price = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    status = serializers.ChoiceField(choices=["available", "held", "sold"])

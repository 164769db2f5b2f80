"""Reservation input shapes and the reservation representation."""

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from movie_api.fields import IdRelatedField
from pricing.models import ADULT
from showtimes.models import Showtime

from .exceptions import InvalidSeatSelection
from .models import (
    Reservation,
    ReservationEvent,
    ReservationStatus,
    ReservedSeat,
    SeatBlock,
    Ticket,
)
from .services.seats import clean_labels


class SeatLabelsField(serializers.ListField):
    """Seat labels by the one booking rule (``seats.clean_labels``), as a field."""

    child = serializers.CharField(max_length=10, trim_whitespace=True)

    def __init__(self, *, limit: int | None = None, **kwargs):
        kwargs.setdefault("allow_empty", False)
        self.limit = limit
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        # Holds: the group limit here; validate() applies a customer's.
        limit = self.limit if self.limit is not None else settings.GROUP_BOOKING_MAX
        try:
            return clean_labels(super().to_internal_value(data), limit=limit)
        except InvalidSeatSelection as exc:  # the booking rule, as a field error
            raise serializers.ValidationError(exc.message) from exc


class TicketChoiceSerializer(serializers.Serializer):
    seat = serializers.CharField(max_length=10, help_text='A seat label, e.g. "A1"')
    ticket_type = serializers.SlugField(
        max_length=30, help_text='A ticket type code, e.g. "child"'
    )


class SeatChoiceSerializer(serializers.Serializer):
    """Seats as labels (adult tickets) or as tickets with a type: exactly one."""

    seats = SeatLabelsField(
        required=False, help_text='Seat labels (adult tickets), e.g. ["A1", "A2"]'
    )
    tickets = TicketChoiceSerializer(
        many=True,
        required=False,
        allow_empty=False,
        help_text='Instead of seats: [{"seat": "A1", "ticket_type": "child"}, ...]',
    )
    voucher = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=40,
        help_text="A voucher code (any case); on PUT/PATCH, null or empty removes "
        "the hold's voucher and leaving it out keeps it",
    )
    accessible = serializers.BooleanField(
        required=False,
        default=False,
        help_text="The customer needs a wheelchair space: allows holding one "
        "before WHEELCHAIR_RELEASE_MINUTES before the start",
    )

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            # Report "seats" as missing along with other errors, as before tickets.
            if (
                isinstance(exc.detail, dict)
                and isinstance(data, dict)
                and "seats" not in data
                and "tickets" not in data
            ):
                exc.detail.setdefault("seats", [_("This field is required.")])
            raise

    def validate(self, attrs):
        if ("seats" in attrs) == ("tickets" in attrs):
            raise serializers.ValidationError(
                {"seats": ["Send either seats or tickets (exactly one of them)."]}
            )
        if "tickets" in attrs:
            tickets = attrs.pop("tickets")
            try:
                attrs["labels"] = clean_labels(
                    [t["seat"] for t in tickets], limit=settings.GROUP_BOOKING_MAX
                )
            except InvalidSeatSelection as exc:
                raise serializers.ValidationError({"tickets": [exc.message]}) from exc
            attrs["ticket_types"] = {
                label: t["ticket_type"]
                for label, t in zip(attrs["labels"], tickets, strict=True)
            }
        else:
            attrs["labels"] = attrs.pop("seats")
        limit = settings.RESERVATION_MAX_SEATS
        if len(attrs["labels"]) > limit and not self._group_hold(attrs):
            field = "seats" if "ticket_types" not in attrs else "tickets"
            raise serializers.ValidationError(
                {field: [f"At most {limit} seats per reservation."]}
            )
        return attrs

    def _group_hold(self, attrs) -> bool:
        """Whether the larger group limit applies (the service checks who asks)."""
        return bool(attrs.get("group_name"))


class ReservationCreateSerializer(SeatChoiceSerializer):
    showtime = IdRelatedField(queryset=Showtime.objects.all())
    group_name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Box office and staff: hold up to GROUP_BOOKING_MAX seats for "
        "this named group, for GROUP_HOLD_SECONDS",
    )


class ReservationUpdateSerializer(SeatChoiceSerializer):
    showtime = IdRelatedField(
        queryset=Showtime.objects.all(),
        required=False,
        help_text="Optional; must be the reservation's own showtime.",
    )

    def _group_hold(self, attrs) -> bool:
        return bool(self.context.get("group_name"))


class SwapSerializer(serializers.Serializer):
    """``{"from": [...], "to": [...]}``: ``from`` is a Python keyword, so the two
    fields are added by name in get_fields."""

    accessible = serializers.BooleanField(
        required=False,
        default=False,
        help_text="The customer needs a wheelchair space (as on a hold)",
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = SeatLabelsField(
            help_text='Seats of the reservation to give up, e.g. ["A1"]'
        )
        fields["to"] = SeatLabelsField(
            help_text='Seats to take instead, pairwise, e.g. ["C5"]'
        )
        return fields


class CancelSeatsSerializer(serializers.Serializer):
    seats = SeatLabelsField(
        help_text='Seats of the purchase to give back, e.g. ["A2"]; each once'
    )


class RefundSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=200,
        help_text="Why the purchase is refunded in full (kept in the history)",
    )


class CompSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )


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


class SeatLineSerializer(serializers.ModelSerializer):
    """One seat of a reservation, priced as it was when held."""

    label = serializers.CharField(source="seat.label")
    category = serializers.CharField(source="seat.category")
    ticket_type = serializers.SerializerMethodField()
    amount = serializers.SerializerMethodField(help_text="price less discount")
    is_active = serializers.BooleanField(
        read_only=True,
        help_text="false once the seat is no longer claimed: given back "
        "(cancel-seats), cancelled or lapsed",
    )

    class Meta:
        model = ReservedSeat
        fields = [
            "label",
            "category",
            "ticket_type",
            "price",
            "discount",
            "amount",
            "is_active",
        ]
        read_only_fields = fields

    def get_ticket_type(self, obj) -> str:
        return obj.ticket_type.code if obj.ticket_type_id else ADULT

    @extend_schema_field(
        serializers.DecimalField(max_digits=8, decimal_places=2, read_only=True)
    )
    def get_amount(self, obj) -> str:
        return str(obj.price - obj.discount)


class ReservationSerializer(serializers.ModelSerializer):
    seats = serializers.SerializerMethodField()
    seat_details = SeatLineSerializer(
        source="reserved_seats", many=True, read_only=True
    )
    total = serializers.DecimalField(
        source="total_price",
        max_digits=10,
        decimal_places=2,
        read_only=True,
        help_text="What the purchase charges (the same as total_price)",
    )
    currency = serializers.CharField(
        source="showtime.screen.theater.currency",
        read_only=True,
        help_text="ISO 4217 code of every amount in this answer",
    )
    voucher = serializers.CharField(
        source="voucher.code", read_only=True, allow_null=True, default=None
    )
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
            "seat_details",
            "status",
            "total_price",
            "total",
            "discount_total",
            "voucher",
            "currency",
            "expires_at",
            "group_name",
            "created_at",
            "confirmed_at",
            "cancelled_at",
            "amount_paid",
            "refund_amount",
            "fee",
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
    status = serializers.ChoiceField(choices=["available", "held", "sold", "blocked"])
    features = serializers.ListField(
        child=serializers.ChoiceField(
            choices=["wheelchair", "companion", "restricted_view"]
        ),
        help_text="Wheelchair spaces and companion seats are kept for access "
        "until WHEELCHAIR_RELEASE_MINUTES before the start",
    )
    aisle_after = serializers.BooleanField(
        help_text="An aisle follows this seat in its row (draw a gap)"
    )


MAX_BLOCK_SEATS = 1000


class SeatBlockCreateSerializer(serializers.Serializer):
    seats = SeatLabelsField(
        limit=MAX_BLOCK_SEATS,
        max_length=MAX_BLOCK_SEATS,
        help_text='Seat labels, e.g. ["F7", "F8"]',
    )
    reason = serializers.ChoiceField(
        choices=SeatBlock._meta.get_field("reason").choices
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class ScreenBlockCreateSerializer(SeatBlockCreateSerializer):
    until = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="The last business date it applies to (inclusive); null: no end",
    )


class SeatBlockSerializer(serializers.ModelSerializer):
    seats = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by_username", read_only=True)

    class Meta:
        model = SeatBlock
        fields = [
            "id",
            "showtime",
            "screen",
            "seats",
            "reason",
            "note",
            "until",
            "created_at",
            "created_by",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_seats(self, block: SeatBlock) -> list[str]:
        return [seat.label for seat in block.seats.all()]


class ShowtimeSeatsSerializer(serializers.Serializer):
    showtime = serializers.IntegerField()
    seats = serializers.ListField(child=serializers.CharField())


class SkippedSeatsSerializer(ShowtimeSeatsSerializer):
    reason = serializers.ChoiceField(choices=["held", "sold"])


class ScreenBlockResultSerializer(SeatBlockSerializer):
    """A new screen block, where it blocked seats and where it found them taken."""

    blocked = ShowtimeSeatsSerializer(many=True, read_only=True)
    skipped = SkippedSeatsSerializer(many=True, read_only=True)

    class Meta(SeatBlockSerializer.Meta):
        fields = [*SeatBlockSerializer.Meta.fields, "blocked", "skipped"]
        read_only_fields = fields

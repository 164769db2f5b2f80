"""Showtime representation, the shape of its prices, the range of its start, and
its format, languages and accessibility."""

from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from movie_api import codes
from movie_api.business_day import local_time
from movie_api.fields import IdRelatedField, StrictDateTimeField, api_date, api_datetime
from movies.models import MAX_DURATION_MINUTES
from pricing.serializers import (  # noqa: F401  (parse_price: shared money rule)
    PriceTableField,
    normalise_price_table,
    parse_price,
)

from .models import (
    ACCESSIBILITY_COLUMNS,
    Accessibility,
    Showtime,
    ShowtimeFormat,
    available_seats,
)
from .selectors import local_starts_at

# Windows counted back from a start (check-in, the cancellation cutoff) need room
# before the first day Python can represent.
EARLIEST_START = datetime(1, 1, 2, tzinfo=UTC)


def normalise_prices(value) -> dict[str, dict[str, str]]:
    """``prices`` in either form, as the full table (``pricing`` owns the rule)."""
    return normalise_price_table(value)


def check_prices_cover(screen, prices: dict) -> None:
    """Every seat category of ``screen`` has a price (the API's and the admin's rule)."""
    missing = sorted(screen.categories() - set(prices))
    if missing:
        raise serializers.ValidationError(
            f"Missing a price for seat categories: {', '.join(missing)}."
        )


def start_range() -> tuple[datetime, datetime]:
    """``[earliest, latest)`` for a showtime's start: its derived times must fit in
    Python's calendar (year 1 to 9999), even if its movie later becomes the longest
    the catalogue takes. Whole days, so the bounds read well in a message."""
    room = timedelta(minutes=MAX_DURATION_MINUTES + settings.SHOWTIME_CLEANUP_MINUTES)
    latest = datetime.combine((datetime.max - room).date(), time.min, tzinfo=UTC)
    return EARLIEST_START, latest


def check_start_in_range(value: datetime) -> datetime:
    earliest, latest = start_range()
    if not earliest <= value < latest:
        raise serializers.ValidationError(
            f"A showtime must start from {earliest.date().isoformat()} and before "
            f"{latest.date().isoformat()} (UTC)."
        )
    return value


class PricesField(PriceTableField):
    """In: either form. Out: the adult price per category, as clients always read."""


UNKNOWN_LANGUAGE = (
    "Unknown language; use an ISO 639-1 code in lower case, such as en, de or fr."
)


def check_language(value: str) -> str:
    """An ISO 639-1 language code, lower case (the API's and the admin's rule)."""
    if not codes.is_language(value):
        raise serializers.ValidationError(UNKNOWN_LANGUAGE)
    return value


def language_field(help_text: str) -> serializers.CharField:
    # No max_length: a long unknown code is one error, not two.
    return serializers.CharField(
        allow_null=True,
        required=False,
        validators=[check_language],
        help_text=help_text,
    )


class AccessibilityField(serializers.ListField):
    """The accessibility a show offers, as a list; stored one boolean column each
    (see showtimes.models.ACCESSIBILITY_COLUMNS)."""

    def __init__(self, **kwargs):
        super().__init__(
            child=serializers.ChoiceField(choices=Accessibility.choices),
            source="*",
            required=False,
            max_length=len(Accessibility.values),
            help_text="What the show offers, each at most once: "
            + ", ".join(Accessibility.values)
            + ". Defaults to none.",
            **kwargs,
        )

    def to_representation(self, instance: Showtime) -> list[str]:
        return instance.accessibility

    def to_internal_value(self, data) -> dict[str, bool]:
        values = super().to_internal_value(data)
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            raise serializers.ValidationError(
                f"List each value once; repeated: {', '.join(repeated)}."
            )
        return {
            column: value in values for value, column in ACCESSIBILITY_COLUMNS.items()
        }


class ShowtimeSerializer(serializers.ModelSerializer):
    serializer_related_field = IdRelatedField
    starts_at = StrictDateTimeField()
    theater = serializers.IntegerField(source="screen.theater_id", read_only=True)
    movie_title = serializers.CharField(source="movie.title", read_only=True)
    screen_name = serializers.CharField(source="screen.name", read_only=True)
    theater_name = serializers.CharField(source="screen.theater.name", read_only=True)
    capacity = serializers.IntegerField(read_only=True)
    available_seats = serializers.IntegerField(
        source="seats_available_now", read_only=True
    )
    local_starts_at = serializers.SerializerMethodField(
        help_text="starts_at on the theater's clocks, with its UTC offset "
        "(ISO 8601, e.g. 2026-03-08T01:30:00-05:00)."
    )
    format = serializers.ChoiceField(
        choices=ShowtimeFormat.choices, required=False, help_text="Defaults to 2D."
    )
    audio_language = language_field("ISO 639-1 code of the spoken language, or null.")
    subtitles = language_field("ISO 639-1 code of the subtitles, or null for none.")
    accessibility = AccessibilityField()
    prices = PricesField(
        required=False,
        help_text='{"standard": "10.00"} (adult prices) or {"standard": {"adult": '
        '"10.00", "child": "7.50"}}; left out on create: the matching price card',
    )
    price_table = serializers.JSONField(read_only=True, source="ticket_prices")
    currency = serializers.CharField(source="screen.theater.currency", read_only=True)

    class Meta:
        model = Showtime
        fields = [
            "id",
            "movie",
            "movie_title",
            "screen",
            "screen_name",
            "theater",
            "theater_name",
            "starts_at",
            "ends_at",
            "local_starts_at",
            "business_date",
            "format",
            "audio_language",
            "subtitles",
            "accessibility",
            "prices",
            "price_table",
            "currency",
            "is_cancelled",
            "capacity",
            "available_seats",
            "created_at",
        ]
        read_only_fields = ["id", "ends_at", "business_date", "created_at"]
        extra_kwargs = {
            "business_date": {
                "help_text": "The theater's business day of the show (YYYY-MM-DD): "
                "its local date, or the day before when it starts before "
                "BUSINESS_DAY_STARTS_AT. ?date= filters on it."
            }
        }

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_local_starts_at(self, showtime: Showtime) -> str:
        return local_starts_at(showtime).isoformat()

    def validate_starts_at(self, value):
        check_start_in_range(value)
        unchanged = self.instance is not None and self.instance.starts_at == value
        if not unchanged and value <= timezone.now():
            raise serializers.ValidationError("A showtime cannot start in the past.")
        return value

    def validate(self, attrs):
        screen = attrs.get("screen") or getattr(self.instance, "screen", None)
        prices = attrs.get("prices", getattr(self.instance, "prices", None))
        if screen is not None and prices is not None:
            try:
                check_prices_cover(screen, prices)
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"prices": exc.detail}) from exc
        if "prices" in attrs:  # the service derives the adult prices from the table
            attrs["price_table"] = attrs.pop("prices")
        return attrs


# The showtime list, built from plain rows: the same fields and values as
# ShowtimeSerializer (tests/showtimes/test_rows.py compares them), without three
# model instances, a field object per value and a query-less but costly
# ``select_related`` per row.
SHOWTIME_ROW_FIELDS = (
    "id",
    "movie_id",
    "movie__title",
    "screen_id",
    "screen__name",
    "screen__theater_id",
    "screen__theater__name",
    "screen__theater__timezone",
    "screen__theater__currency",
    "starts_at",
    "ends_at",
    "business_date",
    "format",
    "audio_language",
    "subtitles",
    *ACCESSIBILITY_COLUMNS.values(),
    "prices",
    "price_table",
    "is_cancelled",
    "capacity",
    "seats_claimed",
    "hold_deadlines",
    "holds_lapse_at",
    "created_at",
)
_ACCESSIBILITY = [
    (str(value), column) for value, column in ACCESSIBILITY_COLUMNS.items()
]


def showtime_rows(values) -> list[dict]:
    """``selectors.list_showtimes().values(*SHOWTIME_ROW_FIELDS)`` rows as
    ShowtimeSerializer shows them."""
    now = timezone.now()
    rows = []
    for row in values:
        starts_at, prices = row["starts_at"], row["prices"]
        rows.append(
            {
                "id": row["id"],
                "movie": row["movie_id"],
                "movie_title": row["movie__title"],
                "screen": row["screen_id"],
                "screen_name": row["screen__name"],
                "theater": row["screen__theater_id"],
                "theater_name": row["screen__theater__name"],
                "starts_at": api_datetime(starts_at),
                "ends_at": api_datetime(row["ends_at"]),
                "local_starts_at": local_time(
                    starts_at, row["screen__theater__timezone"]
                ).isoformat(),
                "business_date": api_date(row["business_date"]),
                "format": row["format"],
                "audio_language": row["audio_language"],
                "subtitles": row["subtitles"],
                "accessibility": [
                    value for value, column in _ACCESSIBILITY if row[column]
                ],
                "prices": prices,
                "price_table": row["price_table"]
                or {category: {"adult": price} for category, price in prices.items()},
                "currency": row["screen__theater__currency"],
                "is_cancelled": row["is_cancelled"],
                "capacity": row["capacity"],
                "available_seats": available_seats(
                    row["capacity"],
                    row["seats_claimed"],
                    row["hold_deadlines"],
                    row["holds_lapse_at"],
                    now,
                ),
                "created_at": api_datetime(row["created_at"]),
            }
        )
    return rows

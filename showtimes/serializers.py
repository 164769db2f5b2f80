"""Showtime representation, the shape of its prices, the range of its start, and
its format, languages and accessibility."""

import re
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from movie_api import codes
from movie_api.fields import StrictDateTimeField
from movies.models import MAX_DURATION_MINUTES
from theaters.models import SeatCategory

from .models import ACCESSIBILITY_COLUMNS, Accessibility, Showtime, ShowtimeFormat
from .selectors import local_starts_at

MAX_PRICE = Decimal("10000")
# ASCII digits, an optional point and decimals: nothing else. Decimal() alone also
# takes other scripts' digits (Arabic-Indic "10"), underscores ("1_000"), signs
# ("-0", "+1"), exponents ("1e1") and surrounding spaces.
PRICE_FORMAT = re.compile(r"[0-9]+(?:\.[0-9]+)?")
NOT_A_PRICE = 'Price must be a decimal string of digits 0-9, such as "10.00".'
SIGNED_PRICE = 'Price takes no sign: use 0.00 to 9999.99, such as "10.00".'
# Windows counted back from a start (check-in, the cancellation cutoff) need room
# before the first day Python can represent.
EARLIEST_START = datetime(1, 1, 2, tzinfo=UTC)


def parse_price(raw) -> Decimal:
    """The one rule for money in input: a price from 0.00 to 9999.99, two decimals.

    Takes a string or a JSON number; raises ValidationError with a message fit for
    the client. Used for every price the API or the admin accepts.
    """
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise serializers.ValidationError(NOT_A_PRICE)
    text = str(raw)
    if not PRICE_FORMAT.fullmatch(text):
        if text[:1] in "+-" and PRICE_FORMAT.fullmatch(text[1:]):
            raise serializers.ValidationError(SIGNED_PRICE)
        raise serializers.ValidationError(NOT_A_PRICE)
    price = Decimal(text)
    if price.as_tuple().exponent < -2:
        raise serializers.ValidationError("Price has at most 2 decimal places.")
    if price >= MAX_PRICE:
        raise serializers.ValidationError("Price must be between 0.00 and 9999.99.")
    return price.quantize(Decimal("0.01"))


def normalise_prices(value) -> dict[str, str]:
    if not isinstance(value, dict) or not value:
        raise serializers.ValidationError(
            'Expected a non-empty object mapping seat category to price, e.g. {"standard": "10.00"}.'
        )
    errors: dict[str, list[str]] = {}
    prices: dict[str, str] = {}
    for category, raw in value.items():
        if category not in SeatCategory.values:
            errors[category] = [
                f"Unknown seat category; use one of {', '.join(SeatCategory.values)}."
            ]
            continue
        try:
            prices[category] = str(parse_price(raw))
        except serializers.ValidationError as exc:
            errors[category] = exc.detail
    if errors:
        raise serializers.ValidationError(errors)
    return prices


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


class PricesField(serializers.JSONField):
    def to_internal_value(self, data):
        return normalise_prices(super().to_internal_value(data))


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
    starts_at = StrictDateTimeField()
    theater = serializers.IntegerField(source="screen.theater_id", read_only=True)
    movie_title = serializers.CharField(source="movie.title", read_only=True)
    screen_name = serializers.CharField(source="screen.name", read_only=True)
    theater_name = serializers.CharField(source="screen.theater.name", read_only=True)
    capacity = serializers.IntegerField(read_only=True)
    available_seats = serializers.IntegerField(read_only=True)
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
    prices = PricesField()

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
        return attrs

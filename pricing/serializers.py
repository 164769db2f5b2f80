"""Money in input (the one price parser), price tables, and the pricing resources."""

import re
from datetime import time
from decimal import Decimal

from django.db.models.functions import Lower
from rest_framework import serializers

from movie_api.fields import IdRelatedField
from movies.models import Movie
from theaters.models import SeatCategory, Theater

from .models import ADULT, PriceCard, TicketType, Voucher, VoucherKind

MAX_PRICE = Decimal("10000")
# ASCII digits, an optional point and decimals: nothing else. Decimal() alone also
# takes other scripts' digits (Arabic-Indic "10"), underscores ("1_000"), signs
# ("-0", "+1"), exponents ("1e1") and surrounding spaces.
PRICE_FORMAT = re.compile(r"[0-9]+(?:\.[0-9]+)?")
NOT_A_PRICE = 'Price must be a decimal string of digits 0-9, such as "10.00".'
SIGNED_PRICE = 'Price takes no sign: use 0.00 to 9999.99, such as "10.00".'


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


def normalise_price_table(value) -> dict[str, dict[str, str]]:
    """A price table in either form, as ``{category: {ticket_type: "10.00"}}``.

    Per category, a price alone (``"10.00"``, today's form) is the adult price; an
    object maps ticket type codes to prices and must price ``adult`` (the ticket a
    seat gets when it is booked by label alone). Unknown categories and ticket
    types are errors under their names.
    """
    if not isinstance(value, dict) or not value:
        raise serializers.ValidationError(
            'Expected a non-empty object mapping seat category to price, e.g. {"standard": "10.00"} '
            'or {"standard": {"adult": "10.00", "child": "7.50"}}.'
        )
    known_types: set[str] | None = None
    errors: dict = {}
    table: dict[str, dict[str, str]] = {}
    for category, raw in value.items():
        if category not in SeatCategory.values:
            errors[category] = [
                f"Unknown seat category; use one of {', '.join(SeatCategory.values)}."
            ]
            continue
        is_plain = not isinstance(raw, dict)
        if is_plain:
            raw = {ADULT: raw}
        if known_types is None:
            known_types = set(TicketType.objects.values_list("code", flat=True))
        row_errors: dict = {}
        row: dict[str, str] = {}
        for code, price in raw.items():
            if code not in known_types:
                row_errors[code] = [
                    f"Unknown ticket type; use one of {', '.join(sorted(known_types))}."
                ]
                continue
            try:
                row[code] = str(parse_price(price))
            except serializers.ValidationError as exc:
                row_errors[code] = exc.detail
        if ADULT not in raw:
            row_errors[ADULT] = ["Every category needs an adult price."]
        if row_errors:
            # Today's form keeps today's messages: "premium: Price must be ..."
            errors[category] = row_errors[ADULT] if is_plain else row_errors
            continue
        table[category] = row
    if errors:
        raise serializers.ValidationError(errors)
    return table


class PriceTableField(serializers.JSONField):
    def to_internal_value(self, data):
        return normalise_price_table(super().to_internal_value(data))


class TicketTypeSerializer(serializers.ModelSerializer):
    min_age = serializers.IntegerField(min_value=0, max_value=120, required=False)
    max_age = serializers.IntegerField(
        min_value=0, max_value=120, required=False, allow_null=True
    )

    class Meta:
        model = TicketType
        fields = ["id", "code", "name", "min_age", "max_age", "requires_id"]
        read_only_fields = ["id"]

    def validate(self, attrs):
        min_age = attrs.get("min_age", getattr(self.instance, "min_age", 0))
        max_age = attrs.get("max_age", getattr(self.instance, "max_age", None))
        if max_age is not None and max_age < min_age:
            raise serializers.ValidationError(
                {"max_age": ["Must be at least min_age."]}
            )
        return attrs


# --- price cards ---------------------------------------------------------------------

END_OF_DAY = "24:00"


def parse_clock(text, field: str) -> time | None:
    """ "HH:MM" as a time; "24:00" (the end of the day) as None."""
    if text == END_OF_DAY:
        return None
    try:
        if not isinstance(text, str) or len(text) != 5:
            raise ValueError
        return time.fromisoformat(text)
    except ValueError as exc:
        raise serializers.ValidationError(
            {field: [f'Use a local time "HH:MM" from "00:00" to "{END_OF_DAY}".']}
        ) from exc


class PriceCardRuleSerializer(serializers.Serializer):
    """One rule: the local weekdays (0 = Monday) and [from, until) of a start."""

    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        allow_empty=False,
        max_length=7,
    )
    # "from" is a keyword: declared in __init__ below.

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from"] = serializers.CharField(required=False, default="00:00")
        self.fields["until"] = serializers.CharField(required=False, default=END_OF_DAY)

    def validate(self, attrs):
        # DRF skips "required" and defaults in partial updates (PATCH), nested rules
        # included; a rule is never partial.
        if "weekdays" not in attrs:
            raise serializers.ValidationError({"weekdays": ["This field is required."]})
        attrs = {"from": "00:00", "until": END_OF_DAY, **attrs}
        weekdays = attrs["weekdays"]
        if len(set(weekdays)) != len(weekdays):
            raise serializers.ValidationError({"weekdays": ["Each day once."]})
        start = parse_clock(attrs["from"], "from")
        end = parse_clock(attrs["until"], "until")
        if start is None:
            raise serializers.ValidationError({"from": ["Must be before 24:00."]})
        if end is not None and end <= start:
            raise serializers.ValidationError(
                {"until": ['Must be after "from" (a window ends by "24:00").']}
            )
        return {
            "weekdays": sorted(weekdays),
            "from": attrs["from"],
            "until": attrs["until"],
        }


class PriceCardSerializer(serializers.ModelSerializer):
    theater = IdRelatedField(
        queryset=Theater.objects.all(),
        allow_null=True,
        required=False,
        help_text="null: every theater",
    )
    prices = PriceTableField(
        help_text='Full form: {"standard": {"adult": "10.00", "child": "7.50"}}'
    )
    rules = PriceCardRuleSerializer(many=True, allow_empty=False, max_length=50)
    priority = serializers.IntegerField(min_value=-1000, max_value=1000, required=False)

    class Meta:
        model = PriceCard
        fields = [
            "id",
            "name",
            "theater",
            "prices",
            "rules",
            "priority",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


# --- vouchers ------------------------------------------------------------------------

MAX_COUNT = 1_000_000_000  # within every database's integer column
VOUCHER_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{2,39}")


def check_voucher_value(kind: str, raw) -> Decimal:
    """``value`` for ``kind``: a percent from 1 to 100, or an amount (parse_price)."""
    value = parse_price(raw)
    if kind == VoucherKind.PERCENT and not Decimal(1) <= value <= Decimal(100):
        raise serializers.ValidationError("A percent is from 1 to 100.")
    return value


# What a manager sets on a voucher (the API and the admin form take the same).
VOUCHER_TERMS = (
    "code",
    "kind",
    "value",
    "max_uses",
    "per_user_limit",
    "valid_from",
    "valid_until",
    "movies",
    "theaters",
    "ticket_types",
    "note",
)


class VoucherSerializer(serializers.ModelSerializer):
    value = serializers.JSONField(
        help_text='percent: 1 to 100; amount, fixed_price: "0.00" to "9999.99"'
    )
    max_uses = serializers.IntegerField(
        min_value=1, max_value=MAX_COUNT, allow_null=True, required=False
    )
    per_user_limit = serializers.IntegerField(
        min_value=1, max_value=MAX_COUNT, allow_null=True, required=False
    )
    movies = IdRelatedField(many=True, queryset=Movie.objects.all(), required=False)
    theaters = IdRelatedField(many=True, queryset=Theater.objects.all(), required=False)
    ticket_types = serializers.SlugRelatedField(
        many=True, slug_field="code", queryset=TicketType.objects.all(), required=False
    )

    class Meta:
        model = Voucher
        read_only_fields = ["id", "uses", "is_comp", "created_at"]
        fields = [*read_only_fields, *VOUCHER_TERMS]
        validators = []  # the case-insensitive code is checked in validate_code

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["value"] = str(instance.value)
        return data

    def validate_code(self, value: str) -> str:
        value = value.strip()
        if not VOUCHER_CODE.fullmatch(value):
            raise serializers.ValidationError(
                "3 to 40 letters, digits, '-' or '_', starting with a letter or digit."
            )
        clash = Voucher.objects.alias(lower=Lower("code")).filter(lower=value.lower())
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError("A voucher with this code exists.")
        return value

    def validate(self, attrs):
        instance = self.instance
        if instance is not None and instance.is_comp:
            raise serializers.ValidationError("A comp voucher cannot be changed.")
        kind = attrs.get("kind", getattr(instance, "kind", None))
        if "value" in attrs or "kind" in attrs:
            raw = attrs.get("value", getattr(instance, "value", None))
            try:
                attrs["value"] = check_voucher_value(
                    kind, str(raw) if isinstance(raw, Decimal) else raw
                )
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"value": exc.detail}) from exc
        start = attrs.get("valid_from", getattr(instance, "valid_from", None))
        end = attrs.get("valid_until", getattr(instance, "valid_until", None))
        if start is not None and end is not None and end <= start:
            raise serializers.ValidationError(
                {"valid_until": ["Must be after valid_from."]}
            )
        max_uses = attrs.get("max_uses", getattr(instance, "max_uses", None))
        if instance is not None and max_uses is not None and max_uses < instance.uses:
            raise serializers.ValidationError(
                {"max_uses": [f"Already used {instance.uses} times."]}
            )
        return attrs

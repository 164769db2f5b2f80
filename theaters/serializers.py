"""Theater and screen representations; the shape of a seat layout."""

import re

from rest_framework import serializers

from movie_api import codes
from movie_api.fields import IdRelatedField

from .models import LAYOUT_MARKS, Screen, SeatCategory, Theater

ROW_LABEL = re.compile(r"^[A-Z]{1,3}$")
MAX_ROWS = 52


class LayoutRowSerializer(serializers.Serializer):
    row = serializers.CharField(max_length=3)
    seats = serializers.IntegerField(min_value=1, max_value=100)
    # Not a field default: DRF skips defaults in partial updates (PATCH), which left
    # rows without a category; validate_layout fills it in instead.
    category = serializers.ChoiceField(choices=SeatCategory.choices, required=False)
    wheelchair = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        max_length=100,
        help_text="Seat numbers of wheelchair spaces",
    )
    companion = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        max_length=100,
        help_text="Seat numbers of companion seats (beside a wheelchair space)",
    )
    aisle_after = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        max_length=100,
        help_text="Seat numbers followed by an aisle",
    )
    restricted_view = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        max_length=100,
        help_text="Seat numbers with a restricted view",
    )

    def validate(self, attrs):
        # DRF does not enforce "required" in partial updates, nested rows included;
        # a row of a layout is never partial.
        missing = {
            name: ["This field is required."]
            for name in ("row", "seats")
            if name not in attrs
        }
        if missing:
            raise serializers.ValidationError(missing)
        unknown = {
            mark: [
                f"Row {attrs['row']} has seats 1 to {attrs['seats']}; no seat "
                f"{', '.join(str(n) for n in bad)}."
            ]
            for mark in LAYOUT_MARKS
            if (
                bad := sorted(
                    {n for n in attrs.get(mark, ()) if not 1 <= n <= attrs["seats"]}
                )
            )
        }
        if unknown:
            raise serializers.ValidationError(unknown)
        both = sorted(
            set(attrs.get("wheelchair", ())) & set(attrs.get("companion", ()))
        )
        if both:
            raise serializers.ValidationError(
                {
                    "companion": [
                        "A seat is a wheelchair space or a companion seat, not both: "
                        f"{', '.join(str(n) for n in both)}."
                    ]
                }
            )
        return attrs

    def validate_row(self, value: str) -> str:
        value = value.strip().upper()
        if not ROW_LABEL.match(value):
            raise serializers.ValidationError(
                "A row label is 1 to 3 letters, e.g. 'A' or 'AA'."
            )
        return value


def check_timezone(value: str) -> str:
    """An IANA time zone name, exactly as IANA spells it (the API's and the admin's rule)."""
    if not codes.is_timezone(value):
        raise serializers.ValidationError(
            "Unknown time zone; use an IANA name such as America/New_York, "
            "Europe/Berlin or UTC.",
            code="invalid_timezone",
        )
    return value


def check_currency(value: str) -> str:
    """An ISO 4217 currency code in capitals (the API's and the admin's rule)."""
    if not codes.is_currency(value):
        hint = (
            f" Write it in capitals: {value.upper()}."
            if isinstance(value, str) and codes.is_currency(value.upper())
            else ""
        )
        raise serializers.ValidationError(
            "Unknown currency; use an ISO 4217 code such as USD, EUR or GBP." + hint,
            code="invalid_currency",
        )
    return value


class ScreenSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Screen
        fields = ["id", "name", "capacity"]
        read_only_fields = fields


class TheaterSerializer(serializers.ModelSerializer):
    screens = ScreenSummarySerializer(many=True, read_only=True)
    # No max_length here: every known name fits the column, and a long unknown one
    # is one error (invalid_timezone), not two.
    timezone = serializers.CharField(
        required=False,
        validators=[check_timezone],
        help_text="IANA time zone, e.g. America/New_York. Defaults to the "
        "DEFAULT_THEATER_TIMEZONE setting on create. Changing it moves the "
        "business date of its showtimes.",
    )
    currency = serializers.CharField(
        required=False,
        validators=[check_currency],
        help_text="ISO 4217 code of its prices in capitals, e.g. EUR. Defaults to "
        "the DEFAULT_CURRENCY setting on create.",
    )

    class Meta:
        model = Theater
        fields = [
            "id",
            "name",
            "location",
            "city",
            "timezone",
            "currency",
            "screens",
            "created_at",
        ]
        read_only_fields = ["id", "screens", "created_at"]


class ScreenSerializer(serializers.ModelSerializer):
    serializer_related_field = IdRelatedField
    layout = LayoutRowSerializer(many=True, allow_empty=False, max_length=MAX_ROWS)

    class Meta:
        model = Screen
        fields = ["id", "theater", "name", "layout", "capacity", "created_at"]
        read_only_fields = ["id", "capacity", "created_at"]
        # The (theater, name) constraint is checked in validate(), so the error
        # lands on "name" rather than on non_field_errors.
        validators = []

    def validate_layout(self, rows: list[dict]) -> list[dict]:
        seen: set[str] = set()
        duplicates = sorted(
            {r["row"] for r in rows if r["row"] in seen or seen.add(r["row"])}
        )
        if duplicates:
            raise serializers.ValidationError(
                f"Row labels must be unique within a screen; repeated: {', '.join(duplicates)}."
            )
        return [
            {
                "row": row["row"],
                "seats": row["seats"],
                "category": row.get("category", SeatCategory.STANDARD),
                # Marks only when given: layouts without them keep their old shape.
                **{
                    mark: sorted(set(row[mark]))
                    for mark in LAYOUT_MARKS
                    if row.get(mark)
                },
            }
            for row in rows
        ]

    def validate(self, attrs):
        theater = attrs.get("theater", getattr(self.instance, "theater", None))
        name = attrs.get("name", getattr(self.instance, "name", None))
        if theater is not None and name is not None:
            clash = Screen.objects.filter(theater=theater, name=name)
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise serializers.ValidationError(
                    {"name": ["This theater already has a screen with this name."]}
                )
        return attrs

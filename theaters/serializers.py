"""Theater and screen representations; the shape of a seat layout."""

import re

from rest_framework import serializers

from .models import Screen, SeatCategory, Theater

ROW_LABEL = re.compile(r"^[A-Z]{1,3}$")
MAX_ROWS = 52


class LayoutRowSerializer(serializers.Serializer):
    row = serializers.CharField(max_length=3)
    seats = serializers.IntegerField(min_value=1, max_value=100)
    # Not a field default: DRF skips defaults in partial updates (PATCH), which left
    # rows without a category; validate_layout fills it in instead.
    category = serializers.ChoiceField(choices=SeatCategory.choices, required=False)

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
        return attrs

    def validate_row(self, value: str) -> str:
        value = value.strip().upper()
        if not ROW_LABEL.match(value):
            raise serializers.ValidationError(
                "A row label is 1 to 3 letters, e.g. 'A' or 'AA'."
            )
        return value


class ScreenSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Screen
        fields = ["id", "name", "capacity"]
        read_only_fields = fields


class TheaterSerializer(serializers.ModelSerializer):
    screens = ScreenSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Theater
        fields = ["id", "name", "location", "city", "screens", "created_at"]
        read_only_fields = ["id", "screens", "created_at"]


class ScreenSerializer(serializers.ModelSerializer):
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

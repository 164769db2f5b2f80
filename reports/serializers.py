"""The sales report's query parameters and its rows."""

from datetime import timedelta

from rest_framework import serializers

from movies.models import Movie
from theaters.models import Theater

from .selectors import GROUP_BY_CHOICES, MAX_DAYS


class SalesReportQuerySerializer(serializers.Serializer):
    """``from`` and ``to`` (business days, both included) are required."""

    theater = serializers.PrimaryKeyRelatedField(
        queryset=Theater.objects.all(), required=False, help_text="Only this theater"
    )
    movie = serializers.PrimaryKeyRelatedField(
        queryset=Movie.objects.all(), required=False, help_text="Only this movie"
    )
    group_by = serializers.ChoiceField(
        choices=GROUP_BY_CHOICES,
        default="day",
        help_text="One row per day, showtime, movie, theater or ticket type, and currency",
    )

    def get_fields(self):
        # "from" is a Python keyword, so these two cannot be class attributes.
        fields = super().get_fields()
        fields["from"] = serializers.DateField(
            help_text="First business day, YYYY-MM-DD (included)"
        )
        fields["to"] = serializers.DateField(
            help_text="Last business day, YYYY-MM-DD (included)"
        )
        return fields

    def validate(self, attrs):
        first, last = attrs["from"], attrs["to"]
        if first > last:
            raise serializers.ValidationError({"to": ["Must not be before from."]})
        if last - first >= timedelta(days=MAX_DAYS):
            raise serializers.ValidationError(
                {"to": [f"A report covers at most {MAX_DAYS} days."]}
            )
        return attrs


class SalesRowSerializer(serializers.Serializer):
    key = serializers.CharField(
        help_text="The group: a date (YYYY-MM-DD), a showtime, movie or theater id, "
        "or a ticket type code"
    )
    label = serializers.CharField()
    currency = serializers.CharField()
    showtimes = serializers.IntegerField(help_text="Showtimes not cancelled")
    capacity = serializers.IntegerField()
    tickets_sold = serializers.IntegerField()
    tickets_refunded = serializers.IntegerField()
    admissions = serializers.IntegerField()
    occupancy = serializers.FloatField(allow_null=True, help_text="0 to 1")
    gross = serializers.DecimalField(max_digits=14, decimal_places=2)
    discounts = serializers.DecimalField(max_digits=14, decimal_places=2)
    refunds = serializers.DecimalField(max_digits=14, decimal_places=2)
    net = serializers.DecimalField(max_digits=14, decimal_places=2)
    average_ticket_price = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True
    )


class SalesReportSerializer(serializers.Serializer):
    group_by = serializers.CharField()
    theater = serializers.IntegerField(allow_null=True)
    movie = serializers.IntegerField(allow_null=True)
    results = SalesRowSerializer(many=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField()
        fields["to"] = serializers.DateField()
        return fields

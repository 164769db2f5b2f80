"""Input shapes for check-in and best seats, and the check-in result."""

from django.conf import settings
from rest_framework import serializers

from accounts.models import User
from movies.models import Movie
from reservations.models import Ticket
from showtimes.models import Showtime
from theaters.models import SeatCategory


class CheckInSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40, trim_whitespace=True)


class CheckInShowtimeSerializer(serializers.ModelSerializer):
    theater = serializers.CharField(source="screen.theater.name")
    screen = serializers.CharField(source="screen.name")

    class Meta:
        model = Showtime
        fields = ["id", "starts_at", "ends_at", "theater", "screen"]
        read_only_fields = fields


class CheckInMovieSerializer(serializers.ModelSerializer):
    class Meta:
        model = Movie
        fields = ["id", "title"]
        read_only_fields = fields


class CheckInHolderSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="get_full_name")

    class Meta:
        model = User
        fields = ["id", "username", "name"]
        read_only_fields = fields


class CheckInResultSerializer(serializers.ModelSerializer):
    """What the door needs: is this the right seat, show and person."""

    seat = serializers.CharField(source="seat.label")
    category = serializers.CharField(source="seat.category")
    reservation = serializers.CharField(source="reservation.code")
    showtime = CheckInShowtimeSerializer(source="reservation.showtime")
    movie = CheckInMovieSerializer(source="reservation.showtime.movie")
    holder = CheckInHolderSerializer(source="reservation.user")

    class Meta:
        model = Ticket
        fields = [
            "code",
            "seat",
            "category",
            "reservation",
            "showtime",
            "movie",
            "holder",
            "checked_in_at",
        ]
        read_only_fields = fields


class BestSeatsQuerySerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=1)
    category = serializers.ChoiceField(choices=SeatCategory.choices, required=False)
    accessible = serializers.BooleanField(required=False, default=False)

    def validate_count(self, value: int) -> int:
        limit = settings.RESERVATION_MAX_SEATS
        if value > limit:
            raise serializers.ValidationError(
                f"Ask for at most {limit} seats, the most one reservation may hold."
            )
        return value


class BestSeatsSerializer(serializers.Serializer):
    showtime = serializers.IntegerField()
    count = serializers.IntegerField()
    category = serializers.CharField(allow_null=True)
    row = serializers.CharField()
    seats = serializers.ListField(child=serializers.CharField())
    total_price = serializers.DecimalField(
        max_digits=10, decimal_places=2, help_text="At adult prices"
    )
    currency = serializers.CharField(help_text="ISO 4217 code of total_price")

"""Filters for the showtime list."""

from datetime import UTC, date, datetime, time, timedelta

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from theaters.filters import IdFilter, in_city

from .models import Showtime
from .serializers import start_range


def _on_a_possible_start_day(value: date) -> None:
    # Past the last day a showtime can start, the day after would overflow.
    last_day = (start_range()[1] - timedelta(days=1)).date()
    if value > last_day:
        raise ValidationError(
            f"No showtime starts after {last_day.isoformat()}; use a date up to then."
        )


class ShowtimeFilterSet(django_filters.FilterSet):
    # Ids, not model choices: an unknown movie gives an empty list, not a 400.
    movie = IdFilter(field_name="movie_id")
    screen = IdFilter(field_name="screen_id")
    theater = IdFilter(field_name="screen__theater_id")
    city = django_filters.CharFilter(method="filter_city")
    date = django_filters.DateFilter(
        method="filter_date",
        label="Start date (UTC), YYYY-MM-DD",
        validators=[_on_a_possible_start_day],
    )

    class Meta:
        model = Showtime
        fields = ["movie", "screen", "theater", "city", "date", "is_cancelled"]

    def filter_city(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(in_city(value, prefix="screen__theater__"))

    def filter_date(self, queryset, name, value):
        # A half-open range on starts_at uses the starts_at index; __date would not.
        start = datetime.combine(value, time.min, tzinfo=UTC)
        return queryset.filter(
            starts_at__gte=start, starts_at__lt=start + timedelta(days=1)
        )

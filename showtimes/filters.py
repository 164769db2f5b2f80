"""Filters for the showtime list."""

from datetime import UTC, datetime, time, timedelta

import django_filters
from django.db.models import QuerySet

from theaters.filters import IdFilter, in_city

from .models import Showtime


class ShowtimeFilterSet(django_filters.FilterSet):
    # Ids, not model choices: an unknown movie gives an empty list, not a 400.
    movie = IdFilter(field_name="movie_id")
    screen = IdFilter(field_name="screen_id")
    theater = IdFilter(field_name="screen__theater_id")
    city = django_filters.CharFilter(method="filter_city")
    date = django_filters.DateFilter(
        method="filter_date", label="Start date (UTC), YYYY-MM-DD"
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

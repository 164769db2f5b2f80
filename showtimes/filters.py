"""Filters for the showtime list."""

from datetime import UTC, datetime, time, timedelta

import django_filters

from .models import Showtime


class ShowtimeFilterSet(django_filters.FilterSet):
    theater = django_filters.NumberFilter(field_name="screen__theater_id")
    city = django_filters.CharFilter(
        field_name="screen__theater__city", lookup_expr="iexact"
    )
    date = django_filters.DateFilter(
        method="filter_date", label="Start date (UTC), YYYY-MM-DD"
    )

    class Meta:
        model = Showtime
        fields = ["movie", "screen", "theater", "city", "date", "is_cancelled"]

    def filter_date(self, queryset, name, value):
        # A half-open range on starts_at uses the starts_at index; __date would not.
        start = datetime.combine(value, time.min, tzinfo=UTC)
        return queryset.filter(
            starts_at__gte=start, starts_at__lt=start + timedelta(days=1)
        )

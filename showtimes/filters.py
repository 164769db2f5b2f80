"""Filters for the showtime list."""

from datetime import date, timedelta

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from movie_api import codes
from movie_api.fields import IsoDateFilter
from theaters.filters import IdFilter, in_city

from .models import ACCESSIBILITY_COLUMNS, Accessibility, Showtime, ShowtimeFormat
from .serializers import UNKNOWN_LANGUAGE, start_range


def _on_a_possible_start_day(value: date) -> None:
    # Past the last day a showtime can start, the day after would overflow.
    last_day = (start_range()[1] - timedelta(days=1)).date()
    if value > last_day:
        raise ValidationError(
            f"No showtime starts after {last_day.isoformat()}; use a date up to then."
        )


def _a_language(value: str) -> None:
    if not codes.is_language(value):
        raise ValidationError(UNKNOWN_LANGUAGE)


class ShowtimeFilterSet(django_filters.FilterSet):
    # Ids, not model choices: an unknown movie gives an empty list, not a 400.
    movie = IdFilter(field_name="movie_id")
    screen = IdFilter(field_name="screen_id")
    theater = IdFilter(field_name="screen__theater_id")
    city = django_filters.CharFilter(method="filter_city")
    date = IsoDateFilter(
        field_name="business_date",
        label="Business date in each showtime's theater (YYYY-MM-DD): shows from "
        "BUSINESS_DAY_STARTS_AT local time that day until it the next day",
        validators=[_on_a_possible_start_day],
    )
    format = django_filters.ChoiceFilter(choices=ShowtimeFormat.choices)
    audio_language = django_filters.CharFilter(
        label="ISO 639-1 code of the spoken language", validators=[_a_language]
    )
    subtitles = django_filters.CharFilter(
        label="ISO 639-1 code of the subtitles", validators=[_a_language]
    )
    accessibility = django_filters.ChoiceFilter(
        choices=Accessibility.choices,
        method="filter_accessibility",
        label="Showtimes that offer this",
    )

    class Meta:
        model = Showtime
        fields = [
            "movie",
            "screen",
            "theater",
            "city",
            "date",
            "format",
            "audio_language",
            "subtitles",
            "accessibility",
            "is_cancelled",
        ]

    def filter_city(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(in_city(value, prefix="screen__theater__"))

    def filter_accessibility(
        self, queryset: QuerySet, name: str, value: str
    ) -> QuerySet:
        return queryset.filter(**{ACCESSIBILITY_COLUMNS[Accessibility(value)]: True})

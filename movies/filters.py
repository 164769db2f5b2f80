"""Filters for the movie list."""

import django_filters

from .models import Movie


class MovieFilterSet(django_filters.FilterSet):
    genre = django_filters.CharFilter(field_name="genre", lookup_expr="iexact")
    language = django_filters.CharFilter(field_name="language", lookup_expr="iexact")

    class Meta:
        model = Movie
        fields = ["genre", "language"]

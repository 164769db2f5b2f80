"""Filters for theaters and screens."""

import django_filters

from .models import Screen, Theater


class TheaterFilterSet(django_filters.FilterSet):
    city = django_filters.CharFilter(field_name="city", lookup_expr="iexact")

    class Meta:
        model = Theater
        fields = ["city"]


class ScreenFilterSet(django_filters.FilterSet):
    class Meta:
        model = Screen
        fields = ["theater"]

"""Filters for theaters and screens."""

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema_field

from .models import Screen, Theater

MAX_ID = 2**63 - 1


# drf-spectacular types a NumberFilter by its model field, and a foreign key is no
# IntegerField, so without this the schema said "number" and generated clients
# sent floats ("?movie=3.0").
@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """An id: a whole number in the database's range (else 400); unknown ids match nothing."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


def in_city(value: str, *, prefix: str = "") -> Q:
    """Theaters in ``value``: by their city, or by their location when it has none."""
    return Q(**{f"{prefix}city__iexact": value}) | Q(
        **{f"{prefix}city": "", f"{prefix}location__icontains": value}
    )


class TheaterFilterSet(django_filters.FilterSet):
    city = django_filters.CharFilter(method="filter_city")

    class Meta:
        model = Theater
        fields = ["city"]

    def filter_city(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(in_city(value))


class ScreenFilterSet(django_filters.FilterSet):
    theater = IdFilter(field_name="theater_id")

    class Meta:
        model = Screen
        fields = ["theater"]

"""Filters for the reservation list."""

import django_filters

from .models import Reservation, ReservationStatus


class ReservationFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ReservationStatus.choices)

    class Meta:
        model = Reservation
        fields = ["status", "showtime"]

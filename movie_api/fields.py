"""Input fields stricter than Django's and DRF's where those read more than they say.

Django's date parsing matches ``\\d``, which is any Unicode digit: a date in full-width
digits was taken as a date, and a NUL inside an ISO datetime slipped
through. The API's dates and times are ASCII ISO 8601.
"""

import re

import django_filters
from django import forms
from rest_framework import serializers

ISO_DATETIME_CHARS = re.compile(r"[0-9T:+\-.Zz ]+")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
NOT_ISO = "Use an ISO 8601 date and time in ASCII digits, e.g. 2027-06-01T20:00:00Z."


class StrictDateTimeField(serializers.DateTimeField):
    """An ISO 8601 datetime written in ASCII, nothing else."""

    def to_internal_value(self, value):
        if isinstance(value, str) and not ISO_DATETIME_CHARS.fullmatch(value):
            raise serializers.ValidationError(NOT_ISO, code="invalid")
        return super().to_internal_value(value)


class _IsoDateField(forms.DateField):
    def to_python(self, value):
        if isinstance(value, str) and value and not ISO_DATE.fullmatch(value.strip()):
            raise forms.ValidationError(
                "Use a date as YYYY-MM-DD in ASCII digits.", code="invalid"
            )
        return super().to_python(value)


class IsoDateFilter(django_filters.DateFilter):
    """A ``?date=YYYY-MM-DD`` filter that takes exactly that form."""

    field_class = _IsoDateField


class IdRelatedField(serializers.PrimaryKeyRelatedField):
    """A related row by its id: a whole number (or its digits as a string).

    DRF's field passes the value to the ORM, which calls ``int()``: ``1.5`` named
    row 1 and ``1e999`` raised OverflowError. Set as ``serializer_related_field``
    on model serializers and used for every writable relation.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("pk_field", serializers.IntegerField(min_value=1))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, float) and not data.is_integer():
            self.fail("incorrect_type", data_type="number with a fraction")
        return super().to_internal_value(data)


def api_datetime(value):
    """A datetime as DRF's DateTimeField shows it (UTC here: ``...Z``), or None.
    For lists built from plain rows (``values()``) instead of serializers."""
    if value is None:
        return None
    value = value.isoformat()
    return value[:-6] + "Z" if value.endswith("+00:00") else value


def api_date(value):
    """A date as DRF's DateField shows it, or None."""
    return None if value is None else value.isoformat()

"""Screen admin: seats come from the layout, and a layout change cannot orphan bookings."""

import json
from datetime import UTC, date, datetime

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework import status

from reservations.services import create_reservation
from tests.factories import ShowtimeFactory, TheaterFactory, UserFactory
from theaters.models import Screen, Theater

pytestmark = pytest.mark.django_db

NO_INLINE_SEATS = {
    "seats-TOTAL_FORMS": "0",
    "seats-INITIAL_FORMS": "0",
    "seats-MIN_NUM_FORMS": "0",
    "seats-MAX_NUM_FORMS": "1000",
}


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_admin_adds_screen_with_its_seats(admin_client):
    theater = TheaterFactory()

    response = admin_client.post(
        reverse("admin:theaters_screen_add"),
        {
            "theater": theater.pk,
            "name": "Hall",
            "layout": json.dumps([{"row": "a", "seats": 3}]),
            **NO_INLINE_SEATS,
        },
    )

    assert response.status_code == status.HTTP_302_FOUND, response.content[:2000]
    screen = Screen.objects.get(name="Hall")
    assert screen.capacity == 3
    assert list(screen.seats.values_list("label", flat=True)) == ["A1", "A2", "A3"]
    assert screen.layout == [{"row": "A", "seats": 3, "category": "standard"}]


def test_admin_bad_layout_is_a_form_error(admin_client):
    theater = TheaterFactory()

    response = admin_client.post(
        reverse("admin:theaters_screen_add"),
        {
            "theater": theater.pk,
            "name": "Hall",
            "layout": json.dumps([{"row": "A", "seats": -1}]),
            **NO_INLINE_SEATS,
        },
    )

    assert response.status_code == status.HTTP_200_OK
    assert "layout" in response.context["adminform"].form.errors
    assert not Screen.objects.exists()


def test_admin_layout_change_on_booked_screen_is_a_form_error(admin_client, user):
    showtime = ShowtimeFactory()
    create_reservation(user=user, showtime=showtime, labels=["A1"])
    screen = showtime.screen
    existing = screen.seats.count()

    response = admin_client.post(
        reverse("admin:theaters_screen_change", args=[screen.pk]),
        {
            "theater": screen.theater_id,
            "name": screen.name,
            "layout": json.dumps([{"row": "A", "seats": 2}]),
            **{**NO_INLINE_SEATS, "seats-INITIAL_FORMS": "0"},
        },
    )

    assert response.status_code == status.HTTP_200_OK
    errors = response.context["adminform"].form.errors["layout"]
    assert "reservations" in errors[0]
    assert screen.seats.count() == existing


NO_INLINE_SCREENS = {
    "screens-TOTAL_FORMS": "0",
    "screens-INITIAL_FORMS": "0",
    "screens-MIN_NUM_FORMS": "0",
    "screens-MAX_NUM_FORMS": "1000",
}


def _theater_form(theater, **overrides) -> dict:
    return {
        "name": theater.name,
        "location": theater.location,
        "city": theater.city,
        "timezone": theater.timezone,
        "currency": theater.currency,
        **NO_INLINE_SCREENS,
        **overrides,
    }


def test_admin_lists_and_edits_timezone_and_currency(admin_client):
    showtime = ShowtimeFactory(starts_at=datetime(2026, 6, 10, 6, 0, tzinfo=UTC))
    theater = showtime.screen.theater
    assert showtime.business_date == date(2026, 6, 10)  # 06:00 UTC

    listing = admin_client.get(reverse("admin:theaters_theater_changelist"))
    response = admin_client.post(
        reverse("admin:theaters_theater_change", args=[theater.pk]),
        _theater_form(theater, timezone="America/New_York", currency="EUR"),
    )

    assert "UTC" in listing.content.decode()
    assert response.status_code == status.HTTP_302_FOUND, response.content[:3000]
    theater.refresh_from_db()
    assert (theater.timezone, theater.currency) == ("America/New_York", "EUR")
    showtime.refresh_from_db()
    assert showtime.business_date == date(2026, 6, 9)  # 02:00 in New York


@pytest.mark.parametrize(
    ("field", "value"), [("timezone", "Mars/Base"), ("currency", "eur")]
)
def test_admin_unknown_timezone_or_currency_is_a_form_error(admin_client, field, value):
    theater = TheaterFactory()

    response = admin_client.post(
        reverse("admin:theaters_theater_change", args=[theater.pk]),
        _theater_form(theater, **{field: value}),
    )

    assert response.status_code == status.HTTP_200_OK
    assert field in response.context["adminform"].form.errors
    theater.refresh_from_db()
    assert (theater.timezone, theater.currency) == ("UTC", "USD")


def test_admin_adds_a_theater_with_a_timezone(admin_client):
    response = admin_client.post(
        reverse("admin:theaters_theater_add"),
        {
            "name": "Rex",
            "location": "1 Main St",
            "city": "Berlin",
            "timezone": "Europe/Berlin",
            "currency": "EUR",
            **NO_INLINE_SCREENS,
        },
    )

    assert response.status_code == status.HTTP_302_FOUND
    assert Theater.objects.get(name="Rex").timezone == "Europe/Berlin"

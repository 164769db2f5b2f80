"""Screen admin: seats come from the layout, and a layout change cannot orphan bookings."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework import status

from reservations.services import create_reservation
from tests.factories import ShowtimeFactory, TheaterFactory, UserFactory
from theaters.models import Screen

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

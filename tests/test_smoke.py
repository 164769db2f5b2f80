"""End-to-end smoke: register, log in, browse, hold, purchase, cancel."""

import pytest
from rest_framework import status

from .factories import ShowtimeFactory

pytestmark = pytest.mark.django_db


def test_full_booking_flow(api_client):
    showtime = ShowtimeFactory()
    r = api_client.post(
        "/api/auth/register/",
        {
            "username": "alice",
            "email": "alice@example.com",
            "password": "Corr3ct-Horse!",
        },
    )
    assert r.status_code == status.HTTP_201_CREATED, r.content
    r = api_client.post(
        "/api/auth/token/", {"username": "alice", "password": "Corr3ct-Horse!"}
    )
    assert r.status_code == status.HTTP_200_OK
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {r.json()['access']}")
    r = api_client.get(f"/api/showtimes/{showtime.pk}/seats/")
    assert r.status_code == 200
    assert len(r.json()) == 28
    r = api_client.post(
        "/api/reservations/", {"showtime": showtime.pk, "seats": ["A1", "C2"]}
    )
    assert r.status_code == status.HTTP_201_CREATED, r.content
    body = r.json()
    assert body["seats"] == ["A1", "C2"]
    assert body["total_price"] == "25.50"
    assert body["status"] == "held"
    r = api_client.post(f"/api/reservations/{body['id']}/purchase/", {})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "confirmed"
    assert len(r.json()["tickets"]) == 2
    seats = {
        s["label"]: s["status"]
        for s in api_client.get(f"/api/showtimes/{showtime.pk}/seats/").json()
    }
    assert seats["A1"] == "sold"
    assert seats["A2"] == "available"
    r = api_client.delete(f"/api/reservations/{body['id']}/")
    assert r.status_code == status.HTTP_204_NO_CONTENT
    r = api_client.get(f"/api/reservations/{body['id']}/")
    assert r.json()["status"] == "cancelled"
    assert r.json()["refund_amount"] == "25.50"

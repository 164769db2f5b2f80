"""X-Request-ID: kept when sane, generated otherwise, echoed, and stamped on the audit
events of the request (movie_api.middleware)."""

import re

import pytest
from rest_framework import status

from movie_api.middleware import current_request_id
from reservations import services
from reservations.models import ReservationEvent
from tests.factories import ReservationFactory, ShowtimeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def showtime(db):
    return ShowtimeFactory()


URL = "/api/reservations/"


def test_a_sane_request_id_is_echoed(api_client):
    response = api_client.get("/api/health/", HTTP_X_REQUEST_ID="abc.DEF_123-x")

    assert response["X-Request-ID"] == "abc.DEF_123-x"


@pytest.mark.parametrize(
    "sent",
    [
        "",
        "a" * 65,
        "has space",
        "semi;colon",
        "line\nbreak",
        "ünïcode",
        "<script>",
    ],
)
def test_an_insane_request_id_is_replaced(api_client, sent):
    response = api_client.get("/api/health/", HTTP_X_REQUEST_ID=sent)

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_a_missing_request_id_is_generated_fresh_each_time(api_client):
    first = api_client.get("/api/health/")["X-Request-ID"]
    second = api_client.get("/api/health/")["X-Request-ID"]

    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


def test_errors_and_non_api_pages_carry_the_id_too(api_client):
    assert api_client.get("/api/nowhere/", HTTP_X_REQUEST_ID="r1")["X-Request-ID"] == (
        "r1"
    )
    assert api_client.get("/", HTTP_X_REQUEST_ID="r2")["X-Request-ID"] == "r2"


def test_a_64_character_id_is_kept(api_client):
    sent = "x" * 64

    assert api_client.get("/api/health/", HTTP_X_REQUEST_ID=sent)["X-Request-ID"] == (
        sent
    )


def test_the_id_does_not_leak_past_the_request(auth_client, user, showtime):
    auth_client.get("/api/health/", HTTP_X_REQUEST_ID="gone")

    assert current_request_id() == ""
    services.create_reservation(user=user, showtime=showtime, labels=["B1"])
    assert ReservationEvent.objects.get().request_id == ""


def test_a_refused_request_stamps_nothing(auth_client, other_user, showtime):
    ReservationFactory(user=other_user, showtime=showtime, seats=["A1"])

    response = auth_client.post(
        URL, {"showtime": showtime.pk, "seats": ["A1"]}, HTTP_X_REQUEST_ID="lost"
    )

    assert response.status_code == status.HTTP_409_CONFLICT
    assert response["X-Request-ID"] == "lost"
    assert not ReservationEvent.objects.filter(request_id="lost").exists()

"""Idempotency-Key on POST /api/reservations/ and POST /api/reservations/{id}/purchase/."""

import threading
import time

import pytest
from rest_framework import status
from rest_framework.test import APIClient

from reservations.models import IdempotencyKey, Reservation, Ticket
from tests.factories import ReservationFactory, ShowtimeFactory, UserFactory
from tests.seams import widen_race_window

from .helpers import active_labels

pytestmark = pytest.mark.django_db

URL = "/api/reservations/"
REPLAYED = "Idempotent-Replayed"


def post(client, url, data, key):
    return client.post(url, data, HTTP_IDEMPOTENCY_KEY=key)


def purchase_url(reservation) -> str:
    return f"{URL}{reservation.pk}/purchase/"


def test_replayed_create_returns_first_answer_without_booking_again(
    auth_client, showtime
):
    data = {"showtime": showtime.pk, "seats": ["A1", "A2"]}
    first = post(auth_client, URL, data, "key-1")

    again = post(auth_client, URL, data, "key-1")

    assert first.status_code == again.status_code == status.HTTP_201_CREATED
    assert again.json() == first.json()
    assert again[REPLAYED] == "true"
    assert REPLAYED not in first
    assert Reservation.objects.count() == 1
    assert active_labels(showtime) == ["A1", "A2"]


def test_replay_is_the_stored_answer_even_after_state_changed(auth_client, showtime):
    data = {"showtime": showtime.pk, "seats": ["A1"]}
    first = post(auth_client, URL, data, "key-1")
    auth_client.delete(f"{URL}{first.json()['id']}/")

    again = post(auth_client, URL, data, "key-1")

    assert again.json() == first.json()
    assert again.json()["status"] == "held"
    assert Reservation.objects.count() == 1


def test_replayed_purchase_charges_once(auth_client, user, showtime, gateway):
    reservation = ReservationFactory(user=user, showtime=showtime, seats=["A1", "A2"])
    first = post(auth_client, purchase_url(reservation), {"payment_token": "t"}, "p-1")

    again = post(auth_client, purchase_url(reservation), {"payment_token": "t"}, "p-1")

    assert first.status_code == again.status_code == status.HTTP_200_OK
    assert again.json() == first.json()
    assert again[REPLAYED] == "true"
    assert len(gateway.charges) == 1
    assert Ticket.objects.count() == 2


def test_declined_purchase_is_replayed_not_recharged(
    auth_client, user, showtime, gateway
):
    reservation = ReservationFactory(user=user, showtime=showtime)
    data = {"payment_token": "tok_declined"}
    first = post(auth_client, purchase_url(reservation), data, "p-1")

    again = post(auth_client, purchase_url(reservation), data, "p-1")

    assert first.status_code == again.status_code == status.HTTP_402_PAYMENT_REQUIRED
    assert again.json() == first.json()
    assert again[REPLAYED] == "true"
    assert gateway.declined == 1


def test_same_key_with_another_body_is_422(auth_client, showtime):
    post(auth_client, URL, {"showtime": showtime.pk, "seats": ["A1"]}, "key-1")

    response = post(
        auth_client, URL, {"showtime": showtime.pk, "seats": ["A3"]}, "key-1"
    )

    assert response.status_code == status.HTTP_422_UNPROCESSABLE_ENTITY
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert active_labels(showtime) == ["A1"]


def test_same_key_on_another_endpoint_is_422(auth_client, user, showtime, gateway):
    reservation = ReservationFactory(user=user, showtime=showtime)
    post(auth_client, purchase_url(reservation), {}, "key-1")

    response = post(auth_client, URL, {}, "key-1")

    assert response.status_code == status.HTTP_422_UNPROCESSABLE_ENTITY


def test_keys_are_scoped_per_user(auth_client, other_client, showtime):
    mine = post(auth_client, URL, {"showtime": showtime.pk, "seats": ["A1"]}, "k")

    theirs = post(other_client, URL, {"showtime": showtime.pk, "seats": ["A2"]}, "k")

    assert mine.status_code == theirs.status_code == status.HTTP_201_CREATED
    assert REPLAYED not in theirs
    assert theirs.json()["id"] != mine.json()["id"]
    assert Reservation.objects.count() == 2


def test_another_users_identical_request_is_not_replayed(
    auth_client, other_client, showtime
):
    data = {"showtime": showtime.pk, "seats": ["A1"]}
    post(auth_client, URL, data, "k")

    theirs = post(other_client, URL, data, "k")

    assert theirs.status_code == status.HTTP_409_CONFLICT  # really executed
    assert REPLAYED not in theirs


def test_conflict_is_not_stored_so_a_retry_runs_again(
    auth_client, other_user, showtime
):
    blocker = ReservationFactory(user=other_user, showtime=showtime, seats=["A1"])
    data = {"showtime": showtime.pk, "seats": ["A1"]}
    conflict = post(auth_client, URL, data, "key-1")
    assert conflict.status_code == status.HTTP_409_CONFLICT
    assert not IdempotencyKey.objects.exists()

    other = APIClient()
    other.force_authenticate(other_user)
    other.delete(f"{URL}{blocker.pk}/")
    retry = post(auth_client, URL, data, "key-1")

    assert retry.status_code == status.HTTP_201_CREATED
    assert REPLAYED not in retry


def test_requests_without_a_key_are_not_deduplicated(auth_client, showtime):
    auth_client.post(URL, {"showtime": showtime.pk, "seats": ["A1"]})
    auth_client.post(URL, {"showtime": showtime.pk, "seats": ["A2"]})

    assert Reservation.objects.count() == 2
    assert not IdempotencyKey.objects.exists()


def test_overlong_key_is_400(auth_client, showtime):
    response = post(
        auth_client, URL, {"showtime": showtime.pk, "seats": ["A1"]}, "k" * 256
    )

    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert not Reservation.objects.exists()


def test_key_expires_after_its_ttl(auth_client, showtime, clock, settings):
    settings.IDEMPOTENCY_KEY_TTL_HOURS = 24
    data = {"showtime": showtime.pk, "seats": ["A1"]}
    first = post(auth_client, URL, data, "key-1")
    clock.advance(hours=23)
    assert post(auth_client, URL, data, "key-1")[REPLAYED] == "true"

    clock.advance(hours=1)
    later = ShowtimeFactory()
    fresh = post(auth_client, URL, {"showtime": later.pk, "seats": ["A1"]}, "key-1")

    assert fresh.status_code == status.HTTP_201_CREATED
    assert fresh.json()["id"] != first.json()["id"]


def test_anonymous_request_with_key_is_401(api_client, showtime):
    response = post(api_client, URL, {"showtime": showtime.pk, "seats": ["A1"]}, "k")

    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_repeat_while_first_is_running_is_409_with_retry_after(monkeypatch):
    """The first request sleeps inside its booking; its twin must not wait or redo it."""
    user = UserFactory()
    showtime = ShowtimeFactory()
    data = {"showtime": showtime.pk, "seats": ["A1"]}
    widen_race_window(monkeypatch, 1.0)
    first: dict = {}

    def run_first():
        from django.db import connection

        try:
            client = APIClient()
            client.force_authenticate(user)
            first["response"] = post(client, URL, data, "slow-key")
        finally:
            connection.close()

    thread = threading.Thread(target=run_first)
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while not IdempotencyKey.objects.filter(key="slow-key").exists():
            assert time.monotonic() < deadline, "the first request never claimed"
            time.sleep(0.01)
        client = APIClient()
        client.force_authenticate(user)
        started = time.monotonic()
        twin = post(client, URL, data, "slow-key")
        waited = time.monotonic() - started
    finally:
        thread.join(timeout=30)

    assert twin.status_code == status.HTTP_409_CONFLICT, twin.content
    assert twin.json()["error"]["code"] == "idempotency_key_in_progress"
    assert twin["Retry-After"] == "1"
    assert waited < 0.9, f"the twin waited {waited:.2f}s for the first request"
    assert first["response"].status_code == status.HTTP_201_CREATED
    assert Reservation.objects.count() == 1

    monkeypatch.undo()
    replay = post(client, URL, data, "slow-key")
    assert replay.status_code == status.HTTP_201_CREATED
    assert replay[REPLAYED] == "true"
    assert replay.json() == first["response"].json()


def test_a_first_attempt_that_died_is_taken_over_after_a_minute(
    auth_client, showtime, clock
):
    data = {"showtime": showtime.pk, "seats": ["A1"]}
    first = post(auth_client, URL, data, "key-1")
    auth_client.delete(f"{URL}{first.json()['id']}/")
    # As if the worker had been killed mid-request: claimed, never completed.
    IdempotencyKey.objects.update(
        is_complete=False, response_status=None, response_body=None
    )

    clock.advance(seconds=30)
    running = post(auth_client, URL, data, "key-1")
    clock.advance(seconds=31)
    retried = post(auth_client, URL, data, "key-1")

    assert running.status_code == status.HTTP_409_CONFLICT
    assert retried.status_code == status.HTTP_201_CREATED
    assert REPLAYED not in retried
    assert retried.json()["id"] != first.json()["id"]
    assert post(auth_client, URL, data, "key-1")[REPLAYED] == "true"

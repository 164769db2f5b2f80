"""A deadlock or serialization failure is retried once by each service that owns its
transaction; a second one surfaces (the API answers 409 busy)."""

import pytest
from django.db import OperationalError
from rest_framework import status
from rest_framework.test import APIClient

from reservations import services
from reservations.models import Reservation, ReservationEvent, ReservationStatus
from reservations.services import locking
from tests.factories import ReservationFactory, ShowtimeFactory

from .helpers import active_labels

pytestmark = pytest.mark.django_db(transaction=True)


class _PgError(Exception):
    sqlstate = "40P01"  # deadlock_detected


@pytest.fixture
def deadlocks(monkeypatch):
    """Make the next ``n`` showtime locks fail as a PostgreSQL deadlock would."""
    real = locking.lock_showtime
    state = {"left": 0, "calls": 0}

    def lock(showtime_id):
        state["calls"] += 1
        if state["left"]:
            state["left"] -= 1
            raise OperationalError("deadlock detected") from _PgError()
        return real(showtime_id)

    monkeypatch.setattr(locking, "lock_showtime", lock)

    def arm(n: int) -> dict:
        state["left"], state["calls"] = n, 0
        return state

    return arm


def test_create_is_retried_once(deadlocks, user, showtime):
    state = deadlocks(1)

    reservation = services.create_reservation(
        user=user, showtime=showtime, labels=["A1"]
    )

    assert state["calls"] == 2
    assert active_labels(showtime) == ["A1"]
    assert list(ReservationEvent.objects.values_list("action", flat=True)) == [
        "created"
    ]
    assert reservation.status == ReservationStatus.HELD


def test_change_seats_is_retried_once(deadlocks, user, showtime):
    reservation = ReservationFactory(user=user, showtime=showtime, seats=["A1"])
    state = deadlocks(1)

    services.change_seats(reservation=reservation, labels=["A2"])

    assert state["calls"] == 2
    assert active_labels(showtime) == ["A2"]


def test_cancel_is_retried_once(deadlocks, user, showtime):
    reservation = ReservationFactory(user=user, showtime=showtime, seats=["A1"])
    state = deadlocks(1)

    services.cancel_reservation(reservation=reservation, actor=user)

    assert state["calls"] == 2
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CANCELLED
    assert ReservationEvent.objects.filter(action="cancelled").count() == 1


def test_purchase_confirm_step_is_retried_once_and_charges_once(
    deadlocks, user, showtime, gateway
):
    reservation = ReservationFactory(user=user, showtime=showtime, seats=["A1"])
    state = deadlocks(1)

    services.purchase_reservation(reservation=reservation)

    assert state["calls"] == 2
    assert len(gateway.charges) == 1
    assert gateway.refunds == []
    assert reservation.tickets.count() == 1


def test_purchase_refunds_when_the_retry_fails_too(deadlocks, user, showtime, gateway):
    reservation = ReservationFactory(user=user, showtime=showtime, seats=["A1"])
    deadlocks(2)

    with pytest.raises(OperationalError):
        services.purchase_reservation(reservation=reservation)

    assert gateway.net_charges() == 0
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.HELD


def test_expire_holds_retries_each_showtime_on_its_own(
    deadlocks, user, other_user, showtime, clock
):
    ReservationFactory(user=user, showtime=showtime, seats=["A1"])
    ReservationFactory(user=other_user, showtime=ShowtimeFactory(), seats=["A1"])
    clock.advance(seconds=601)
    state = deadlocks(1)

    assert services.expire_holds() == 2

    assert state["calls"] == 3  # the first showtime twice, the second once
    assert ReservationEvent.objects.filter(action="expired").count() == 2


def test_two_deadlocks_in_a_row_answer_409_busy(deadlocks, user, showtime):
    client = APIClient()
    client.force_authenticate(user=user)
    state = deadlocks(2)

    response = client.post(
        "/api/reservations/", {"showtime": showtime.pk, "seats": ["A1"]}
    )

    assert state["calls"] == 2
    assert response.status_code == status.HTTP_409_CONFLICT
    assert response.json()["error"]["code"] == "busy"
    assert response["Retry-After"] == "1"
    assert not Reservation.objects.exists()
    assert not ReservationEvent.objects.exists()

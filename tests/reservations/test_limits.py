"""Seat hoarding limits (OWASP API6): active holds per user, held seats per showtime."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework import status

from reservations import services
from reservations.exceptions import HoldLimitReached, SeatLimitReached
from reservations.models import Reservation, ReservationEvent
from tests.factories import ReservationFactory, ShowtimeFactory

from .helpers import active_labels

pytestmark = pytest.mark.django_db

URL = "/api/reservations/"
ROOT = Path(__file__).resolve().parents[2]


def hold(user, showtime, *labels):
    return services.create_reservation(
        user=user, showtime=showtime, labels=list(labels)
    )


def stored(reservation) -> tuple[str, list[str]]:
    """The reservation's status and active seat labels, as the database has them."""
    reservation.refresh_from_db()
    labels = reservation.reserved_seats.filter(is_active=True).values_list(
        "seat__label", flat=True
    )
    return reservation.status, sorted(labels)


def seat_changes(reservation) -> list[tuple[list[str], list[str]]]:
    """(seats before, seats after) of each seats_changed event, oldest first."""
    return [
        (event.details["seats_before"], event.details["seats_after"])
        for event in ReservationEvent.objects.filter(
            reservation=reservation, action="seats_changed"
        )
    ]


# --- active holds per user ------------------------------------------------------------


def test_defaults_are_five_holds_and_ten_seats(settings):
    assert settings.RESERVATION_MAX_ACTIVE_HOLDS == 5
    assert settings.RESERVATION_MAX_HELD_SEATS_PER_SHOWTIME == 10


def test_sixth_hold_is_refused_and_reserves_nothing(user):
    for _ in range(5):
        hold(user, ShowtimeFactory(), "A1")
    showtime = ShowtimeFactory()

    with pytest.raises(HoldLimitReached) as excinfo:
        hold(user, showtime, "A1")

    assert excinfo.value.details == {"limit": 5, "active_holds": 5}
    assert active_labels(showtime) == []
    assert Reservation.objects.count() == 5
    assert ReservationEvent.objects.count() == 5


def test_hold_limit_is_per_user(user, other_user, showtime, settings):
    settings.RESERVATION_MAX_ACTIVE_HOLDS = 1
    hold(user, showtime, "A1")

    hold(other_user, showtime, "A2")  # someone else's holds do not count

    with pytest.raises(HoldLimitReached):
        hold(user, showtime, "A3")


def test_lapsed_holds_do_not_count_even_before_any_sweep(user, settings, clock):
    settings.RESERVATION_MAX_ACTIVE_HOLDS = 2
    old = [hold(user, ShowtimeFactory(), "A1") for _ in range(2)]
    clock.advance(seconds=601)

    hold(user, ShowtimeFactory(), "A1")  # the lapsed holds are on other showtimes

    assert {
        r.status for r in Reservation.objects.filter(pk__in=[o.pk for o in old])
    } == {
        "held"  # not swept yet, and still not counted
    }


def test_purchased_cancelled_and_expired_reservations_do_not_count(
    user, settings, gateway, clock
):
    settings.RESERVATION_MAX_ACTIVE_HOLDS = 1
    bought = hold(user, ShowtimeFactory(), "A1")
    services.purchase_reservation(reservation=bought)
    cancelled = hold(user, ShowtimeFactory(), "A1")
    services.cancel_reservation(reservation=cancelled, actor=user)
    hold(user, ShowtimeFactory(), "A1")
    clock.advance(seconds=601)
    services.expire_holds()

    hold(user, ShowtimeFactory(), "A1")

    with pytest.raises(HoldLimitReached):
        hold(user, ShowtimeFactory(), "A1")


# --- held seats per user per showtime -------------------------------------------------


def test_seats_across_holds_of_one_showtime_are_capped(user, showtime, settings):
    settings.RESERVATION_MAX_HELD_SEATS_PER_SHOWTIME = 4
    hold(user, showtime, "A1", "A2")
    hold(user, showtime, "A3")

    with pytest.raises(SeatLimitReached) as excinfo:
        hold(user, showtime, "A4", "A5")

    assert excinfo.value.details == {"limit": 4, "held_seats": 3, "requested": 2}
    assert active_labels(showtime) == ["A1", "A2", "A3"]

    at_limit = hold(user, showtime, "A4")  # exactly at the limit is fine

    assert stored(at_limit) == ("held", ["A4"])
    assert active_labels(showtime) == ["A1", "A2", "A3", "A4"]


def test_seat_limit_is_per_showtime(user, showtime, settings):
    settings.RESERVATION_MAX_HELD_SEATS_PER_SHOWTIME = 2
    first = hold(user, showtime, "A1", "A2")
    other_showtime = ShowtimeFactory()

    second = hold(user, other_showtime, "A1", "A2")  # a full quota on each showtime

    assert stored(first) == ("held", ["A1", "A2"])
    assert stored(second) == ("held", ["A1", "A2"])
    assert second.showtime_id == other_showtime.pk
    assert active_labels(showtime) == ["A1", "A2"]
    assert active_labels(other_showtime) == ["A1", "A2"]


def test_sold_and_lapsed_seats_do_not_count(user, showtime, settings, gateway, clock):
    settings.RESERVATION_MAX_HELD_SEATS_PER_SHOWTIME = 2
    services.purchase_reservation(reservation=hold(user, showtime, "A1", "A2"))
    hold(user, showtime, "B1", "B2")
    clock.advance(seconds=601)

    hold(user, showtime, "C1", "C2")

    with pytest.raises(SeatLimitReached):
        hold(user, showtime, "C3")


def test_change_seats_may_not_grow_past_the_limit(user, showtime, settings):
    settings.RESERVATION_MAX_HELD_SEATS_PER_SHOWTIME = 3
    hold(user, showtime, "A1")
    reservation = hold(user, showtime, "B1")

    services.change_seats(reservation=reservation, labels=["B1", "B2"])  # 3 in all
    with pytest.raises(SeatLimitReached) as excinfo:
        services.change_seats(reservation=reservation, labels=["B1", "B2", "B3"])

    assert excinfo.value.details == {"limit": 3, "held_seats": 1, "requested": 3}
    assert active_labels(showtime) == ["A1", "B1", "B2"]
    assert [
        e.action for e in ReservationEvent.objects.filter(reservation=reservation)
    ] == [
        "created",
        "seats_changed",
    ]


def test_change_seats_counts_only_its_own_seats_once(user, showtime, settings):
    settings.RESERVATION_MAX_HELD_SEATS_PER_SHOWTIME = 2
    reservation = hold(user, showtime, "A1", "A2")

    # At the limit already, but the two seats it gives up are not counted against it.
    services.change_seats(reservation=reservation, labels=["B1", "B2"])

    assert stored(reservation) == ("held", ["B1", "B2"])
    assert active_labels(showtime) == ["B1", "B2"]
    assert seat_changes(reservation) == [(["A1", "A2"], ["B1", "B2"])]


def test_change_seats_is_not_stopped_by_the_hold_limit(user, settings):
    settings.RESERVATION_MAX_ACTIVE_HOLDS = 1
    showtime = ShowtimeFactory()
    reservation = hold(user, showtime, "A1")

    # The user is at the hold limit; changing seats edits that hold, it adds none.
    services.change_seats(reservation=reservation, labels=["A2"])

    assert stored(reservation) == ("held", ["A2"])
    assert active_labels(showtime) == ["A2"]
    assert Reservation.objects.filter(user=user).count() == 1
    assert seat_changes(reservation) == [(["A1"], ["A2"])]


# --- over HTTP -----------------------------------------------------------------------


def test_api_answers_409_hold_limit_reached(auth_client, user, settings):
    settings.RESERVATION_MAX_ACTIVE_HOLDS = 1
    ReservationFactory(user=user)
    showtime = ShowtimeFactory()

    response = auth_client.post(URL, {"showtime": showtime.pk, "seats": ["A1"]})

    assert response.status_code == status.HTTP_409_CONFLICT
    assert response.json() == {
        "error": {
            "code": "hold_limit_reached",
            "message": (
                "You already have the most holds allowed at once; "
                "purchase or cancel one before holding more seats."
            ),
            "fields": {},
            "details": {"limit": 1, "active_holds": 1},
        }
    }


def test_api_answers_409_seat_limit_reached_on_create_and_change(
    auth_client, user, showtime, settings
):
    settings.RESERVATION_MAX_HELD_SEATS_PER_SHOWTIME = 3
    first = ReservationFactory(user=user, showtime=showtime, seats=["A1", "A2"])

    create = auth_client.post(URL, {"showtime": showtime.pk, "seats": ["B1", "B2"]})
    change = auth_client.patch(f"{URL}{first.pk}/", {"seats": ["A1", "A2", "A3", "A4"]})

    for response in (create, change):
        assert response.status_code == status.HTTP_409_CONFLICT
        error = response.json()["error"]
        assert error["code"] == "seat_limit_reached"
        assert error["message"] == (
            "This would hold more seats for one showtime than one customer may."
        )
    assert create.json()["error"]["details"] == {
        "limit": 3,
        "held_seats": 2,
        "requested": 2,
    }
    assert change.json()["error"]["details"] == {
        "limit": 3,
        "held_seats": 0,
        "requested": 4,
    }
    assert active_labels(showtime) == ["A1", "A2"]


def test_a_limit_409_is_not_stored_under_an_idempotency_key(
    auth_client, user, settings
):
    settings.RESERVATION_MAX_ACTIVE_HOLDS = 1
    blocker = ReservationFactory(user=user)
    showtime = ShowtimeFactory()
    body = {"showtime": showtime.pk, "seats": ["A1"]}

    refused = auth_client.post(URL, body, HTTP_IDEMPOTENCY_KEY="k1")
    services.cancel_reservation(reservation=blocker, actor=user)
    retried = auth_client.post(URL, body, HTTP_IDEMPOTENCY_KEY="k1")

    assert refused.status_code == status.HTTP_409_CONFLICT
    assert retried.status_code == status.HTTP_201_CREATED


# --- configuration ---------------------------------------------------------------------


def test_limits_come_from_the_environment():
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="movie_api.settings",
        DJANGO_SECRET_KEY="x" * 60,
        RESERVATION_MAX_ACTIVE_HOLDS="2",
        RESERVATION_MAX_HELD_SEATS_PER_SHOWTIME="4",
    )
    probe = (
        "import json; from django.conf import settings; print(json.dumps(["
        "settings.RESERVATION_MAX_ACTIVE_HOLDS, "
        "settings.RESERVATION_MAX_HELD_SEATS_PER_SHOWTIME]))"
    )

    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [2, 4]

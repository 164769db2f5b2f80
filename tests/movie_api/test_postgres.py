"""Guarantees that PostgreSQL itself enforces, and its timeouts (skipped on SQLite)."""

import threading
from datetime import timedelta

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction
from rest_framework import status

from showtimes.models import Showtime
from tests.factories import MovieFactory, ScreenFactory, ShowtimeFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _raw_showtime(screen, movie, starts_at, *, is_cancelled=False):
    """Insert without the service, so only the database can refuse an overlap."""
    return Showtime.objects.create(
        movie=movie,
        screen=screen,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=movie.duration_minutes + 15),
        prices={"standard": "10.00", "premium": "15.50"},
        is_cancelled=is_cancelled,
        business_date=starts_at.date(),  # a UTC theater; not what is tested here
    )


def test_exclusion_constraint_refuses_overlap_on_one_screen():
    first = ShowtimeFactory()
    with (
        pytest.raises(IntegrityError, match="showtime_no_overlap"),
        transaction.atomic(),
    ):
        _raw_showtime(
            first.screen, first.movie, first.starts_at + timedelta(minutes=30)
        )


def test_exclusion_constraint_allows_back_to_back_other_screen_and_cancelled():
    first = ShowtimeFactory()
    _raw_showtime(
        first.screen, first.movie, first.ends_at
    )  # [) ranges: touching is fine
    _raw_showtime(ScreenFactory(), first.movie, first.starts_at)
    _raw_showtime(first.screen, MovieFactory(), first.starts_at, is_cancelled=True)
    assert Showtime.objects.count() == 4


def test_connection_has_lock_and_statement_timeouts():
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone()[0] == "3s"
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "15s"


@pytest.mark.django_db(transaction=True)
def test_lock_timeout_answers_409_with_retry_after(auth_client):
    showtime = ShowtimeFactory()
    params = connection.get_connection_params()
    holder = psycopg.connect(
        dbname=params["dbname"],
        user=params.get("user"),
        host=params.get("host"),
        port=params.get("port"),
    )
    locked = threading.Event()
    try:
        holder.execute(
            "SELECT id FROM showtimes_showtime WHERE id = %s FOR UPDATE", (showtime.pk,)
        )
        locked.set()
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 300")
        response = auth_client.post(
            "/api/reservations/", {"showtime": showtime.pk, "seats": ["A1"]}
        )
    finally:
        holder.rollback()
        holder.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")

    assert locked.is_set()
    assert response.status_code == status.HTTP_409_CONFLICT
    assert response.headers["Retry-After"] == "1"
    assert response.json()["error"]["code"] == "busy"
    # The request that timed out left nothing behind; the seat is bookable now.
    retry = auth_client.post(
        "/api/reservations/", {"showtime": showtime.pk, "seats": ["A1"]}
    )
    assert retry.status_code == status.HTTP_201_CREATED

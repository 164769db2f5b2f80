"""LOG_FORMAT=json (movie_api.logs): one JSON object per line, a line per request
and per committed booking event, each carrying its request id; text stays the
default."""

import json
import logging
import sys

import pytest
from rest_framework import status
from rest_framework_simplejwt.tokens import AccessToken

from movie_api.logs import JsonFormatter
from tests.factories import ShowtimeFactory, UserFactory
from tests.interpreter import clean_env, run_python

pytestmark = pytest.mark.django_db

REQUEST_FIELDS = {
    "time",
    "level",
    "logger",
    "message",
    "request_id",
    "user_id",
    "route",
    "method",
    "status",
    "duration_ms",
}


def as_json(caplog, logger: str) -> list[dict]:
    """The records ``logger`` wrote, each through the JSON formatter and back."""
    formatter = JsonFormatter()
    lines = [formatter.format(r) for r in caplog.records if r.name == logger]
    assert all("\n" not in line for line in lines)
    return [json.loads(line) for line in lines]


def test_a_record_is_one_json_line_traceback_included():
    try:
        raise ValueError("bad\nthing")
    except ValueError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "two\nlines %s", ("ü",), sys.exc_info()
        )

    line = JsonFormatter().format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "two\nlines ü"
    assert entry["level"] == "ERROR"
    assert entry["time"].endswith("Z")
    assert "ValueError: bad\nthing" in entry["exc_info"]


def test_json_mode_logs_one_line_per_request(api_client, settings, caplog):
    settings.LOG_FORMAT = "json"
    user = UserFactory()
    caplog.set_level(logging.INFO, logger="movie_api.requests")

    response = api_client.get(
        "/api/auth/me/",
        HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}",
        HTTP_X_REQUEST_ID="req-123",
    )
    api_client.get("/api/showtimes/999999/")

    assert response.status_code == status.HTTP_200_OK
    mine, missing = as_json(caplog, "movie_api.requests")
    assert set(mine) == REQUEST_FIELDS
    assert mine["request_id"] == "req-123"
    assert mine["user_id"] == user.pk
    assert (mine["route"], mine["method"], mine["status"]) == ("me", "GET", 200)
    assert mine["duration_ms"] > 0
    assert missing["user_id"] is None
    assert (missing["route"], missing["status"]) == ("showtime-detail", 404)
    assert missing["request_id"] != mine["request_id"]


def test_text_mode_writes_no_request_lines(api_client, caplog):
    caplog.set_level(logging.INFO, logger="movie_api.requests")

    api_client.get("/api/health/live/")

    assert as_json(caplog, "movie_api.requests") == []


def test_booking_events_are_logged_once_committed(
    settings, caplog, django_capture_on_commit_callbacks
):
    from tests.reservations.helpers import client_for

    settings.LOG_FORMAT = "json"
    showtime = ShowtimeFactory()
    client = client_for(UserFactory())
    caplog.set_level(logging.INFO, logger="movie_api.events")

    with django_capture_on_commit_callbacks(execute=True):
        held = client.post(
            "/api/reservations/",
            {"showtime": showtime.pk, "seats": ["A1"]},
            HTTP_X_REQUEST_ID="hold-1",
        )
        client.delete(f"/api/reservations/{held.json()['id']}/")

    created, cancelled = as_json(caplog, "movie_api.events")
    assert created == {
        "time": created["time"],
        "level": "INFO",
        "logger": "movie_api.events",
        "message": f"reservation {held.json()['code']} created (showtime {showtime.pk})",
        "request_id": "hold-1",
        "event": "created",
        "reservation_id": held.json()["id"],
        "reservation_code": held.json()["code"],
        "showtime_id": showtime.pk,
        "from_status": "",
        "to_status": "held",
    }
    assert cancelled["event"] == "cancelled"
    assert cancelled["request_id"] not in {"", None, "hold-1"}


PROBE = """
import django
django.setup()
from django.test import Client
client = Client()
client.get("/api/health/live/")
client.get("/no-such-page")
"""


def test_log_format_json_turns_every_console_line_into_json():
    result = run_python(
        PROBE,
        clean_env(
            "DATABASE_URL",
            "REDIS_URL",
            DJANGO_SETTINGS_MODULE="movie_api.test_settings",
            LOG_FORMAT="json",
        ),
    )

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    by_logger = {}
    for line in lines:
        by_logger.setdefault(line["logger"], []).append(line)
    live, missing = by_logger["movie_api.requests"]
    assert (live["route"], live["status"]) == ("health-live", 200)
    assert (missing["route"], missing["status"]) == ("unmatched", 404)
    # Django's own warning for the 404 is JSON too, with the same request id.
    (warning,) = by_logger["django.request"]
    assert warning["request_id"] == missing["request_id"]

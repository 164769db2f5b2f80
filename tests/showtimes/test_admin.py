"""Showtime admin: the API's rules apply, as form errors rather than crashes."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework import status

from showtimes.models import Showtime
from tests.factories import MovieFactory, ScreenFactory, ShowtimeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _form(*, movie, screen, starts_at, prices='{"standard": "9", "premium": "12"}'):
    return {
        "movie": movie.pk,
        "screen": screen.pk,
        "starts_at_0": starts_at.date().isoformat(),
        "starts_at_1": starts_at.time().isoformat(),
        "prices": prices,
        "format": "2D",  # the form's select starts on it, so a browser sends it
    }


def _tomorrow(hour: int) -> datetime:
    day = (timezone.now() + timedelta(days=2)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def test_admin_adds_showtime_with_derived_end(admin_client):
    movie = MovieFactory(duration_minutes=100)

    response = admin_client.post(
        reverse("admin:showtimes_showtime_add"),
        _form(movie=movie, screen=ScreenFactory(), starts_at=_tomorrow(10)),
    )

    assert response.status_code == status.HTTP_302_FOUND
    showtime = Showtime.objects.get()
    assert showtime.ends_at == _tomorrow(10) + timedelta(minutes=115)
    assert showtime.prices == {"standard": "9.00", "premium": "12.00"}


def test_admin_overlap_is_a_form_error(admin_client):
    existing = ShowtimeFactory(starts_at=_tomorrow(10))

    response = admin_client.post(
        reverse("admin:showtimes_showtime_add"),
        _form(movie=existing.movie, screen=existing.screen, starts_at=_tomorrow(11)),
    )

    assert response.status_code == status.HTTP_200_OK
    assert response.context["adminform"].form.non_field_errors()
    assert Showtime.objects.count() == 1


@pytest.mark.parametrize(
    "prices", ['{"standard": "9"}', '{"standard": "-1", "premium": "2"}', "[]"]
)
def test_admin_bad_prices_are_a_form_error(admin_client, prices):
    response = admin_client.post(
        reverse("admin:showtimes_showtime_add"),
        _form(
            movie=MovieFactory(),
            screen=ScreenFactory(),
            starts_at=_tomorrow(10),
            prices=prices,
        ),
    )

    assert response.status_code == status.HTTP_200_OK
    assert "prices" in response.context["adminform"].form.errors
    assert not Showtime.objects.exists()


@pytest.mark.parametrize(
    ("prices", "message"),
    [
        (
            '{"standard": "-0", "premium": "2"}',
            'standard: Price takes no sign: use 0.00 to 9999.99, such as "10.00".',
        ),
        (
            '{"standard": "\\u0661\\u0660", "premium": "2"}',  # Arabic-Indic "10"
            'standard: Price must be a decimal string of digits 0-9, such as "10.00".',
        ),
        (
            '{"standard": "1_000", "premium": "2"}',
            'standard: Price must be a decimal string of digits 0-9, such as "10.00".',
        ),
    ],
)
def test_admin_takes_prices_by_the_api_rule(admin_client, prices, message):
    response = admin_client.post(
        reverse("admin:showtimes_showtime_add"),
        _form(
            movie=MovieFactory(),
            screen=ScreenFactory(),
            starts_at=_tomorrow(10),
            prices=prices,
        ),
    )

    assert response.status_code == status.HTTP_200_OK
    assert response.context["adminform"].form.errors["prices"] == [message]
    assert not Showtime.objects.exists()


@pytest.mark.parametrize(
    "starts_at",
    [
        datetime(9999, 12, 31, 23, tzinfo=UTC),  # + the runtime overflowed: a 500
        datetime(1, 1, 1, 0, 30, tzinfo=UTC),  # check-in opens 2 h before: overflow
    ],
)
def test_admin_start_outside_the_calendar_is_a_form_error(admin_client, starts_at):
    showtime = ShowtimeFactory(starts_at=_tomorrow(10))

    response = admin_client.post(
        reverse("admin:showtimes_showtime_change", args=[showtime.pk]),
        {
            **_form(
                movie=showtime.movie, screen=showtime.screen, starts_at=_tomorrow(10)
            ),
            "starts_at_0": starts_at.date().isoformat(),
            "starts_at_1": starts_at.time().isoformat(),
        },
    )

    assert response.status_code == status.HTTP_200_OK
    assert response.context["adminform"].form.errors["starts_at"] == [
        "A showtime must start from 0001-01-02 and before 9999-12-31 (UTC)."
    ]
    showtime.refresh_from_db()
    assert showtime.starts_at == _tomorrow(10)


def test_admin_sets_details_and_shows_business_date_read_only(admin_client):
    response = admin_client.post(
        reverse("admin:showtimes_showtime_add"),
        {
            **_form(
                movie=MovieFactory(), screen=ScreenFactory(), starts_at=_tomorrow(3)
            ),
            "format": "IMAX",
            "audio_language": "en",
            "subtitles": "de",
            "is_relaxed": "on",
        },
    )

    assert response.status_code == status.HTTP_302_FOUND, response.content[:3000]
    showtime = Showtime.objects.get()
    assert (showtime.format, showtime.audio_language, showtime.subtitles) == (
        "IMAX",
        "en",
        "de",
    )
    assert showtime.accessibility == ["relaxed"]
    # 03:00 in a UTC theater is the day before's programme
    assert showtime.business_date == _tomorrow(3).date() - timedelta(days=1)
    page = admin_client.get(
        reverse("admin:showtimes_showtime_change", args=[showtime.pk])
    )
    form = page.context["adminform"].form
    assert "business_date" not in form.fields  # shown, not editable
    assert "business_date" in str(page.context["adminform"].readonly_fields)


@pytest.mark.parametrize(
    ("field", "value"), [("audio_language", "EN"), ("subtitles", "xx")]
)
def test_admin_unknown_language_is_a_form_error(admin_client, field, value):
    response = admin_client.post(
        reverse("admin:showtimes_showtime_add"),
        {
            **_form(
                movie=MovieFactory(), screen=ScreenFactory(), starts_at=_tomorrow(10)
            ),
            field: value,
        },
    )

    assert response.status_code == status.HTTP_200_OK
    assert field in response.context["adminform"].form.errors
    assert not Showtime.objects.exists()


def test_export_csv_action_streams_the_selected_showtimes(admin_client):
    early = ShowtimeFactory(
        starts_at=_tomorrow(10), screen__theater__timezone="America/New_York"
    )
    late = ShowtimeFactory(starts_at=_tomorrow(20), movie__title="=cmd|' /C calc'!A0")
    ShowtimeFactory()  # not selected

    response = admin_client.post(
        reverse("admin:showtimes_showtime_changelist"),
        {"action": "export_showtimes_csv", "_selected_action": [late.pk, early.pk]},
    )

    assert response.status_code == status.HTTP_200_OK
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [row["id"] for row in rows] == [str(early.pk), str(late.pk)]
    assert (
        rows[0]["local_starts_at"]
        == _tomorrow(10).astimezone(ZoneInfo("America/New_York")).isoformat()
    )
    assert rows[0]["capacity"] == "28"
    assert json.loads(rows[0]["prices"]) == {
        "premium": {"adult": "15.50"},
        "standard": {"adult": "10.00"},
    }
    assert rows[1]["movie"] == "'=cmd|' /C calc'!A0"  # not a formula in a spreadsheet

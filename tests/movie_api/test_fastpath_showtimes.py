# ruff: noqa: F811  (the shared fixtures are imported from test_fastpath)
"""The showtime list on the WSGI fast path (movie_api/fastpath.py): the same bytes and
headers as Django for ``?date=`` queries, never behind a booking, a lapsed hold or a
catalogue write on any table the list reads (showtimes, movies, screens, theaters,
prices), whatever made it; other queries go to Django."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, connection
from django.utils import timezone

from movie_api import fastpath
from movies.models import CatalogueVersion, Movie
from reservations import services
from showtimes.models import Showtime
from tests.factories import MovieFactory, ShowtimeFactory
from tests.movie_api.test_fastpath import (  # noqa: F401  (fixtures)
    _keep_the_test_connection,
    call,
    clock,
    django_app,
    fast,
    gateway,
    stable,
)
from theaters.models import Screen, Theater

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(db):
    """The version row (a transactional test elsewhere may have flushed it)."""
    CatalogueVersion.objects.get_or_create(id=1)


@pytest.fixture
def show(catalogue):
    return ShowtimeFactory(starts_at=timezone.now() + timedelta(days=2))


@pytest.fixture
def day(show):
    return show.business_date.isoformat()


def listing(app, day: str, extra: str = "") -> list[dict]:
    status, _headers, body = call(
        app, "/api/showtimes/", QUERY_STRING=f"date={day}{extra}"
    )
    assert status == "200 OK", body
    return json.loads(body)["results"]


def free(app, day: str, show) -> int:
    return next(r for r in listing(app, day) if r["id"] == show.pk)["available_seats"]


def keep_the_connection() -> None:
    """Django's test client reconnects close_old_connections after its request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)


def direct(day: str, extra: str = "") -> list[dict]:
    return listing(WSGIHandler(), day, extra)


def test_a_copy_has_djangos_bytes_and_headers(fast, django_app, show, day, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://tickets.example"]
    origin = {"HTTP_ORIGIN": "https://tickets.example"}
    ShowtimeFactory(screen=show.screen, starts_at=show.starts_at + timedelta(hours=4))
    for query in (
        f"date={day}",
        f"date={day}&page_size=1&page=2",
        f"movie={show.movie_id}&date={day}",
        f"date={day}&theater={show.screen.theater_id}",
    ):
        first = call(fast, "/api/showtimes/", QUERY_STRING=query, **origin)
        calls = django_app.calls
        second = call(fast, "/api/showtimes/", QUERY_STRING=query, **origin)
        same = call(WSGIHandler(), "/api/showtimes/", QUERY_STRING=query, **origin)

        assert django_app.calls == calls  # the second was a copy
        assert first[0] == second[0] == same[0] == "200 OK"
        assert first[2] == second[2] == same[2]
        assert stable(first[1]) == stable(second[1]) == stable(same[1])
        assert "access-control-allow-origin" in dict(stable(second[1]))

        etag = dict(second[1])["ETag"]
        conditional = {"QUERY_STRING": query, "HTTP_IF_NONE_MATCH": etag, **origin}
        call(fast, "/api/showtimes/", **conditional)
        calls = django_app.calls
        fast_304 = call(fast, "/api/showtimes/", **conditional)
        django_304 = call(WSGIHandler(), "/api/showtimes/", **conditional)
        assert django_app.calls == calls
        assert fast_304[0] == django_304[0] == "304 Not Modified"
        assert stable(fast_304[1]) == stable(django_304[1])


def test_other_queries_go_to_django(fast, django_app, day):
    for query in (
        "",
        "ordering=-starts_at",
        f"date={day}&ordering=-starts_at",
        f"date={day}&date={day}",
        f"date={day}&movie=abc",
        f"date={day}&format=IMAX",
        "date=2026-02-30",
        "date=2026-1-01",
        f"date={day}&",
    ):
        before = django_app.calls
        call(fast, "/api/showtimes/", QUERY_STRING=query)
        call(fast, "/api/showtimes/", QUERY_STRING=query)
        assert django_app.calls == before + 2, query
    bad = call(fast, "/api/showtimes/", QUERY_STRING="date=9999-12-31")
    assert bad[0].startswith("400")
    assert call(fast, "/api/showtimes/", QUERY_STRING=f"date={day}&page=9")[
        0
    ].startswith("400")
    assert call(
        fast,
        "/api/showtimes/",
        QUERY_STRING=f"date={day}",
        HTTP_AUTHORIZATION="Bearer not-a-token",
    )[0].startswith("401")


def test_a_booking_shows_at_once_without_bumping_the_catalogue(
    fast, show, day, user, gateway
):
    capacity = free(fast, day, show)
    assert free(fast, day, show) == capacity  # copied
    version = CatalogueVersion.objects.get(id=1).version

    reservation = services.create_reservation(user=user, showtime=show, labels=["A1"])
    assert free(fast, day, show) == capacity - 1
    services.purchase_reservation(reservation=reservation)
    services.cancel_reservation(reservation=reservation, actor=user)
    assert free(fast, day, show) == capacity
    # The booking side wrote only the seat columns: no write of the version row.
    assert CatalogueVersion.objects.get(id=1).version == version
    assert listing(fast, day) == direct(day)


def test_without_the_seat_part_a_booking_would_not_show(
    fast, show, day, user, monkeypatch
):
    """The negative control: a version without the date's seat part goes stale."""
    monkeypatch.setattr(fastpath, "SHOWTIME_SEATS", "0, NULL")
    capacity = free(fast, day, show)
    services.create_reservation(user=user, showtime=show, labels=["A1"])
    assert free(fast, day, show) == capacity  # stale: the seat part matters


def test_a_lapsed_hold_shows_without_any_write(fast, show, day, user, clock, settings):
    settings.RESERVATION_HOLD_SECONDS = 120
    capacity = free(fast, day, show)
    services.create_reservation(user=user, showtime=show, labels=["A1"])
    clock.advance(seconds=60)
    services.create_reservation(user=user, showtime=show, labels=["A2"])
    assert free(fast, day, show) == capacity - 2
    clock.advance(seconds=59)
    assert free(fast, day, show) == capacity - 2
    clock.advance(seconds=2)  # the first hold lapsed; the next deadline keys it
    assert free(fast, day, show) == capacity - 1
    assert free(fast, day, show) == capacity - 1
    clock.advance(seconds=60)
    assert free(fast, day, show) == capacity
    assert listing(fast, day) == direct(day)


def test_every_kind_of_catalogue_write_shows_at_once(
    fast, show, day, manager_client, client
):
    listing(fast, day)
    # The API (a service's save()).
    answer = manager_client.patch(
        f"/api/theaters/{show.screen.theater_id}/",
        {"name": "The Grand"},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    keep_the_connection()
    assert listing(fast, day)[0]["theater_name"] == "The Grand"
    # update() on each table the list reads; no signal is sent.
    Movie.objects.filter(pk=show.movie_id).update(title="Renamed")
    assert listing(fast, day)[0]["movie_title"] == "Renamed"
    Screen.objects.filter(pk=show.screen_id).update(name="Hall 9")
    assert listing(fast, day)[0]["screen_name"] == "Hall 9"
    Theater.objects.filter(pk=show.screen.theater_id).update(currency="GBP")
    assert listing(fast, day)[0]["currency"] == "GBP"
    Showtime.objects.filter(pk=show.pk).update(
        prices={"standard": "12.00", "premium": "15.50"}
    )
    assert listing(fast, day)[0]["prices"]["standard"] == "12.00"
    Showtime.objects.filter(pk=show.pk).update(is_cancelled=True)
    assert listing(fast, day)[0]["is_cancelled"] is True
    # bulk_create.
    Showtime.objects.bulk_create(
        [
            Showtime(
                movie_id=show.movie_id,
                screen_id=show.screen_id,
                starts_at=show.starts_at + timedelta(hours=5),
                ends_at=show.starts_at + timedelta(hours=7),
                prices=show.prices,
                business_date=show.business_date,
            )
        ]
    )
    assert len(listing(fast, day)) == 2
    # The admin (delete through its confirmation page).
    admin = get_user_model().objects.create_superuser("root", "r@example.com", "pw")
    client.force_login(admin)
    answer = client.post(
        f"/admin/showtimes/showtime/{show.pk}/delete/", {"post": "yes"}
    )
    assert answer.status_code == 302
    keep_the_connection()
    assert [row["id"] for row in listing(fast, day)] != [show.pk]
    assert len(listing(fast, day)) == 1
    assert listing(fast, day) == direct(day)


def test_without_the_trigger_a_catalogue_write_would_not_show(fast, show, day):
    """The negative control: the version is only as good as its triggers."""
    if connection.vendor == "sqlite":
        drop = "DROP TRIGGER theaters_screen_catalogue_bump_update"
    else:
        drop = "DROP TRIGGER screens_catalogue_bump ON theaters_screen"
    listing(fast, day)
    with connection.cursor() as cursor:
        cursor.execute(drop)
    Screen.objects.filter(pk=show.screen_id).update(name="Hall 9")
    assert listing(fast, day)[0]["screen_name"] != "Hall 9"  # stale


def test_a_new_showtime_that_day_shows_at_once(fast, show, day):
    assert len(listing(fast, day)) == 1
    ShowtimeFactory(
        movie=MovieFactory(title="Later"),
        screen=show.screen,
        starts_at=show.starts_at + timedelta(hours=4),
    )
    assert [row["movie_title"] for row in listing(fast, day)][-1] == "Later"


def test_without_the_version_row_the_list_goes_to_django(fast, django_app, day):
    CatalogueVersion.objects.all().delete()
    listing(fast, day)
    listing(fast, day)
    assert django_app.calls == 2

"""The seat map's WSGI fast path (movie_api/fastpath.py): the same bytes and headers
as Django for the same request, never behind a committed seat change, a lapsed
hold, a block, a price or a layout; credentials and other paths go to Django."""

import io
import json
from datetime import timedelta

import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.utils import timezone

from movie_api.fastpath import FastPath
from reservations import services
from reservations.services import cancellation, expiry, holds, settlement, swaps
from showtimes.models import Showtime
from tests.factories import MovieFactory, ShowtimeFactory, UserFactory

pytestmark = pytest.mark.django_db

VOLATILE = {"x-request-id"}


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """A WSGI call sends request_started/finished, whose receiver closes the test's
    connection mid-transaction; Django's test client disconnects it the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


class Counting:
    """Django's WSGI handler, counting the requests that reach it."""

    def __init__(self):
        self.handler = WSGIHandler()
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.handler(environ, start_response)


@pytest.fixture
def django_app():
    return Counting()


@pytest.fixture
def fast(django_app):
    return FastPath(django_app)


def call(app, path: str, **headers):
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        **headers,
    }
    answered = {}

    def start_response(status, response_headers, exc_info=None):
        answered["status"], answered["headers"] = status, response_headers

    result = app(environ, start_response)
    body = b"".join(result)
    if hasattr(result, "close"):
        result.close()
    return answered["status"], answered["headers"], body


def stable(headers) -> list:
    return sorted((n.lower(), v) for n, v in headers if n.lower() not in VOLATILE)


def seat_states(app, showtime) -> dict:
    status, _headers, body = call(app, f"/api/showtimes/{showtime.pk}/seats/")
    assert status == "200 OK"

    return {seat["label"]: seat["status"] for seat in json.loads(body)}


def test_a_copy_has_djangos_bytes_and_headers(fast, django_app, showtime, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://tickets.example"]
    path = f"/api/showtimes/{showtime.pk}/seats/"
    origin = {"HTTP_ORIGIN": "https://tickets.example"}

    first = call(fast, path, **origin)  # a miss: Django answers, the layer copies
    second = call(fast, path, **origin)  # a hit
    direct = call(WSGIHandler(), path, **origin)

    assert django_app.calls == 1
    for answer in (first, second):
        assert answer[0] == direct[0] == "200 OK"
        assert answer[2] == direct[2]
        assert stable(answer[1]) == stable(direct[1])
    names = {name.lower() for name, _ in second[1]}
    assert {
        "content-type",
        "etag",
        "vary",
        "access-control-allow-origin",
        "x-content-type-options",
        "x-frame-options",
        "referrer-policy",
        "x-request-id",
    } <= names


def test_the_request_id_is_the_callers_or_new(fast, showtime):
    path = f"/api/showtimes/{showtime.pk}/seats/"
    call(fast, path)
    _status, headers, _body = call(fast, path, HTTP_X_REQUEST_ID="abc-123")
    assert dict(headers)["X-Request-ID"] == "abc-123"
    ids = {dict(call(fast, path)[1])["X-Request-ID"] for _ in range(2)}
    assert len(ids) == 2


def test_if_none_match_gets_djangos_304(fast, django_app, showtime):
    path = f"/api/showtimes/{showtime.pk}/seats/"
    etag = dict(call(fast, path)[1])["ETag"]

    first = call(fast, path, HTTP_IF_NONE_MATCH=etag)  # Django's 304, copied
    calls = django_app.calls
    second = call(fast, path, HTTP_IF_NONE_MATCH=etag)
    direct = call(WSGIHandler(), path, HTTP_IF_NONE_MATCH=etag)

    assert django_app.calls == calls  # served by the layer
    assert first[0] == second[0] == direct[0] == "304 Not Modified"
    assert second[2] == direct[2] == b""
    assert stable(second[1]) == stable(direct[1])
    other = call(fast, path, HTTP_IF_NONE_MATCH='"something-else"')
    assert other[0] == "200 OK"


def test_every_seat_change_shows_at_once(fast, showtime, user, gateway):
    assert seat_states(fast, showtime)["A1"] == "available"
    assert seat_states(fast, showtime)["A1"] == "available"  # copied

    reservation = services.create_reservation(
        user=user, showtime=showtime, labels=["A1"]
    )
    assert seat_states(fast, showtime)["A1"] == "held"
    services.purchase_reservation(reservation=reservation)
    assert seat_states(fast, showtime)["A1"] == "sold"
    services.cancel_reservation(reservation=reservation, actor=user)
    assert seat_states(fast, showtime)["A1"] == "available"
    block = services.block_seats(
        showtime=showtime, labels=["A2"], reason="broken", actor=user
    )
    assert seat_states(fast, showtime)["A2"] == "blocked"
    services.remove_block(block=block, actor=user)
    assert seat_states(fast, showtime)["A2"] == "available"


@pytest.fixture
def without_version_bump(monkeypatch):
    """The negative control: seat changes that do not bump the version."""
    for module in (holds, settlement, cancellation, expiry, swaps):
        monkeypatch.setattr(module, "bump_seats_version", lambda showtime_id: None)


def test_without_the_version_bump_a_sold_seat_would_show_available(
    fast, showtime, user, without_version_bump
):
    assert seat_states(fast, showtime)["A1"] == "available"  # copied

    services.create_reservation(user=user, showtime=showtime, labels=["A1"])

    assert seat_states(fast, showtime)["A1"] == "available"  # stale: the guard matters


def test_a_lapsed_hold_shows_available_without_any_write(
    fast, showtime, user, clock, settings
):
    settings.RESERVATION_HOLD_SECONDS = 120
    services.create_reservation(user=user, showtime=showtime, labels=["B3"])
    assert seat_states(fast, showtime)["B3"] == "held"

    clock.advance(seconds=119)
    assert seat_states(fast, showtime)["B3"] == "held"
    clock.advance(seconds=2)
    assert seat_states(fast, showtime)["B3"] == "available"


def test_prices_and_layout_reach_the_copy_at_once(fast, showtime):
    path = f"/api/showtimes/{showtime.pk}/seats/"
    call(fast, path)
    Showtime.objects.filter(pk=showtime.pk).update(
        prices={"standard": "12.00", "premium": "15.50"}
    )

    assert json.loads(call(fast, path)[2])[0]["price"] == "12.00"

    screen = showtime.screen
    screen.layout = [
        {**row, "wheelchair": [1]} if i == 0 else row
        for i, row in enumerate(screen.layout)
    ]
    screen.save(update_fields=["layout"])
    states = json.loads(call(fast, path)[2])
    direct = json.loads(call(WSGIHandler(), path)[2])
    assert states == direct


def test_credentials_other_paths_and_unknown_showtimes_go_to_django(
    fast, django_app, showtime
):
    path = f"/api/showtimes/{showtime.pk}/seats/"
    call(fast, path)
    calls = django_app.calls

    assert call(fast, path, HTTP_AUTHORIZATION="Bearer not-a-token")[0].startswith(
        "401"
    )
    assert call(fast, path, HTTP_COOKIE="sessionid=x")[0] == "200 OK"
    assert call(fast, "/api/showtimes/999999/seats/")[0].startswith("404")
    assert call(fast, f"/api/showtimes/{showtime.pk}/")[0] == "200 OK"
    assert call(fast, path, REQUEST_METHOD="POST")[0].startswith("405")
    assert django_app.calls == calls + 5


def test_the_anonymous_limit_counts_fast_answers(fast, showtime, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "anon": "3/min"}
    from django.core.cache import caches

    from movie_api.throttling import leases

    caches["throttle"].clear()
    leases.clear()
    path = f"/api/showtimes/{showtime.pk}/seats/"
    statuses = [call(fast, path, REMOTE_ADDR="1.0.0.20")[0] for _ in range(5)]

    assert statuses[:3] == ["200 OK"] * 3
    assert statuses[3].startswith("429")
    assert statuses[4].startswith("429")
    caches["throttle"].clear()


def test_switched_off_everything_goes_to_django(fast, django_app, showtime, settings):
    settings.FAST_PATH = False
    path = f"/api/showtimes/{showtime.pk}/seats/"
    call(fast, path)
    call(fast, path)
    assert django_app.calls == 2


def test_a_copy_is_per_origin(fast, django_app, showtime, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://a.example"]
    path = f"/api/showtimes/{showtime.pk}/seats/"
    allowed = call(fast, path, HTTP_ORIGIN="https://a.example")
    other = call(fast, path, HTTP_ORIGIN="https://b.example")

    assert dict(stable(allowed[1]))["access-control-allow-origin"] == (
        "https://a.example"
    )
    assert "access-control-allow-origin" not in dict(stable(other[1]))
    assert django_app.calls == 2


@pytest.fixture
def clock(monkeypatch):
    from tests.reservations.helpers import Clock

    frozen = Clock(timezone.now())
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen


@pytest.fixture
def showtime(db):
    return ShowtimeFactory(starts_at=timezone.now() + timedelta(days=2))


@pytest.fixture
def gateway(settings):
    from tests.reservations.helpers import GATEWAY_PATH, RecordingGateway

    RecordingGateway.reset()
    settings.PAYMENT_GATEWAY = GATEWAY_PATH
    yield RecordingGateway
    RecordingGateway.reset()


@pytest.fixture
def user(db):
    return UserFactory()


# --- the movie list, keyed by the version the database's triggers bump ----------------


@pytest.fixture
def catalogue(db):
    """The version row (a transactional test elsewhere may have flushed it)."""
    from movies.models import CatalogueVersion

    CatalogueVersion.objects.get_or_create(id=1)
    MovieFactory(title="Alpha")


def titles(app, query: str = "") -> list[str]:
    status, _headers, body = call(app, "/api/movies/", QUERY_STRING=query)
    assert status == "200 OK"
    return [movie["title"] for movie in json.loads(body)["results"]]


def test_the_movie_list_copy_has_djangos_bytes_and_headers(fast, django_app, catalogue):
    first = call(fast, "/api/movies/")
    second = call(fast, "/api/movies/")
    direct = call(WSGIHandler(), "/api/movies/")

    assert django_app.calls == 1
    assert first[2] == second[2] == direct[2]
    assert stable(first[1]) == stable(second[1]) == stable(direct[1])
    etag = dict(second[1])["ETag"]
    call(fast, "/api/movies/", HTTP_IF_NONE_MATCH=etag)
    not_modified = call(fast, "/api/movies/", HTTP_IF_NONE_MATCH=etag)
    assert not_modified[0] == "304 Not Modified"
    assert django_app.calls == 2


def test_every_kind_of_movie_write_shows_at_once(fast, catalogue):
    from movies.models import Movie

    assert titles(fast) == ["Alpha"]
    MovieFactory(title="Beta")
    assert titles(fast) == ["Alpha", "Beta"]
    Movie.objects.filter(title="Beta").update(title="Gamma")  # no signal sent
    assert titles(fast) == ["Alpha", "Gamma"]
    Movie.objects.bulk_create([Movie(title="Delta", duration_minutes=90)])
    assert titles(fast) == ["Alpha", "Delta", "Gamma"]
    Movie.objects.filter(title="Alpha").delete()
    assert titles(fast) == ["Delta", "Gamma"]


def test_each_query_string_has_its_own_copy(fast, catalogue):
    MovieFactory(title="Beta", genre="comedy")

    assert titles(fast, "genre=comedy") == ["Beta"]
    assert titles(fast) == ["Alpha", "Beta"]
    assert titles(fast, "ordering=-title") == ["Beta", "Alpha"]
    assert call(fast, "/api/movies/", QUERY_STRING="page=9")[0].startswith("400")


def test_without_the_version_row_the_list_goes_to_django(fast, django_app, catalogue):
    from movies.models import CatalogueVersion

    CatalogueVersion.objects.all().delete()
    titles(fast)
    titles(fast)
    assert django_app.calls == 2


def test_database_trouble_in_the_version_lookup_goes_to_django(
    fast, django_app, showtime, monkeypatch
):
    from movie_api import fastpath

    path = f"/api/showtimes/{showtime.pk}/seats/"
    call(fast, path)

    def broken(*args):
        raise fastpath.connection.Database.OperationalError("gone")

    monkeypatch.setattr(fastpath, "_fetch_one", broken)
    assert call(fast, path)[0] == "200 OK"
    assert django_app.calls == 2

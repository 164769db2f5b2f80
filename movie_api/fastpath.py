"""A small WSGI layer in front of Django for the hottest public reads: the seat map,
the movie list and the showtimes of a business date (the lists keyed by
``movies.CatalogueVersion``, which database triggers bump on every write to the
movies, showtimes, screens and theaters tables, except the booking side's writes
of a showtime's seat columns; see showtimes/migrations/0008).

``GET /api/showtimes/?date=YYYY-MM-DD`` (optionally with ``movie``, ``theater``,
``page`` and ``page_size``, each once, as ids or numbers; any other query goes to
Django) is keyed by the catalogue version and the seat part of that date's
showtimes, read in one indexed query: the sum of their ``seats_version`` (each only
grows, one bump per seat-changing transaction, so the sum changes with every seat
change; a show that leaves the date is a catalogue write) and the earliest hold
deadline among them (``holds_lapse_at``): a copy is used only until the next
deadline after it was taken, when a lapsed hold adds seats back by itself. The
list is not limited to upcoming shows, so no other moment changes its bytes.

``GET /api/showtimes/{id}/seats/`` from an anonymous caller (no Authorization, no
Cookie) is answered from a per-process copy of what Django answered for the same
request, while the seat map's version is unchanged. The version is read with one
primary-key query per request: the showtime's ``seats_version`` (bumped by every
seat-changing transaction, inside its showtime lock) and the catalogue version
(bumped by triggers on every change of its prices, start or screen layout: seat
categories and features). A hold lapses by time, without
a write: a copy is used only until the next hold deadline (``hold_deadlines``) after
it was taken.

Why it is right:

- The version is read *before* Django builds the answer it copies, so a copy is
  never older than its version: once a sale commits, every request that starts
  afterwards reads the new version and misses. A sold seat is never shown
  available after the sale's commit.
- The copy is Django's own answer (status 200, every header: content type, ETag,
  CORS, security headers, Vary), keyed by the request headers those depend on
  (Host, Origin, Accept, scheme, X-Forwarded-Proto, the query string); only
  ``X-Request-ID`` is made per request, exactly as RequestIdMiddleware does.
- ``If-None-Match`` equal to the copy's ETag is answered 304 with the headers
  Django sent for the same 304 (copied the first time); any other conditional
  request goes to Django.
- The anonymous throttle counts every request answered here (the same class and
  counters as DRF's); a refused request goes to Django, which refuses it with the
  usual 429. The request metrics and the JSON log line are recorded as the
  middleware would.

Anything else (other paths and methods, credentials, a copy that is missing or out
of date, a 404) goes to Django untouched. ``FAST_PATH=0`` switches it off.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import OrderedDict
from datetime import UTC, date, datetime
from functools import partial
from types import SimpleNamespace

from django.conf import settings
from django.core import signals
from django.db import connection
from django.utils import timezone

SEAT_MAP = re.compile(r"/api/showtimes/([1-9][0-9]{0,17})/seats/\Z")
MOVIES = "/api/movies/"
SHOWTIMES = "/api/showtimes/"
# The showtime list's query shapes served here: ``date`` (required) and these.
SHOWTIME_PARAMS = {
    "date": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"),
    "movie": re.compile(r"[1-9][0-9]{0,17}\Z"),
    "theater": re.compile(r"[1-9][0-9]{0,17}\Z"),
    "page": re.compile(r"[1-9][0-9]{0,5}\Z"),
    "page_size": re.compile(r"[1-9][0-9]{0,5}\Z"),
}
# The seat part of the showtime list's version, over one business date: what
# changes with every seat-changing transaction, and the earliest hold deadline.
SHOWTIME_SEATS = "SUM(s.seats_version), MIN(s.holds_lapse_at)"
MAX_ENTRIES = 512
# Request headers the answer (or its headers) may depend on: part of the copy's key.
KEY_HEADERS = (
    "QUERY_STRING",
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "HTTP_ORIGIN",
    "HTTP_ACCEPT",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "wsgi.url_scheme",
)
_STATUS_TEXT = {200: "200 OK", 304: "304 Not Modified"}


class _Copy:
    __slots__ = ("body", "etag", "headers", "not_modified", "valid_until", "version")

    def __init__(self, version, valid_until, headers, body, etag):
        self.version, self.valid_until = version, valid_until
        self.headers, self.body, self.etag = headers, body, etag
        self.not_modified = None  # headers of Django's 304, once seen


class FastPath:
    """WSGI middleware: ``FastPath(get_wsgi_application())``."""

    def __init__(self, app):
        self.app = app
        self._copies: OrderedDict[tuple, _Copy] = OrderedDict()
        self._lock = threading.Lock()
        self._sql = None
        self._movies_sql = None
        self._showtimes_sql = None

    # --- WSGI ----------------------------------------------------------------------

    def __call__(self, environ, start_response):
        if (
            environ.get("REQUEST_METHOD") != "GET"
            or "HTTP_AUTHORIZATION" in environ
            or "HTTP_COOKIE" in environ
            or not settings.FAST_PATH
        ):
            return self.app(environ, start_response)
        path = environ.get("PATH_INFO", "")
        if path == MOVIES:
            route, version_of = "movie-list", self._movies_version
        elif path == SHOWTIMES:
            day = _showtime_list_date(environ.get("QUERY_STRING", ""))
            if day is None:
                return self.app(environ, start_response)
            route = "showtime-list"
            version_of = partial(self._showtime_list_version, day)
        else:
            match = SEAT_MAP.match(path)
            if match is None:
                return self.app(environ, start_response)
            route = "showtime-seats"
            version_of = partial(self._seat_map_version, int(match[1]))
        started = time.perf_counter()
        # As Django's handler does around a request (closes obsolete connections).
        signals.request_started.send(sender=self.__class__, environ=environ)
        try:
            return self._serve(environ, start_response, route, version_of, started)
        finally:
            signals.request_finished.send(sender=self.__class__)

    def _serve(self, environ, start_response, route, version_of, started):
        from showtimes.models import deadline_stamp

        # A fixed-width UTC stamp: compares with the hold deadlines as text.
        now = deadline_stamp(timezone.now())
        try:
            found = version_of(now)
        except Exception:  # Django answers (and reports) any database trouble
            found = None
        if found is None:
            return self.app(environ, start_response)  # e.g. Django's 404
        version, valid_until = found
        key = (environ["PATH_INFO"], *(environ.get(h) for h in KEY_HEADERS))
        copy = self._get(key)
        current = (
            copy is not None and copy.version == version and now < copy.valid_until
        )
        if not current:
            return self._through(environ, start_response, key, version, valid_until)
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match is not None and (
            if_none_match != copy.etag or copy.not_modified is None
        ):
            return self._through(environ, start_response, key, version, valid_until)
        if not _anon_throttle_allows(environ):
            return self.app(environ, start_response)
        request_id = _request_id(environ)
        if if_none_match is not None:
            status, headers, body = 304, copy.not_modified, b""
        else:
            status, headers, body = 200, copy.headers, copy.body
        start_response(_STATUS_TEXT[status], [*headers, ("X-Request-ID", request_id)])
        _observe(route, status, time.perf_counter() - started, request_id)
        return [body]

    # --- falling through, and copying what Django answers ----------------------------

    def _through(self, environ, start_response, key, version, valid_until):
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return start_response(status, headers, exc_info)

        result = self.app(environ, capture)
        status = captured.get("status", "")
        if not status.startswith(("200 ", "304 ")):
            return result
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        headers = [
            (name, value)
            for name, value in captured["headers"]
            if name.lower() != "x-request-id"
        ]
        if any(name.lower() == "set-cookie" for name, _ in headers):
            return [body]
        etag = next((v for n, v in headers if n.lower() == "etag"), None)
        if status.startswith("304 "):
            copy = self._get(key)
            if copy is not None and copy.version == version and copy.etag == etag:
                copy.not_modified = headers
            return [body]
        if etag is None or "HTTP_IF_NONE_MATCH" in environ:
            return [body]
        copy = _Copy(version, valid_until, headers, body, etag)
        with self._lock:
            self._copies[key] = copy
            self._copies.move_to_end(key)
            while len(self._copies) > MAX_ENTRIES:
                self._copies.popitem(last=False)
        return [body]

    def _get(self, key) -> _Copy | None:
        with self._lock:
            return self._copies.get(key)

    def clear(self) -> None:
        with self._lock:
            self._copies.clear()

    # --- the version -----------------------------------------------------------------

    def _seat_map_version(self, showtime_id: int, now):
        """The seat map's version (its seats_version, and the catalogue version for
        its prices, start and screen layout: triggers bump it on every write of a
        showtime's catalogue columns and of a screen) and the next hold deadline
        after ``now``; None for an unknown showtime or without the version row."""
        if self._sql is None:
            from movies.models import CatalogueVersion
            from showtimes.models import Showtime

            quote = connection.ops.quote_name
            self._sql = (
                "SELECT s.seats_version, CAST(s.hold_deadlines AS TEXT), "
                f"(SELECT version FROM {quote(CatalogueVersion._meta.db_table)} "
                "WHERE id = 1) "
                f"FROM {quote(Showtime._meta.db_table)} s WHERE s.id = %s"
            )
            if connection.vendor == "sqlite":
                self._sql = self._sql.replace("%s", "?")
        row = _fetch_one(self._sql, (showtime_id,))
        if row is None or row[2] is None:
            return None
        return (row[0], row[2]), _valid_until(row[1], now)

    def _movies_version(self, now):
        """The movie list's version: a counter the database itself bumps on every
        write to the movies table (triggers, movies/migrations); None without it."""
        if self._movies_sql is None:
            from movies.models import CatalogueVersion

            self._movies_sql = (
                "SELECT version FROM "
                f"{connection.ops.quote_name(CatalogueVersion._meta.db_table)} "
                "WHERE id = 1"
            )
        row = _fetch_one(self._movies_sql, ())
        return None if row is None else ((row[0],), _FOREVER)

    def _showtime_list_version(self, day: date, now: str):
        """The showtime list's version for one business date: the catalogue version
        and the date's seat part (SHOWTIME_SEATS); None without the version row."""
        from showtimes.models import deadline_stamp

        if self._showtimes_sql is None:
            from movies.models import CatalogueVersion
            from showtimes.models import Showtime

            quote = connection.ops.quote_name
            table = quote(Showtime._meta.db_table)
            self._showtimes_sql = (
                "SELECT (SELECT version FROM "
                f"{quote(CatalogueVersion._meta.db_table)} WHERE id = 1), "
                f"{SHOWTIME_SEATS} FROM {table} s WHERE s.business_date = %s",
                f"SELECT CAST(hold_deadlines AS TEXT) FROM {table} "
                "WHERE business_date = %s AND holds_lapse_at IS NOT NULL",
            )
            if connection.vendor == "sqlite":
                self._showtimes_sql = tuple(
                    sql.replace("%s", "?") for sql in self._showtimes_sql
                )
        param = day.isoformat() if connection.vendor == "sqlite" else day
        row = _fetch_one(self._showtimes_sql[0], (param,))
        if row is None or row[0] is None:
            return None
        catalogue, seats, lapse = row
        valid_until = _FOREVER
        if lapse is not None:
            valid_until = deadline_stamp(_aware(lapse))
            if valid_until <= now:  # a hold has lapsed: the next deadline after now
                valid_until = min(
                    (
                        _valid_until(text, now)
                        for (text,) in _fetch_all(self._showtimes_sql[1], (param,))
                    ),
                    default=_FOREVER,
                )
        return (catalogue, seats), valid_until


def _showtime_list_date(query: str) -> date | None:
    """The business date of a showtime-list query this layer serves, or None."""
    seen = {}
    for part in query.split("&"):
        name, equals, value = part.partition("=")
        pattern = SHOWTIME_PARAMS.get(name)
        if not equals or pattern is None or name in seen or not pattern.match(value):
            return None
        seen[name] = value
    if "date" not in seen:
        return None
    try:
        return date.fromisoformat(seen["date"])
    except ValueError:
        return None


def _aware(value) -> datetime:
    """A DateTimeField read through the driver: aware on PostgreSQL, UTC text on
    SQLite."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _fetch_all(sql: str, params: tuple) -> list:
    connection.ensure_connection()
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        cursor.close()


def _fetch_one(sql: str, params: tuple):
    """One row through the driver's own cursor (the query is fixed and its
    placeholders native: Django's cursor wrapper would rewrite them on every call).
    The connection is Django's, opened and reused under its settings."""
    connection.ensure_connection()
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, params)
        return cursor.fetchone()
    finally:
        cursor.close()


def _valid_until(deadlines_text: str, now: str) -> str:
    """The first hold deadline after ``now`` (when the map changes by itself), as
    a stamp (showtimes.models.deadline_stamp), or one after every stamp."""
    if deadlines_text and deadlines_text != "[]":
        for deadline, _seats in json.loads(deadlines_text):
            if deadline > now:
                return deadline
    return _FOREVER


_FOREVER = "~"  # sorts after every "YYYY-..." stamp


def _request_id(environ) -> str:
    from .middleware import clean_request_id

    return clean_request_id(environ.get("HTTP_X_REQUEST_ID"))


class _Anonymous:
    """What the throttles ask of an anonymous ``request.user``."""

    is_authenticated = False
    pk = None


_ANONYMOUS = _Anonymous()


def _anon_throttle_allows(environ) -> bool:
    from .throttling import AnonThrottle

    # DRF's get_ident reads REMOTE_ADDR and this one header only.
    forwarded = environ.get("HTTP_X_FORWARDED_FOR")
    headers = {} if forwarded is None else {"x-forwarded-for": forwarded}
    request = SimpleNamespace(META=environ, headers=headers, user=_ANONYMOUS)
    return AnonThrottle().allow_request(request, None)


def _observe(route: str, status: int, seconds: float, request_id: str) -> None:
    from . import logs, metrics

    metrics.observe_request(route=route, method="GET", status=status, seconds=seconds)
    if settings.LOG_FORMAT == "json":
        logs.request_logger.info(
            "%s %s %s",
            "GET",
            route,
            status,
            extra={
                "data": {
                    "request_id": request_id,
                    "user_id": None,
                    "route": route,
                    "method": "GET",
                    "status": status,
                    "duration_ms": round(seconds * 1000, 3),
                }
            },
        )

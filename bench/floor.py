"""The floor: a bare WSGI app that costs Python + HTTP + one database round trip.

bench/run.py serves it under the project's own gunicorn settings (2 sync workers)
next to the project. For each request it runs one primary-key select on the
benchmark database (sqlite3 or psycopg directly, no Django, one connection per
worker kept open) and answers with the exact status, content type and bytes the
project returned for that URL, read once per worker from the JSON file named by
BENCH_FLOOR_BODIES: {"/path?query": {"status": 200, "content_type": ..., "body":
<base64>}}. BENCH_FLOOR_DATABASE is a sqlite file path or a postgres:// URL, and
BENCH_FLOOR_ROW the showtime id to select.

An entry with an "etag" answers a request whose If-None-Match equals it with a bare
304 (the seat map's revalidation). ``POST /__write`` is the write floor: one
transaction that inserts one row into a table of its own (``bench_write_floor``)
and commits, on the same database, answering 201 with an empty body.
"""

import base64
import json
import os
import sqlite3
import time

_REASONS = {200: "200 OK", 404: "404 Not Found"}
WRITE_PATH = "/__write"


def _load_bodies() -> dict[str, tuple[str, str, bytes]]:
    with open(os.environ["BENCH_FLOOR_BODIES"], encoding="utf-8") as handle:
        raw = json.load(handle)
    return {
        key: (
            _REASONS.get(entry["status"], f"{entry['status']} Unknown"),
            entry["content_type"],
            base64.b64decode(entry["body"]),
            entry.get("etag"),
        )
        for key, entry in raw.items()
    }


BODIES = _load_bodies()
DATABASE = os.environ["BENCH_FLOOR_DATABASE"]
ROW = int(os.environ.get("BENCH_FLOOR_ROW", "1"))
_cursor = None
_sql = "SELECT id FROM showtimes_showtime WHERE id = ?"
_insert = "INSERT INTO bench_write_floor (at) VALUES (?)"
_postgres = DATABASE.startswith(("postgres://", "postgresql://"))


def _connect() -> None:
    global _cursor, _sql, _insert
    if _cursor is None:  # opened in the worker, after gunicorn forked it
        if _postgres:
            import psycopg

            _cursor = psycopg.connect(DATABASE, autocommit=True).cursor()
            _sql = _sql.replace("?", "%s")
            _insert = _insert.replace("?", "%s")
        else:
            _cursor = sqlite3.connect(
                DATABASE, isolation_level=None, check_same_thread=False, timeout=20
            ).cursor()


def _write() -> None:
    """One write transaction, as a hold's is (BEGIN IMMEDIATE on SQLite, as the
    project's settings open every transaction; WAL, synchronous=NORMAL)."""
    _connect()
    if _postgres:
        _cursor.execute(_insert, (time.time(),))
        return
    _cursor.execute("BEGIN IMMEDIATE")
    _cursor.execute(_insert, (time.time(),))
    _cursor.execute("COMMIT")


def _round_trip() -> None:
    _connect()
    _cursor.execute(_sql, (ROW,))
    # fetchall, not fetchone: it runs the statement to its end, so SQLite ends the
    # read transaction; a pending statement would pin a WAL snapshot and stop the
    # project's checkpoints for the whole run.
    _cursor.fetchall()


def application(environ, start_response):
    if environ.get("PATH_INFO") == WRITE_PATH:
        _write()
        start_response("201 Created", [("Content-Length", "0")])
        return [b""]
    _round_trip()
    query = environ.get("QUERY_STRING", "")
    key = environ.get("PATH_INFO", "") + (f"?{query}" if query else "")
    status, content_type, body, etag = BODIES.get(
        key, ("404 Not Found", "text/plain", b"", None)
    )
    if etag is not None and environ.get("HTTP_IF_NONE_MATCH") == etag:
        start_response("304 Not Modified", [("ETag", etag)])
        return [b""]
    start_response(
        status, [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    )
    return [body]

"""Run the project under real gunicorn workers on a throwaway database, for tests.

pytest-django's live_server is threads in one process; several gunicorn workers
are several processes, each with its own connection, as in production. The
database is a temporary SQLite file, or a fresh PostgreSQL database on the server
that DATABASE_URL (the test run's) points at.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_server_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(url)
        return urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    return None


@dataclass
class Response:
    status: int
    body: dict | list | None
    headers: dict = field(default_factory=dict)


@dataclass
class LiveServer:
    base_url: str
    env: dict
    database_url: str
    log_path: Path
    process: subprocess.Popen | None = None

    def request(
        self, method: str, path: str, *, token=None, body=None, headers=None, timeout=30
    ):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as resp:
                raw, status, resp_headers = resp.read(), resp.status, dict(resp.headers)
        except urllib.error.HTTPError as exc:
            raw, status, resp_headers = exc.read(), exc.code, dict(exc.headers)
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = {"raw": raw.decode(errors="replace")}
        return Response(status, parsed, resp_headers)

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        """Read the server's database directly (the truth, not what the API says)."""
        if self.database_url.startswith("sqlite"):
            import sqlite3

            with sqlite3.connect(self.database_url.removeprefix("sqlite:///")) as conn:
                return conn.execute(query.replace("%s", "?"), params).fetchall()
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def worker_pids(self) -> set[str]:
        return set(
            re.findall(r"^pid=<?(\d+)>? ", self.log_path.read_text(), re.MULTILINE)
        )


def manage(env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


@contextmanager
def live_gunicorn(
    *,
    collectstatic: bool = False,
    workers: int = 4,
    extra_env: dict | None = None,
    seed: str = "",
    prepare_sql: str = "",
    seams: dict | None = None,
):
    """Yield (server, seed_output) for a migrated, seeded database served by gunicorn.

    ``seed`` is Python run with ``manage.py shell`` against the new database before
    the server starts; whatever it prints (JSON) is returned as ``seed_output``.
    ``prepare_sql`` runs against the database after migrate (e.g. to drop a guard).
    ``seams`` (``SEAM_*`` variables, see tests.seams) makes the workers serve
    ``tests.seams_wsgi:application``, with a race window or the guards off.
    """
    tmp = Path(tempfile.mkdtemp(prefix="movie_api_live_"))
    pg_server = _pg_server_url()
    db_name = None
    if pg_server:
        db_name = f"live_{os.getpid()}_{secrets.token_hex(3)}"
        with psycopg.connect(f"{pg_server}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{db_name}"')
        database_url = f"{pg_server}/{db_name}"
    else:
        database_url = f"sqlite:///{tmp / 'live.sqlite3'}"

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST")},
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "movie_api.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONDONTWRITEBYTECODE": "1",
        # Rate limits off unless a test turns one on: races need many requests.
        **{
            f"THROTTLE_{scope}_RATE": "off"
            for scope in ("ANON", "USER", "LOGIN", "REGISTER", "HOLD")
        },
        **(extra_env or {}),
        **(seams or {}),
    }
    if "REDIS_URL" not in (extra_env or {}):
        env.pop("REDIS_URL", None)  # the database cache, unless a test asks for Redis
    port = free_port()
    log_path = tmp / "gunicorn.log"
    server = LiveServer(f"http://127.0.0.1:{port}", env, database_url, log_path)
    try:
        manage(env, "migrate", "--noinput", "-v", "0")
        if collectstatic:
            env["STATIC_ROOT"] = str(tmp / "static")
            manage(env, "collectstatic", "--noinput", "-v", "0")
        if prepare_sql:
            for statement in prepare_sql.split(";"):
                if statement.strip():
                    server.sql(statement)
        seed_output = manage(env, "shell", "--no-imports", stdin=seed) if seed else ""
        with open(log_path, "w") as log:
            server.process = subprocess.Popen(
                [
                    str(GUNICORN),
                    "-c",
                    "gunicorn.conf.py",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(workers),
                    "--access-logfile",
                    "-",
                    "--access-logformat",
                    "pid=%(p)s %(s)s %(m)s %(U)s",
                    "tests.seams_wsgi:application"
                    if seams
                    else "movie_api.wsgi:application",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        _wait_ready(server, workers)
        yield server, seed_output
    finally:
        if server.process is not None:
            server.process.terminate()
            try:
                server.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.process.kill()
        if db_name:
            with psycopg.connect(f"{pg_server}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


def _wait_ready(server: LiveServer, workers: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{server.log_path.read_text()}")
        try:
            if server.request("GET", "/api/health/", timeout=2).status == 200:
                break
        except OSError:
            pass
        time.sleep(0.1)
    else:
        raise RuntimeError(
            f"gunicorn did not become ready:\n{server.log_path.read_text()}"
        )
    warm(server, workers)


def warm(server: LiveServer, workers: int) -> None:
    """Send parallel requests until every worker has answered (shared/NOTES-concurrency.md)."""
    deadline = time.monotonic() + 30
    while len(server.worker_pids()) < workers and time.monotonic() < deadline:
        fire(lambda _i: server.request("GET", "/api/movies/"), workers * 4)
        time.sleep(0.05)
    if len(server.worker_pids()) < workers:
        raise RuntimeError(
            f"only {len(server.worker_pids())} of {workers} workers answered"
        )


def fire(call, count: int) -> list:
    """Run ``call(i)`` in ``count`` threads released together by a barrier."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = call(i)
        except Exception as exc:  # a failure is a result to assert on, not a crash
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


SEED_BOOKING = r"""
import json
from datetime import timedelta
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken
from accounts.models import User
from accounts.usernames import canonical_username
from movies.models import Movie
from showtimes.services import create_showtime
from theaters.models import Theater
from theaters.services import create_screen

theater = Theater.objects.create(name="Live", location="1 Test Road", city="Testville")
screen = create_screen(theater=theater, name="One", layout=[
    {"row": r, "seats": 10, "category": "standard"} for r in "ABCDEFGHIJ"])
movie = Movie.objects.create(title="Race", duration_minutes=100)
start = timezone.now() + timedelta(days=2)
showtimes = [
    create_showtime(movie=movie, screen=screen, starts_at=start + timedelta(hours=3 * i),
                    prices={"standard": "10.00"}).pk
    for i in range(SHOWTIMES)
]
users = User.objects.bulk_create([User(username=f"live{i}", username_canonical=canonical_username(f"live{i}"), email=f"live{i}@example.com") for i in range(USERS)])
users = list(User.objects.filter(username__startswith="live").order_by("pk"))
print(json.dumps({"showtimes": showtimes, "tokens": [str(AccessToken.for_user(u)) for u in users]}))
"""


def booking_seed(*, showtimes: int = 4, users: int = 200) -> str:
    return SEED_BOOKING.replace("SHOWTIMES", str(showtimes)).replace(
        "USERS", str(users)
    )

"""The outbox survives a worker killed mid-task (SIGKILL), on real worker processes.

SQLite runs the database queue (``db_worker``); PostgreSQL runs RQ over Redis
(``rqworker``). A throwaway database (tests.live) is migrated, an event is
published and committed, and a worker takes its dispatch; a subscriber stalls and
the worker's process group is killed. Nothing of the dispatch is left: the event
is undispatched and no webhook delivery exists. The sweep enqueues it again, a new
worker dispatches it, and the local receiver gets one signed POST with the same id.
"""

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
import redis
from standardwebhooks.webhooks import Webhook

from tests.live import ROOT, _pg_server_url, manage
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.slow

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")

PUBLISH = """
import json
from django.db import transaction
from events.services import publish
from webhooks.services import create_endpoint
endpoint = create_endpoint(url={url!r}, events=["reservation.held"])
with transaction.atomic():
    event = publish("reservation.held", {{"reservation_id": 41, "showtime_id": 7}})
print(json.dumps({{"event": str(event.pk), "secret": endpoint.secret}}))
"""

SWEEP = """
from datetime import timedelta
from django.utils import timezone
from events.services import sweep_outbox
print(sweep_outbox(now=timezone.now() + timedelta(minutes=5)))
"""


@pytest.fixture
def throwaway():
    """(env, sql) for a fresh, migrated database and the queue that goes with it."""
    tmp = Path(tempfile.mkdtemp(prefix="movie_api_worker_"))
    pg_server = _pg_server_url()
    db_name = None
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST")},
        "DJANGO_SETTINGS_MODULE": "tests.events.worker_settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "WEBHOOK_ALLOW_PRIVATE": "1",
        "STALL_DIR": str(tmp),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)
    if pg_server:
        db_name = f"worker_{os.getpid()}_{secrets.token_hex(3)}"
        with psycopg.connect(f"{pg_server}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{db_name}"')
        env["DATABASE_URL"] = f"{pg_server}/{db_name}"
        try:
            redis.Redis.from_url(REDIS_URL).ping()
        except redis.RedisError:
            pytest.skip(f"no Redis at {REDIS_URL}")
        env.update(TASKS_BACKEND="rq", REDIS_URL=REDIS_URL)
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp / 'worker.sqlite3'}"
        env["TASKS_BACKEND"] = "database"

    def sql(query: str) -> list[tuple]:
        if not pg_server:
            import sqlite3

            with sqlite3.connect(tmp / "worker.sqlite3") as conn:
                return conn.execute(query).fetchall()
        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
            return conn.execute(query).fetchall()

    try:
        manage(env, "migrate", "--noinput", "-v", "0")
        yield env, sql, tmp
    finally:
        if db_name:
            with psycopg.connect(f"{pg_server}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


def worker(env, *, until_empty: bool) -> list[str]:
    if env["TASKS_BACKEND"] == "rq":
        return [
            "rqworker",
            "default",
            "--job-class",
            "django_tasks_rq.Job",
            "--worker-class",
            "rq.worker.SimpleWorker",  # as make worker runs it
            *(["--burst"] if until_empty else []),
        ]
    return [
        "db_worker",
        "--no-reload",
        "--no-startup-delay",
        "--interval",
        "0.1",
        *(["--batch"] if until_empty else []),
    ]


def undispatched(sql) -> list[tuple]:
    """(attempts, state) of the one event in the database."""
    return [
        (attempts, "dispatched" if dispatched_at else None)
        for attempts, dispatched_at in sql(
            "SELECT attempts, dispatched_at FROM events_event"
        )
    ]


def test_an_event_outlives_a_worker_killed_while_dispatching_it(throwaway):
    env, sql, tmp = throwaway
    with Receiver() as receiver:
        published = json.loads(
            manage(env, "shell", "--no-imports", stdin=PUBLISH.format(url=receiver.url))
        )
        event_id = published["event"]

        log = open(tmp / "worker1.log", "w")  # noqa: SIM115 - closed below
        first = subprocess.Popen(
            [sys.executable, "manage.py", *worker(env, until_empty=False)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group, killed as one
        )
        try:
            deadline = time.monotonic() + 60
            while not (tmp / "stalling").exists():
                assert first.poll() is None, (tmp / "worker1.log").read_text()
                assert time.monotonic() < deadline, (tmp / "worker1.log").read_text()
                time.sleep(0.05)
        finally:
            os.killpg(first.pid, signal.SIGKILL)
            # The process running the task wrote its pid in the marker (the worker
            # itself; RQ's forking worker would run it in a "work horse" of its own).
            if (tmp / "stalling").exists():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int((tmp / "stalling").read_text()), signal.SIGKILL)
            first.wait(timeout=30)
            log.close()

        # Killed mid-dispatch: everything the dispatch wrote was rolled back.
        assert undispatched(sql) == [(0, None)]
        assert sql("SELECT COUNT(*) FROM webhooks_delivery")[0][0] == 0
        assert receiver.requests == []

        assert manage(env, "shell", "--no-imports", stdin=SWEEP).strip() == "1"
        second = subprocess.run(
            [sys.executable, "manage.py", *worker(env, until_empty=True)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode == 0, second.stdout + second.stderr

    assert undispatched(sql) == [(1, "dispatched")]
    calls = (tmp / "calls").read_text().split()
    assert calls[1::2] == [event_id, event_id]  # killed once, then done
    assert calls[0] != calls[2]  # by two different processes
    ((headers, body),) = receiver.requests
    assert headers["webhook-id"] == event_id
    payload = Webhook(published["secret"]).verify(body, headers)
    assert payload["id"] == event_id
    assert payload["data"] == {"reservation_id": 41, "showtime_id": 7}
    assert sql("SELECT status, attempts FROM webhooks_delivery") == [("succeeded", 1)]


def test_a_failed_post_is_retried_by_the_scheduler_and_a_worker(throwaway):
    """The receiver fails, then succeeds: the retry comes from run_periodic + a worker."""
    env, sql, tmp = throwaway
    (tmp / "stalling").write_text("0")  # this test's subscriber does not stall

    def drain():
        result = subprocess.run(
            [sys.executable, "manage.py", *worker(env, until_empty=True)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    with Receiver(statuses=[503, 200]) as receiver:
        published = json.loads(
            manage(env, "shell", "--no-imports", stdin=PUBLISH.format(url=receiver.url))
        )
        drain()  # dispatch, then the first POST: 503
        assert sql("SELECT status, attempts FROM webhooks_delivery") == [("pending", 1)]
        time.sleep(5.5)  # the first retry waits 5 s
        output = manage(env, "run_periodic", "--once", "--job", "webhook_retries")
        assert "enqueued webhook_retries" in output
        drain()  # the retry sweep, then the second POST: 200

    assert sql("SELECT status, attempts FROM webhooks_delivery") == [("succeeded", 2)]
    assert sql(
        "SELECT status_code, error FROM webhooks_deliveryattempt ORDER BY number"
    ) == [
        (503, "HTTP 503"),
        (200, ""),
    ]
    first, second = receiver.requests
    assert first[1] == second[1]
    assert first[0]["webhook-id"] == second[0]["webhook-id"] == published["event"]
    for headers, body in receiver.requests:
        Webhook(published["secret"]).verify(body, headers)

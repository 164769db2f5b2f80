"""Measure the task queue: events delivered per second by N workers (docs/SCALING.md).

    .venv/bin/python bench/task_queue.py --events 400 --workers 1 [--backend database|rq]

A throwaway database (a SQLite file, or a fresh database on the PostgreSQL server
DATABASE_URL points at) is migrated; one webhook endpoint (a local receiver that
answers 200 at once) subscribes to reservation.held; ``--events`` events are
published and committed with the workers stopped; then ``--workers`` workers
start together and the clock runs until the receiver has every POST. Each event
is two tasks: its dispatch (which creates the delivery) and the signed POST.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.webhooks.receiver import Receiver  # noqa: E402

PUBLISH = """
from django.db import transaction
from events.services import publish
from webhooks.services import create_endpoint
create_endpoint(url={url!r}, events=["reservation.held"])
for n in range({events}):
    with transaction.atomic():
        publish("reservation.held", {{"reservation_id": n}})
"""


def manage(env, *args, stdin=None):
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        text=True,
        check=True,
        capture_output=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=400)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--backend", choices=["database", "rq"], default="database")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="movie_api_queue_bench_"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "movie_api.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "WEBHOOK_ALLOW_PRIVATE": "1",
        "TASKS_BACKEND": args.backend,
        "LOG_LEVEL": "WARNING",
    }
    url = os.environ.get("DATABASE_URL", "")
    pg = url.startswith(("postgres://", "postgresql://"))
    db_name = f"queue_bench_{secrets.token_hex(3)}"
    if pg:
        import psycopg

        server = urlunsplit((*urlsplit(url)[:2], "", "", ""))
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{db_name}"')
        env["DATABASE_URL"] = f"{server}/{db_name}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    if args.backend == "rq":
        env["REDIS_URL"] = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/3")
    worker = (
        [
            "rqworker",
            "default",
            "--job-class",
            "django_tasks_rq.Job",
            "--burst",
            # make worker's choice; RQ_WORKER_ARGS="--worker-class rq.worker.Worker"
            # measures RQ's forking worker instead
            *os.environ.get(
                "RQ_WORKER_ARGS", "--worker-class rq.worker.SimpleWorker"
            ).split(),
        ]
        if args.backend == "rq"
        else [
            "db_worker",
            "--no-reload",
            "--no-startup-delay",
            "--batch",
            "--interval",
            "0",
        ]
    )
    try:
        manage(env, "migrate", "--noinput", "-v", "0")
        with Receiver() as receiver:
            manage(
                env,
                "shell",
                "--no-imports",
                stdin=PUBLISH.format(url=receiver.url, events=args.events),
            )
            started = time.monotonic()
            workers = [
                subprocess.Popen(
                    [sys.executable, "manage.py", *worker, "-v", "0"],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                for _ in range(args.workers)
            ]
            while len(receiver.requests) < args.events:
                if all(w.poll() is not None for w in workers):
                    break
                time.sleep(0.01)
            took = time.monotonic() - started
            for w in workers:
                w.terminate()
                w.wait()
        print(
            json.dumps(
                {
                    "database": "postgresql" if pg else "sqlite",
                    "backend": args.backend,
                    "workers": args.workers,
                    "events": args.events,
                    "delivered": len(receiver.requests),
                    "seconds": round(took, 2),
                    "events_per_second": round(len(receiver.requests) / took, 1),
                }
            )
        )
    finally:
        if pg:
            with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


if __name__ == "__main__":
    main()

"""Liveness and readiness (/api/health/live/, /api/health/ready/): what each checks,
that probes are never rate-limited, and 503 naming the dependency that is down.

The outages are real: a fresh interpreter whose DATABASE_URL or REDIS_URL points at
a port nothing listens on (the settings are read once, at start-up).
"""

import json

import pytest
from rest_framework import status

from tests.interpreter import clean_env, run_python
from tests.live import free_port

pytestmark = pytest.mark.django_db

LIVE = "/api/health/live/"
READY = "/api/health/ready/"
ALL_OK = {
    "database": "ok",
    "cache": "ok",
    "throttle_cache": "ok",
    "task_queue": "not configured",
}


def test_live_answers_without_touching_the_database(
    api_client, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = api_client.get(LIVE)

    assert response.status_code == status.HTTP_200_OK
    assert response.json() == {"status": "ok"}


def test_ready_checks_database_and_both_caches(api_client):
    response = api_client.get(READY)

    assert response.status_code == status.HTTP_200_OK
    assert response.json() == {"status": "ok", "checks": ALL_OK}


@pytest.mark.parametrize("url", [LIVE, READY])
def test_probes_are_never_throttled(api_client, settings, url):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "anon": "1/min"}

    answers = [api_client.get(url).status_code for _ in range(5)]

    assert answers == [status.HTTP_200_OK] * 5
    # The anon limit itself is on: the old health check is still counted.
    assert api_client.get("/api/health/").status_code == status.HTTP_200_OK
    assert api_client.get("/api/health/").status_code == (
        status.HTTP_429_TOO_MANY_REQUESTS
    )


def test_ready_is_503_naming_an_unreachable_cache(api_client, settings):
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        },
    }

    response = api_client.get(READY)

    assert response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE
    assert response["Retry-After"] == "1"
    assert response.json() == {
        "status": "unavailable",
        "checks": {**ALL_OK, "cache": "error: ConnectionError"},
    }


PROBE = """
import json, django
django.setup()
from django.test import Client
client = Client()
answers = {url: client.get(url) for url in ("/api/health/live/", "/api/health/ready/")}
print(json.dumps({url: [r.status_code, r.json(), r.get("Retry-After")]
                  for url, r in answers.items()}))
"""


def _probe(**env) -> dict:
    result = run_python(
        PROBE,
        clean_env(
            "DATABASE_URL",
            "REDIS_URL",
            DJANGO_SETTINGS_MODULE="movie_api.test_settings",
            **env,
        ),
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_ready_is_503_when_the_database_is_down_and_live_is_not():
    closed = free_port()

    answers = _probe(DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed}/movie_api")

    assert answers[LIVE] == [200, {"status": "ok"}, None]
    # Without Redis both caches are tables in that database: down with it.
    assert answers[READY] == [
        503,
        {
            "status": "unavailable",
            "checks": {
                "database": "error: OperationalError",
                "cache": "error: OperationalError",
                "throttle_cache": "error: OperationalError",
                "task_queue": "not configured",
            },
        },
        "1",
    ]


def test_ready_is_503_when_redis_is_down(tmp_path):
    closed = free_port()

    answers = _probe(
        DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        REDIS_URL=f"redis://127.0.0.1:{closed}/0",
    )

    assert answers[LIVE] == [200, {"status": "ok"}, None]
    assert answers[READY] == [
        503,
        {
            "status": "unavailable",
            "checks": {
                "database": "ok",
                "cache": "error: ConnectionError",
                "throttle_cache": "error: ConnectionError",
                "task_queue": "not configured",
            },
        },
        "1",
    ]


def test_ready_is_503_within_the_timeout_when_redis_never_answers(tmp_path):
    """A Redis host that accepts and then says nothing (a dropped-packet network)
    must fail readiness within REDIS_TIMEOUT_SECONDS, not hang it."""
    import socket
    import threading
    import time

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    accepted = []
    stop = threading.Event()

    def accept_and_keep_quiet():
        silent.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(silent.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept_and_keep_quiet, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        answers = _probe(
            DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}",
            REDIS_URL=f"redis://127.0.0.1:{silent.getsockname()[1]}/0",
            REDIS_TIMEOUT_SECONDS="1",
        )
        took = time.monotonic() - started
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in accepted:
            conn.close()
        silent.close()

    status_code, body, _ = answers[READY]
    assert status_code == 503
    assert body["checks"]["cache"] == "error: TimeoutError"
    # 3.4 s here with the timeouts (two caches, 1 s each, plus a fresh
    # interpreter); 10.8 s without them.
    assert took < 9, f"readiness took {took:.1f} s"

"""Settings read from the environment, checked in fresh interpreters."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, django
from django.conf import settings
django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"], "options": db.get("OPTIONS", {}),
    "health": db.get("CONN_HEALTH_CHECKS"), "max_age": db.get("CONN_MAX_AGE"),
    "cache": settings.CACHES["default"]["BACKEND"], "debug": settings.DEBUG,
    "hosts": settings.ALLOWED_HOSTS, "cors": settings.CORS_ALLOWED_ORIGINS,
    "hold": settings.RESERVATION_HOLD_SECONDS,
}))
"""


def probe(**env) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST", "DATABASE_URL", "REDIS_URL"))
    }
    base.update(
        {
            "DJANGO_SETTINGS_MODULE": "movie_api.settings",
            "DJANGO_SECRET_KEY": "x" * 60,
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
    )


def settings_for(**env) -> dict:
    result = probe(**env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_sqlite_default_queues_writers():
    s = settings_for()
    assert s["engine"] == "django.db.backends.sqlite3"
    assert s["options"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in s["options"]["init_command"]
    assert s["options"]["timeout"] == 20
    assert s["cache"] == "django.core.cache.backends.db.DatabaseCache"
    assert s["debug"] is False


def test_postgres_url_gets_health_checks_and_timeouts():
    s = settings_for(DATABASE_URL="postgres://postgres@127.0.0.1:5432/whatever")
    assert s["engine"] == "django.db.backends.postgresql"
    assert s["health"] is True
    assert s["max_age"] > 0
    assert s["options"]["connect_timeout"] == 5
    assert "lock_timeout=3000" in s["options"]["options"]
    assert "statement_timeout=15000" in s["options"]["options"]


def test_redis_url_selects_the_redis_cache():
    assert settings_for(REDIS_URL="redis://127.0.0.1:6379/1")["cache"] == (
        "django.core.cache.backends.redis.RedisCache"
    )


def test_environment_overrides():
    s = settings_for(
        DJANGO_ALLOWED_HOSTS="api.example.com, www.example.com",
        CORS_ALLOWED_ORIGINS="https://app.example.com",
        RESERVATION_HOLD_SECONDS="120",
    )
    assert s["hosts"] == ["api.example.com", "www.example.com"]
    assert s["cors"] == ["https://app.example.com"]
    assert s["hold"] == 120


def test_refuses_to_start_without_secret_key_when_debug_is_off():
    result = probe(DJANGO_SECRET_KEY="", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    "hook", [{"BOOKING_RACE_WINDOW_SECONDS": "0.1"}, {"BOOKING_GUARD_DISABLED": "1"}]
)
def test_test_only_hooks_are_refused_when_debug_is_off(hook):
    result = probe(DJANGO_DEBUG="0", **hook)
    assert result.returncode != 0
    assert "test-only hooks" in result.stderr
    assert settings_for(DJANGO_DEBUG="1", **hook)["debug"] is True


def test_redis_cache_is_shared_between_processes():
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    code = (
        "import django, sys; django.setup(); from django.core.cache import cache; "
        "cache.set('shared-probe', 'v42') if sys.argv[1] == 'set' else print(cache.get('shared-probe'))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="movie_api.settings",
        DJANGO_SECRET_KEY="x" * 60,
        REDIS_URL="redis://127.0.0.1:6379/15",
    )
    subprocess.run([sys.executable, "-c", code, "set"], cwd=ROOT, env=env, check=True)
    got = subprocess.run(
        [sys.executable, "-c", code, "get"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert got.stdout.strip() == "v42"

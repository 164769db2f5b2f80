"""Settings read from the environment, checked in fresh interpreters."""

import subprocess

import pytest

from tests.interpreter import clean_env, json_from, run_python

PROBE = """
import json, django
from django.conf import settings
django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"], "options": db.get("OPTIONS", {}),
    "health": db.get("CONN_HEALTH_CHECKS"), "max_age": db.get("CONN_MAX_AGE"),
    "cache": settings.CACHES["default"]["BACKEND"], "debug": settings.DEBUG,
    "throttle_cache": settings.CACHES["throttle"]["BACKEND"],
    "hosts": settings.ALLOWED_HOSTS, "cors": settings.CORS_ALLOWED_ORIGINS,
    "hold": settings.RESERVATION_HOLD_SECONDS,
    "zone": settings.DEFAULT_THEATER_TIMEZONE, "currency": settings.DEFAULT_CURRENCY,
    "day_starts": settings.BUSINESS_DAY_STARTS_AT.isoformat(),
}))
"""


def _env(env: dict) -> dict:
    return clean_env(
        "DATABASE_URL", "REDIS_URL", **{"DJANGO_SECRET_KEY": "x" * 60, **env}
    )


def probe(**env) -> subprocess.CompletedProcess:
    return run_python(PROBE, _env(env))


def settings_for(**env) -> dict:
    return json_from(PROBE, _env(env))


def test_sqlite_default_queues_writers():
    s = settings_for()
    assert s["engine"] == "django.db.backends.sqlite3"
    assert s["options"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in s["options"]["init_command"]
    assert s["options"]["timeout"] == 20
    assert s["cache"] == "django.core.cache.backends.db.DatabaseCache"
    assert s["throttle_cache"] == "movie_api.throttling.CounterCache"
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
    s = settings_for(REDIS_URL="redis://127.0.0.1:6379/1")
    assert (
        s["cache"]
        == s["throttle_cache"]
        == "django.core.cache.backends.redis.RedisCache"
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


def test_catalogue_defaults_and_overrides():
    assert [settings_for()[k] for k in ("zone", "currency", "day_starts")] == [
        "UTC",
        "USD",
        "06:00:00",
    ]
    s = settings_for(
        DEFAULT_THEATER_TIMEZONE="Europe/Berlin",
        DEFAULT_CURRENCY="EUR",
        BUSINESS_DAY_STARTS_AT="04:30",
    )
    assert [s[k] for k in ("zone", "currency", "day_starts")] == [
        "Europe/Berlin",
        "EUR",
        "04:30:00",
    ]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEFAULT_THEATER_TIMEZONE", "Europe/Atlantis"),
        ("DEFAULT_CURRENCY", "eur"),
        ("BUSINESS_DAY_STARTS_AT", "6am"),
        ("BUSINESS_DAY_STARTS_AT", "24:00"),
        ("METRICS_ALLOW", "10.0.0.0/8, localhost"),
        ("LOG_FORMAT", "xml"),
    ],
)
def test_refuses_to_start_with_a_bad_catalogue_setting(name, value):
    result = probe(**{name: value})
    assert result.returncode != 0
    assert f"{name} must be" in result.stderr


def test_refuses_to_start_without_secret_key_when_debug_is_off():
    result = probe(DJANGO_SECRET_KEY="", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_code_has_no_test_hooks():
    """Race windows and disabled guards are installed from the test side
    (tests/seams.py); no setting or branch in the apps can switch a guard off."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    sources = [
        path
        for app in ("movie_api", "reservations", "showtimes", "tickets", "theaters")
        for path in (root / app).rglob("*.py")
        if "migrations" not in path.parts
    ]
    for path in sources:
        text = path.read_text()
        for hook in ("BOOKING_RACE_WINDOW", "BOOKING_GUARD", "time.sleep("):
            assert hook not in text, f"{path}: {hook}"


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
    env = clean_env(DJANGO_SECRET_KEY="x" * 60, REDIS_URL="redis://127.0.0.1:6379/15")
    stored = run_python(code, env, "set")
    assert stored.returncode == 0, stored.stderr
    got = run_python(code, env, "get")
    assert got.returncode == 0, got.stderr
    assert got.stdout.strip() == "v42"

"""API8 security misconfiguration: the deploy checks pass with production settings
(and fail when one is wrong), no response carries a traceback with debug off, and
CORS answers only the allowed origins."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework import status
from rest_framework.test import APIClient

from accounts.views import MeView
from tests.factories import ShowtimeFactory, UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = "https://tickets.example.com"
EVIL = "https://evil.example.net"
SERVER_ERROR = {
    "error": {
        "code": "server_error",
        "message": "Internal server error.",
        "fields": {},
        "details": {},
    }
}

# --- manage.py check --deploy ----------------------------------------------------

PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "api.example.com",
}
# Settings a deployment might carry in its environment that change the outcome.
_SCRUBBED = (
    "PYTEST",
    "DJANGO_",
    "JWT_",
    "SECURE_",
    "SESSION_COOKIE_",
    "CSRF_",
    "CORS_",
    "TRUST_X_FORWARDED_PROTO",
    "REDIS_URL",
)


def check_deploy(**overrides: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED)}
    env.update(DJANGO_SETTINGS_MODULE="movie_api.settings", **PRODUCTION)
    env.update(overrides)
    env = {k: v for k, v in env.items() if v is not None}
    return subprocess.run(
        [
            sys.executable,
            "manage.py",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_checks_pass_with_production_settings():
    result = check_deploy()

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (1 silenced)." in result.stdout


@pytest.mark.parametrize(
    ("overrides", "warning"),
    [
        ({"DJANGO_SECRET_KEY": "django-insecure-" + "a" * 40}, "security.W009"),
        ({"DJANGO_SECRET_KEY": "too-short"}, "security.W009"),
        ({"JWT_SIGNING_KEY": None}, "accounts.W001"),
        ({"JWT_SIGNING_KEY": "short-jwt-key"}, "accounts.W002"),
        ({"DJANGO_DEBUG": "1"}, "security.W018"),
        ({"SECURE_HSTS_SECONDS": "0"}, "security.W004"),
        ({"SESSION_COOKIE_SECURE": "0"}, "security.W012"),
        ({"CSRF_COOKIE_SECURE": "0"}, "security.W016"),
        ({"DJANGO_ALLOWED_HOSTS": ""}, "security.W020"),
    ],
    ids=lambda value: value if isinstance(value, str) else "-".join(value),
)
def test_deploy_checks_fail_when_a_setting_is_unsafe(overrides, warning):
    """Each of these would pass unnoticed if the check above could not fail."""
    result = check_deploy(**overrides)

    assert result.returncode != 0
    assert f"({warning})" in result.stderr, result.stderr


def test_only_the_ssl_redirect_check_is_silenced_and_only_without_redirect():
    """W008 is silenced because TLS ends at the proxy (reason in settings.py);
    turning the redirect on brings the check back rather than silencing more."""
    result = check_deploy(SECURE_SSL_REDIRECT="1")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


# --- no tracebacks --------------------------------------------------------------------


@pytest.fixture
def crashing_me(monkeypatch):
    """GET /api/auth/me/ raises something the exception handler does not know."""

    def explode(self):
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr(MeView, "get_object", explode)


def test_an_unhandled_exception_is_a_bare_json_500(settings, crashing_me, client_for):
    assert settings.DEBUG is False
    client = client_for(UserFactory())
    client.raise_request_exception = False

    response = client.get("/api/auth/me/")

    assert response.status_code == status.HTTP_500_INTERNAL_SERVER_ERROR
    assert response["Content-Type"] == "application/json"
    assert response.json() == SERVER_ERROR
    for leak in (b"Traceback", b"RuntimeError", b"hunter2", b'File "'):
        assert leak not in response.content


def test_with_debug_on_the_same_crash_would_leak(settings, crashing_me, client_for):
    """The control: with DEBUG on, Django's technical page shows the exception,
    so the test above is what keeps it out."""
    settings.DEBUG = True
    client = client_for(UserFactory())
    client.raise_request_exception = False

    response = client.get("/api/auth/me/")

    assert response.status_code == status.HTTP_500_INTERNAL_SERVER_ERROR
    assert b"hunter2" in response.content


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "expected"),
    [
        ("get", "/api/no-such-endpoint/", {}, status.HTTP_404_NOT_FOUND),
        ("get", "/api/movies/999999/", {}, status.HTTP_404_NOT_FOUND),
        ("put", "/api/auth/token/", {}, status.HTTP_405_METHOD_NOT_ALLOWED),
        (
            "post",
            "/api/auth/token/",
            {"data": "{not json", "content_type": "application/json"},
            status.HTTP_400_BAD_REQUEST,
        ),
        (
            "post",
            "/api/auth/token/",
            {"data": "a=b", "content_type": "application/x-www-form-urlencoded"},
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "get",
            "/api/movies/",
            {"HTTP_ACCEPT": "text/html"},
            status.HTTP_406_NOT_ACCEPTABLE,
        ),
        (
            "get",
            "/api/movies/",
            {"data": {"page": "x"}},
            status.HTTP_400_BAD_REQUEST,
        ),
        (
            "get",
            "/api/movies/",
            {"data": {"page": "99"}},
            status.HTTP_400_BAD_REQUEST,
        ),
        (
            "get",
            "/api/showtimes/",
            {"data": {"date": "9999-12-31"}},
            status.HTTP_400_BAD_REQUEST,
        ),
        (
            "get",
            "/api/reservations/",
            {"HTTP_AUTHORIZATION": "Bearer x.y.z"},
            status.HTTP_401_UNAUTHORIZED,
        ),
        (
            "get",
            "/api/movies/",
            {"HTTP_HOST": "attacker.example.com"},
            status.HTTP_400_BAD_REQUEST,
        ),
    ],
    ids=[
        "unknown-route",
        "unknown-object",
        "wrong-method",
        "malformed-json",
        "form-body",
        "html-accept",
        "bad-page",
        "page-past-the-last",
        "date-at-the-end-of-the-calendar",
        "bad-token",
        "bad-host",
    ],
)
def test_client_errors_are_json_envelopes_without_internals(
    method, path, kwargs, expected
):
    client = APIClient()
    client.raise_request_exception = False

    response = getattr(client, method)(path, **kwargs)

    assert response.status_code == expected, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"]
    assert set(body["error"]) == {"code", "message", "fields", "details"}
    for leak in (b"Traceback", b'File "', b"/site-packages/", b"DEBUG"):
        assert leak not in response.content


@pytest.mark.parametrize(
    "prices",
    [
        {"standard": "10.00", "premium": "12.00"},
        {"standard": "-0", "premium": "\u0661\u0660"},
    ],
)
def test_showtime_at_the_end_of_the_calendar_is_a_400_envelope(prices):
    manager = UserFactory(roles=["manager"])
    showtime = ShowtimeFactory()
    client = APIClient()
    client.raise_request_exception = False
    client.force_authenticate(manager)
    body = {
        "movie": showtime.movie_id,
        "screen": showtime.screen_id,
        "starts_at": "9999-12-31T23:00:00Z",
        "prices": prices,
    }

    for response in (
        client.post("/api/showtimes/", body, format="json"),
        client.put(f"/api/showtimes/{showtime.pk}/", body, format="json"),
    ):
        assert response.status_code == status.HTTP_400_BAD_REQUEST, response.content
        assert "starts_at" in response.json()["error"]["fields"]
        assert b"Traceback" not in response.content


def test_pages_outside_the_api_show_no_debug_page(client):
    response = client.get("/no-such-page/")

    assert response.status_code == status.HTTP_404_NOT_FOUND
    assert b"Traceback" not in response.content
    assert b"DEBUG = True" not in response.content
    assert b"URLconf" not in response.content


def test_responses_carry_the_hardening_headers(api_client):
    response = api_client.get("/api/movies/")

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


# --- CORS -------------------------------------------------------------------------------


@pytest.fixture
def cors(settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]
    return settings


def test_cors_is_closed_by_default(settings):
    assert settings.CORS_ALLOWED_ORIGINS == []
    assert not getattr(settings, "CORS_ALLOW_ALL_ORIGINS", False)
    assert not getattr(settings, "CORS_ALLOWED_ORIGIN_REGEXES", [])

    response = APIClient().get("/api/movies/", HTTP_ORIGIN=ALLOWED)

    assert response.status_code == status.HTTP_200_OK
    assert "Access-Control-Allow-Origin" not in response


def test_an_allowed_origin_gets_cors_headers(cors):
    response = APIClient().get("/api/movies/", HTTP_ORIGIN=ALLOWED)

    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert "origin" in response["Vary"].lower()
    assert "Retry-After" in response["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Credentials" not in response


@pytest.mark.parametrize(
    "origin",
    [
        EVIL,
        "http://tickets.example.com",
        "https://tickets.example.com.evil.net",
        "null",
    ],
)
def test_other_origins_get_no_cors_headers(cors, origin):
    response = APIClient().get("/api/movies/", HTTP_ORIGIN=origin)

    assert response.status_code == status.HTTP_200_OK
    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.parametrize(("origin", "allowed"), [(ALLOWED, True), (EVIL, False)])
def test_preflight_answers_only_the_allowed_origin(cors, origin, allowed):
    response = APIClient().options(
        "/api/reservations/",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )

    assert response.status_code == status.HTTP_200_OK
    if allowed:
        assert response["Access-Control-Allow-Origin"] == ALLOWED
        assert "POST" in response["Access-Control-Allow-Methods"]
        assert "authorization" in response["Access-Control-Allow-Headers"]
    else:
        assert "Access-Control-Allow-Origin" not in response
        assert "Access-Control-Allow-Methods" not in response

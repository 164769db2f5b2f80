"""EMAIL_URL and the EMAIL_* variables: parsed into Django's settings, refused when
wrong (movie_api/email_url.py, settings.py)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from movie_api.email_url import parse_email_url
from tests.interpreter import clean_env, json_from, run_python

SMTP = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE = "django.core.mail.backends.console.EmailBackend"

PROBE = """
import json, django
from django.conf import settings as s
django.setup()
print(json.dumps({k: getattr(s, "EMAIL_" + k) for k in (
    "BACKEND", "HOST", "PORT", "HOST_USER", "HOST_PASSWORD", "USE_TLS", "USE_SSL",
    "TIMEOUT")} | {"FROM": s.DEFAULT_FROM_EMAIL}))
"""


def _env(env: dict) -> dict:
    return clean_env(
        "DATABASE_URL",
        "REDIS_URL",
        "EMAIL_",
        "DEFAULT_FROM_EMAIL",
        "DJANGO_DEBUG",
        **{"DJANGO_SECRET_KEY": "x" * 60, **env},
    )


def mail_settings(**env) -> dict:
    return json_from(PROBE, _env(env))


def test_smtp_url_with_starttls_and_an_encoded_password():
    assert parse_email_url(
        "smtp://mailer%40cinema.example:p%40ss%2Fword@smtp.example.com:587/?tls=1",
        timeout=10,
    ) == {
        "BACKEND": SMTP,
        "HOST": "smtp.example.com",
        "PORT": 587,
        "HOST_USER": "mailer@cinema.example",
        "HOST_PASSWORD": "p@ss/word",
        "USE_TLS": True,
        "USE_SSL": False,
        "TIMEOUT": 10,
        "FILE_PATH": None,
    }


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtps://u:p@mail.example", {"USE_SSL": True, "PORT": 465}),
        ("smtp://mail.example?tls=1", {"USE_TLS": True, "PORT": 587}),
        ("smtp://mail.example", {"USE_TLS": False, "PORT": 25}),
        ("smtp://mail.example:2525/?timeout=3", {"PORT": 2525, "TIMEOUT": 3}),
        ("console://", {"BACKEND": CONSOLE}),
        (
            "file:///tmp/movie-api%20mail",
            {
                "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "FILE_PATH": "/tmp/movie-api mail",
            },
        ),
        ("locmem://", {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}),
    ],
)
def test_url_forms(url, expected):
    parsed = parse_email_url(url, timeout=10)
    assert {key: parsed[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sendmail://localhost", "EMAIL_URL must start with one of smtp://"),
        ("smtp://h?tls=maybe", "tls must be 1 or 0"),
        ("smtp://h?tls=1&ssl=1", "tls and ssl exclude each other"),
        ("smtps://h?tls=1", "tls and ssl exclude each other"),
        ("smtp://h?starttls=1", "not starttls"),
        ("smtp://h:99999", "EMAIL_URL:"),
        ("smtp://h?timeout=soon", "EMAIL_URL:"),
        ("file://", "file:// needs a directory"),
    ],
)
def test_bad_urls_are_refused(url, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        parse_email_url(url, timeout=10)


def test_debug_prints_emails_to_the_log_by_default():
    s = mail_settings(DJANGO_DEBUG="1")
    assert s["BACKEND"] == CONSOLE
    assert s["FROM"] == "tickets@localhost"


def test_production_default_is_smtp_on_localhost_with_a_timeout():
    s = mail_settings()
    assert (s["BACKEND"], s["HOST"], s["PORT"], s["TIMEOUT"]) == (
        SMTP,
        "localhost",
        25,
        10,
    )


def test_email_url_wins():
    s = mail_settings(
        DJANGO_DEBUG="1",
        EMAIL_URL="smtp://u:secret@smtp.example.com:587/?tls=1",
        EMAIL_HOST="ignored.example.com",
        EMAIL_TIMEOUT_SECONDS="4",
        DEFAULT_FROM_EMAIL="Cinema <tickets@cinema.example>",
    )
    assert s == {
        "BACKEND": SMTP,
        "HOST": "smtp.example.com",
        "PORT": 587,
        "HOST_USER": "u",
        "HOST_PASSWORD": "secret",
        "USE_TLS": True,
        "USE_SSL": False,
        "TIMEOUT": 4,
        "FROM": "Cinema <tickets@cinema.example>",
    }


def test_the_usual_email_host_variables():
    s = mail_settings(
        EMAIL_HOST="smtp.example.com",
        EMAIL_PORT="2525",
        EMAIL_HOST_USER="u",
        EMAIL_HOST_PASSWORD="secret",
        EMAIL_USE_TLS="1",
    )
    assert (s["BACKEND"], s["HOST"], s["PORT"], s["HOST_USER"]) == (
        SMTP,
        "smtp.example.com",
        2525,
        "u",
    )
    assert (s["HOST_PASSWORD"], s["USE_TLS"], s["USE_SSL"]) == ("secret", True, False)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"EMAIL_URL": "smtp://h?tls=yesplease"}, "EMAIL_URL: tls must be 1 or 0"),
        ({"EMAIL_HOST": "h", "EMAIL_PORT": "twenty-five"}, "EMAIL_PORT must be"),
        (
            {"EMAIL_HOST": "h", "EMAIL_USE_TLS": "1", "EMAIL_USE_SSL": "1"},
            "EMAIL_USE_TLS and EMAIL_USE_SSL exclude each other",
        ),
    ],
)
def test_refuses_to_start_with_a_bad_email_setting(env, message):
    result = run_python(PROBE, _env(env))
    assert result.returncode != 0
    assert message in result.stderr

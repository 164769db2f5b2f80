"""Headless Chromium (Debian's, through Playwright) against a live gunicorn server.

Playwright's own browser download is not available here, so the tests drive
/usr/bin/chromium (``apt-get install chromium``) and skip when it is absent.
Playwright's sync API keeps an event loop running in this thread, which makes
Django's ORM refuse to run; so every fixture here is module-scoped, torn down
before the next module's database tests, and these tests never touch the ORM:
they see the server's database only through its API.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.live import LiveServer, live_gunicorn

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"

# Demo data as `make run` has it, plus what the tests read back.
SEED = """
from django.core.management import call_command
call_command("seed_demo", "--force", stdout=open("/dev/null", "w"))
"""

DEMO_CUSTOMER = ("customer", "customer-pass-2026")


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed at /usr/bin/chromium")


def launch(playwright):
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )


def tomorrow() -> str:
    return (datetime.now(UTC) + timedelta(days=1)).date().isoformat()


class Api:
    """The live server's public API, for arranging what a test needs."""

    def __init__(self, server: LiveServer):
        self.server = server

    def call(self, method: str, path: str, *, token=None, body=None, expect=None):
        response = self.server.request(method, path, token=token, body=body)
        if expect is not None:
            assert response.status == expect, (response.status, response.body)
        return response.body

    def token(self, username: str, password: str) -> str:
        body = self.call(
            "POST",
            "/api/auth/token/",
            body={"username": username, "password": password},
            expect=200,
        )
        return body["access"]

    def register(self, username: str, password: str = "Seat-Taker-2026!") -> str:
        self.call(
            "POST",
            "/api/auth/register/",
            body={
                "username": username,
                "email": f"{username}@example.com",
                "password": password,
            },
            expect=201,
        )
        return self.token(username, password)

    def showtimes(self, date: str) -> list[dict]:
        return self.call(
            "GET", f"/api/showtimes/?date={date}&page_size=100", expect=200
        )["results"]

    def seats(self, showtime_id: int) -> dict[str, str]:
        seats = self.call("GET", f"/api/showtimes/{showtime_id}/seats/", expect=200)
        return {seat["label"]: seat["status"] for seat in seats}


@pytest.fixture(scope="module")
def live():
    require_chromium()
    with live_gunicorn(collectstatic=True, workers=2, seed=SEED) as (server, _):
        yield server


@pytest.fixture(scope="module")
def api(live) -> Api:
    return Api(live)


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live):
    """Open pages in fresh browser contexts (separate visitors); closes them all."""
    contexts = []

    def open_page(path: str = "/"):
        context = browser.new_context(
            base_url=live.base_url, viewport={"width": 1280, "height": 900}
        )
        contexts.append(context)
        page = context.new_page()
        page.js_errors = []
        page.static_failures = []
        page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
        page.on(
            "response",
            lambda r: (
                page.static_failures.append(f"{r.status} {r.url}")
                if "/static/" in r.url and r.status >= 400
                else None
            ),
        )
        page.goto(path)
        return page

    yield open_page
    for context in contexts:
        context.close()


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    OUTPUT.mkdir(exist_ok=True)
    path = OUTPUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def dump(value) -> str:
    return json.dumps(value, indent=2, default=str)

"""seed_demo (demo/management): the demo data the README's curl examples rely
on, safe to re-run."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework import status

from movies.models import Movie
from showtimes.models import Showtime
from theaters.models import Screen, Seat, Theater

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", "--force", stdout=out)
    return out.getvalue()


def test_seed_demo_refuses_with_debug_off_unless_forced(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", stdout=StringIO())

    assert not Movie.objects.exists()


def test_seed_demo_runs_with_debug_on(settings):
    settings.DEBUG = True

    call_command("seed_demo", stdout=StringIO())

    assert Movie.objects.exists()


def _counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count() for model in (Movie, Theater, Screen, Seat, Showtime)
    )


def test_seed_demo_builds_a_catalogue_for_the_next_week():
    _seed()

    assert Movie.objects.count() >= 20
    theaters = Theater.objects.all()
    assert theaters.count() >= 3
    for theater in theaters:
        assert 2 <= theater.screens.count() <= 3
    for screen in Screen.objects.all():
        assert screen.capacity == screen.seats.count() > 0
    now = timezone.now()
    showtimes = Showtime.objects.all()
    assert showtimes.exists()
    assert all(s.starts_at > now for s in showtimes)
    days = {s.starts_at.date() for s in showtimes}
    assert len(days) >= 7
    for showtime in showtimes.select_related("screen"):
        assert showtime.screen.categories() <= set(showtime.prices)


def test_seed_demo_is_idempotent():
    _seed()
    before = _counts()

    _seed()

    assert _counts() == before


def test_demo_users_log_in_with_the_readme_credentials(api_client):
    _seed()

    for username, password, role in [
        ("customer", "customer-pass-2026", None),
        ("manager", "manager-pass-2026", "catalogue_manager"),
        ("boxoffice", "boxoffice-pass-2026", "box_office"),
    ]:
        response = api_client.post(
            "/api/auth/token/", {"username": username, "password": password}
        )
        assert response.status_code == status.HTTP_200_OK, username
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
        roles = api_client.get("/api/auth/me/").json()["roles"]
        assert roles == ["customer", *([role] if role else [])]
        api_client.credentials()


def test_seed_demo_prints_every_demo_account():
    """`make run` shows this output: the README's three accounts, not two."""
    out = _seed()

    for username, password in [
        ("customer", "customer-pass-2026"),
        ("manager", "manager-pass-2026"),
        ("boxoffice", "boxoffice-pass-2026"),
    ]:
        assert f"{username} / {password}" in out


def test_demo_manager_may_add_a_movie(api_client):
    _seed()
    token = api_client.post(
        "/api/auth/token/", {"username": "manager", "password": "manager-pass-2026"}
    ).json()["access"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = api_client.post(
        "/api/movies/",
        {"title": "New Release", "duration_minutes": 110, "genre": "drama"},
    )

    assert response.status_code == status.HTTP_201_CREATED


def test_readme_browse_example_finds_tomorrows_showtimes(api_client):
    _seed()
    tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()

    response = api_client.get(
        "/api/showtimes/", {"city": "Springfield", "date": tomorrow}
    )

    assert response.status_code == status.HTTP_200_OK
    assert response.json()["count"] > 0
    first = response.json()["results"][0]
    seats = api_client.get(f"/api/showtimes/{first['id']}/seats/").json()
    assert len(seats) == first["capacity"] == first["available_seats"]


def test_accounts_imports_no_catalogue_or_booking_app():
    """seed_demo lives in demo/ so that accounts stays standalone (STYLE.md)."""
    import ast
    from pathlib import Path

    accounts = Path(__file__).resolve().parents[2] / "accounts"
    banned = {"movies", "theaters", "showtimes", "reservations", "tickets", "web"}
    found = []
    for path in accounts.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            found += [f"{path.name}: {n}" for n in names if n.split(".")[0] in banned]
    assert found == []

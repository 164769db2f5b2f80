"""seed_demo (demo/management): the demo data the README's curl examples rely
on, safe to re-run."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework import status

from movies.models import Movie
from pricing.models import PriceCard, Voucher
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
        model.objects.count()
        for model in (Movie, Theater, Screen, Seat, Showtime, PriceCard, Voucher)
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


def test_seed_demo_places_theaters_in_three_zones_with_their_currencies():
    _seed()

    assert set(Theater.objects.values_list("city", "timezone", "currency")) == {
        ("New York", "America/New_York", "USD"),
        ("London", "Europe/London", "GBP"),
        ("Berlin", "Europe/Berlin", "EUR"),
    }


def test_seed_demo_shows_start_at_local_times_with_formats_and_languages():
    _seed()

    showtimes = list(Showtime.objects.select_related("screen__theater"))
    local_times = {
        s.starts_at.astimezone(ZoneInfo(s.screen.theater.timezone)).strftime("%H:%M")
        for s in showtimes
    }
    assert local_times <= {"13:00", "16:30", "20:00"}
    assert {"2D", "3D", "IMAX", "IMAX_3D"} <= {s.format for s in showtimes}
    assert {"en", "de", "es"} <= {s.audio_language for s in showtimes}
    assert any(s.subtitles for s in showtimes)
    assert any(s.has_closed_captions for s in showtimes)
    for showtime in showtimes:
        for row in showtime.price_table.values():
            assert set(row) == {"adult", "child", "senior", "student"}


def test_seed_demo_rates_every_movie_with_a_15_and_family_films():
    _seed()

    assert not Movie.objects.filter(certificate="").exists()
    assert Movie.objects.filter(
        rating_system="BBFC", certificate="15", min_age=15
    ).exists()
    assert Movie.objects.filter(min_age=0).count() >= 5


def test_seed_demo_weekday_matinee_is_cheaper_than_the_evening():
    _seed()

    by_start = {}
    for showtime in Showtime.objects.select_related("screen__theater").filter(
        format="2D"
    ):
        local = showtime.starts_at.astimezone(
            ZoneInfo(showtime.screen.theater.timezone)
        )
        by_start[local.weekday(), local.strftime("%H:%M")] = showtime
    weekday = next(day for day, _ in by_start if day < 5)
    matinee = by_start[weekday, "13:00"].price_table["standard"]
    evening = by_start[weekday, "20:00"].price_table["standard"]
    assert Decimal(matinee["adult"]) < Decimal(evening["adult"])
    assert Decimal(matinee["child"]) < Decimal(matinee["adult"])


def test_seed_demo_prints_the_demo_voucher_valid_for_a_year():
    out = _seed()

    voucher = Voucher.objects.get(code="DEMO10")
    assert voucher.kind == "percent"
    assert voucher.value == 10
    assert voucher.max_uses >= 1000
    assert voucher.valid_until - timezone.now() > timedelta(days=360)
    assert "Demo voucher: DEMO10 (10% off every ticket" in out


def _london_tomorrow(api_client) -> dict:
    tomorrow = (
        timezone.now().astimezone(ZoneInfo("Europe/London")) + timedelta(days=1)
    ).date()
    response = api_client.get(
        "/api/showtimes/", {"city": "London", "date": tomorrow.isoformat()}
    )
    assert response.status_code == status.HTTP_200_OK
    assert response.json()["count"] > 0
    return response.json()["results"][0]


def test_readme_browse_example_finds_tomorrows_showtimes(api_client):
    _seed()

    first = _london_tomorrow(api_client)

    assert first["currency"] == "GBP"
    assert first["local_starts_at"].endswith(("+00:00", "+01:00"))
    assert first["local_starts_at"][11:16] == "13:00"
    seats = api_client.get(f"/api/showtimes/{first['id']}/seats/").json()
    assert len(seats) == first["capacity"] == first["available_seats"]


def test_readme_books_an_adult_and_a_child_with_the_demo_voucher(api_client):
    """The README's London walkthrough: its first show of tomorrow admits children."""
    _seed()
    first = _london_tomorrow(api_client)
    token = api_client.post(
        "/api/auth/token/",
        {"username": "customer", "password": "customer-pass-2026"},
    ).json()["access"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = api_client.post(
        "/api/reservations/",
        {
            "showtime": first["id"],
            "tickets": [
                {"seat": "A1", "ticket_type": "adult"},
                {"seat": "A2", "ticket_type": "child"},
            ],
            "voucher": "demo10",
        },
        format="json",
    )

    assert response.status_code == status.HTTP_201_CREATED, response.json()
    body = response.json()
    table = first["price_table"]["standard"]
    prices = [Decimal(table["adult"]), Decimal(table["child"])]
    assert [line["price"] for line in body["seat_details"]] == [
        f"{p:.2f}" for p in prices
    ]
    discount = sum((p / 10).quantize(Decimal("0.01")) for p in prices)
    assert body["discount_total"] == f"{discount:.2f}"
    assert body["total"] == f"{sum(prices) - discount:.2f}"
    assert (body["voucher"], body["currency"]) == ("DEMO10", "GBP")


def test_every_demo_screen_has_wheelchair_spaces_companions_and_aisles(api_client):
    """The booking page draws them: every demo screen has some to show."""
    _seed()
    first = _london_tomorrow(api_client)

    for screen in Screen.objects.all():
        seats = screen.seats.all()
        assert seats.filter(wheelchair=True).exists(), screen
        assert seats.filter(companion=True).exists(), screen
    seats = api_client.get(f"/api/showtimes/{first['id']}/seats/").json()
    by_label = {seat["label"]: seat for seat in seats}
    wheelchair = [s["label"] for s in seats if "wheelchair" in s["features"]]
    companion = [s["label"] for s in seats if "companion" in s["features"]]
    assert wheelchair
    assert companion
    for label in companion:  # each beside a wheelchair space
        row, number = label[0], int(label[1:])
        assert {f"{row}{number - 1}", f"{row}{number + 1}"} & set(wheelchair)
    assert any(seat["aisle_after"] for seat in by_label.values())


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

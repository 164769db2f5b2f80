"""Showtimes in their theater's time: local start, business date, ?date=, DST, and
business dates that follow a theater's new time zone."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from rest_framework import status

from showtimes.models import Showtime
from showtimes.services import create_showtime
from tests.factories import (
    DEFAULT_PRICES,
    MovieFactory,
    ScreenFactory,
    ShowtimeFactory,
    TheaterFactory,
)

pytestmark = pytest.mark.django_db

LIST = "/api/showtimes/"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def screen_in(zone: str):
    return ScreenFactory(theater=TheaterFactory(timezone=zone))


def show(screen, starts_at: datetime) -> Showtime:
    """Through the service, as the API creates them (past dates allowed here)."""
    return create_showtime(
        movie=MovieFactory(duration_minutes=30),
        screen=screen,
        starts_at=starts_at,
        prices=dict(DEFAULT_PRICES),
    )


def times(body: dict) -> tuple[str, str]:
    return body["local_starts_at"], body["business_date"]


# --- DST: a show at 01:30 on the night the clocks change ---------------------------


def test_spring_forward_night_in_new_york(api_client):
    screen = screen_in("America/New_York")
    before = show(screen, utc(2026, 3, 8, 6, 30))  # 01:30 EST
    after = show(screen, utc(2026, 3, 8, 7, 30))  # an hour on: 03:30 EDT

    listed = api_client.get(LIST, {"screen": screen.pk}).json()["results"]
    detail = api_client.get(f"{LIST}{before.pk}/").json()

    assert [times(s) for s in listed] == [
        ("2026-03-08T01:30:00-05:00", "2026-03-07"),
        ("2026-03-08T03:30:00-04:00", "2026-03-07"),
    ]
    assert times(detail) == ("2026-03-08T01:30:00-05:00", "2026-03-07")
    assert after.business_date == date(2026, 3, 7)


def test_fall_back_night_in_new_york_has_two_one_thirties(api_client):
    screen = screen_in("America/New_York")
    show(screen, utc(2026, 11, 1, 5, 30))  # first 01:30, EDT
    show(screen, utc(2026, 11, 1, 6, 30))  # second 01:30, EST

    listed = api_client.get(LIST, {"screen": screen.pk}).json()["results"]

    assert [times(s) for s in listed] == [
        ("2026-11-01T01:30:00-04:00", "2026-10-31"),
        ("2026-11-01T01:30:00-05:00", "2026-10-31"),
    ]
    by_date = api_client.get(LIST, {"date": "2026-10-31"}).json()["results"]
    assert len(by_date) == 2


def test_create_and_update_answers_carry_local_start_and_business_date(
    manager_client,
):
    screen = screen_in("America/New_York")
    body = {
        "movie": MovieFactory(duration_minutes=30).pk,
        "screen": screen.pk,
        # 2031-03-09 is that year's spring-forward night
        "starts_at": "2031-03-09T01:30:00-05:00",
        "prices": {"standard": "10.00", "premium": "12.00"},
    }

    created = manager_client.post(LIST, body)

    assert created.status_code == status.HTTP_201_CREATED, created.content
    assert created.json()["starts_at"] == "2031-03-09T06:30:00Z"
    assert times(created.json()) == ("2031-03-09T01:30:00-05:00", "2031-03-08")

    # to the second 01:30 of 2031's fall-back night
    updated = manager_client.patch(
        f"{LIST}{created.json()['id']}/", {"starts_at": "2031-11-02T06:30:00Z"}
    )

    assert updated.status_code == status.HTTP_200_OK, updated.content
    assert times(updated.json()) == ("2031-11-02T01:30:00-05:00", "2031-11-01")
    assert Showtime.objects.get().business_date == date(2031, 11, 1)


def test_a_utc_theater_shows_the_zero_offset(api_client):
    showtime = show(screen_in("UTC"), utc(2026, 6, 10, 20, 0))

    body = api_client.get(f"{LIST}{showtime.pk}/").json()

    assert times(body) == ("2026-06-10T20:00:00+00:00", "2026-06-10")


# --- ?date= is the business date in each showtime's own theater ----------------------


def test_date_means_each_theaters_own_business_day(api_client):
    berlin = show(screen_in("Europe/Berlin"), utc(2026, 6, 10, 6, 0))  # 08:00
    new_york = show(screen_in("America/New_York"), utc(2026, 6, 10, 6, 0))  # 02:00
    saturday_late = show(screen_in("America/New_York"), utc(2026, 3, 7, 5, 30))

    def ids(day):
        return [s["id"] for s in api_client.get(LIST, {"date": day}).json()["results"]]

    assert ids("2026-06-10") == [berlin.pk]
    assert ids("2026-06-09") == [new_york.pk]
    # 00:30 local on Saturday 2026-03-07 is Friday's programme
    assert ids("2026-03-06") == [saturday_late.pk]
    assert ids("2026-03-07") == []


def test_date_filter_is_an_equality_on_the_stored_business_date(api_client):
    show(screen_in("Europe/Berlin"), utc(2026, 6, 10, 6, 0))

    with CaptureQueriesContext(connection) as queries:
        api_client.get(LIST, {"date": "2026-06-10"})

    listing = [q["sql"] for q in queries if 'FROM "showtimes_showtime"' in q["sql"]]
    assert listing
    for sql in listing:
        where = sql.split("WHERE", 1)[1]
        assert '"showtimes_showtime"."business_date" = ' in where
        assert '"starts_at" >=' not in where


def test_list_query_count_is_constant_across_time_zones(
    api_client, django_assert_num_queries
):
    zones = ["America/New_York", "Europe/Berlin", "Asia/Tokyo", "UTC"]
    ShowtimeFactory(screen=screen_in(zones[0]))
    with CaptureQueriesContext(connection) as one:
        assert api_client.get(LIST).status_code == status.HTTP_200_OK
    for index in range(1, 8):
        ShowtimeFactory(screen=screen_in(zones[index % 4]))

    with django_assert_num_queries(len(one)):
        response = api_client.get(LIST)

    offsets = {s["local_starts_at"][-6:] for s in response.json()["results"]}
    assert len(offsets) == 4  # every zone shown, with no query of its own


# --- a theater's new time zone moves its showtimes' business dates -------------------


def test_changing_a_theaters_timezone_moves_its_business_dates(manager_client):
    screen = screen_in("Europe/Berlin")
    theirs = show(screen, utc(2026, 6, 10, 6, 0))  # 08:00 Berlin
    other = show(screen_in("Europe/Berlin"), utc(2026, 6, 10, 6, 0))

    response = manager_client.patch(
        f"/api/theaters/{screen.theater_id}/", {"timezone": "America/New_York"}
    )

    assert response.status_code == status.HTTP_200_OK, response.content
    theirs.refresh_from_db()
    other.refresh_from_db()
    assert theirs.business_date == date(2026, 6, 9)  # 02:00 in New York
    assert other.business_date == date(2026, 6, 10)
    body = manager_client.get(f"{LIST}{theirs.pk}/").json()
    assert times(body) == ("2026-06-10T02:00:00-04:00", "2026-06-09")
    dated = manager_client.get(LIST, {"date": "2026-06-09"}).json()["results"]
    assert [s["id"] for s in dated] == [theirs.pk]


def test_put_without_timezone_keeps_it_and_the_business_dates(manager_client):
    screen = screen_in("America/New_York")
    showtime = show(screen, utc(2026, 6, 10, 6, 0))

    response = manager_client.put(
        f"/api/theaters/{screen.theater_id}/",
        {"name": "Renamed", "location": "1 Main Street"},
    )

    assert response.status_code == status.HTTP_200_OK, response.content
    assert response.json()["timezone"] == "America/New_York"
    showtime.refresh_from_db()
    assert showtime.business_date == date(2026, 6, 9)


def test_recompute_command_follows_a_new_business_day_start(settings, capsys):
    showtime = show(screen_in("UTC"), utc(2026, 6, 10, 5, 0))
    assert showtime.business_date == date(2026, 6, 9)

    settings.BUSINESS_DAY_STARTS_AT = time(4, 0)
    call_command("recompute_business_dates")

    showtime.refresh_from_db()
    assert showtime.business_date == date(2026, 6, 10)
    assert "1 showtime(s) moved" in capsys.readouterr().out


# --- the migration that stored business dates for existing showtimes ----------------


@pytest.mark.django_db(transaction=True)
def test_migration_computes_business_dates_in_each_theaters_zone():
    before = [("showtimes", "0003_showtime_seats_version")]
    after = [("showtimes", "0004_showtime_business_date")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        # every other app as it is now; showtimes as before the business date
        applied = MigrationExecutor(connection)
        apps = applied._create_project_state(with_applied_migrations=True).apps
        movie = apps.get_model("movies", "Movie").objects.create(
            title="Heat", duration_minutes=90
        )
        theater_model = apps.get_model("theaters", "Theater")
        showtime_model = apps.get_model("showtimes", "Showtime")
        starts_at = utc(2026, 6, 10, 6, 0)  # 08:00 Berlin, 02:00 New York
        for zone in ("Europe/Berlin", "America/New_York"):
            theater = theater_model.objects.create(
                name=zone, location="x", timezone=zone
            )
            screen = apps.get_model("theaters", "Screen").objects.create(
                theater=theater, name="1", layout=[]
            )
            showtime_model.objects.create(
                movie=movie,
                screen=screen,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=2),
                prices={},
            )

        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(after)

        migrated = executor.loader.project_state(after).apps
        rows = dict(
            migrated.get_model("showtimes", "Showtime").objects.values_list(
                "screen__theater__timezone", "business_date"
            )
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    assert rows == {
        "Europe/Berlin": date(2026, 6, 10),
        "America/New_York": date(2026, 6, 9),
    }

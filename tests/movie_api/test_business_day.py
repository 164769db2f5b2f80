"""The business day and local time at a theater: a table of cases, DST both ways."""

from datetime import UTC, date, datetime, time

import pytest

from movie_api.business_day import business_date, local_time


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("case", "starts_at", "zone", "local", "expected"),
    [
        # 2026-03-07 is a Saturday: 00:30 on it is Friday's late show.
        (
            "00:30 local Saturday is Friday",
            utc(2026, 3, 7, 5, 30),
            "America/New_York",
            "2026-03-07T00:30:00-05:00",
            date(2026, 3, 6),
        ),
        (
            "05:59 local is still the day before",
            utc(2026, 6, 10, 5, 59),
            "UTC",
            "2026-06-10T05:59:00+00:00",
            date(2026, 6, 9),
        ),
        (
            "06:00 local starts the day",
            utc(2026, 6, 10, 6, 0),
            "UTC",
            "2026-06-10T06:00:00+00:00",
            date(2026, 6, 10),
        ),
        (
            "23:59 local is that day",
            utc(2026, 6, 10, 21, 59),
            "Europe/Berlin",
            "2026-06-10T23:59:00+02:00",
            date(2026, 6, 10),
        ),
        # The same instant: 04:30 in Berlin (the day before's programme), 22:30 the
        # evening before in New York (that evening's programme), 13:30 in Tokyo.
        (
            "Berlin, same instant",
            utc(2026, 6, 10, 2, 30),
            "Europe/Berlin",
            "2026-06-10T04:30:00+02:00",
            date(2026, 6, 9),
        ),
        (
            "New York, same instant",
            utc(2026, 6, 10, 2, 30),
            "America/New_York",
            "2026-06-09T22:30:00-04:00",
            date(2026, 6, 9),
        ),
        (
            "Tokyo, same instant",
            utc(2026, 6, 10, 2, 30),
            "Asia/Tokyo",
            "2026-06-10T11:30:00+09:00",
            date(2026, 6, 10),
        ),
        (
            "Berlin 08:00, New York 02:00 the same instant",
            utc(2026, 6, 10, 6, 0),
            "Europe/Berlin",
            "2026-06-10T08:00:00+02:00",
            date(2026, 6, 10),
        ),
        (
            "New York 02:00, Berlin 08:00 the same instant",
            utc(2026, 6, 10, 6, 0),
            "America/New_York",
            "2026-06-10T02:00:00-04:00",
            date(2026, 6, 9),
        ),
        # Spring forward, New York, 2026-03-08: 02:00 EST becomes 03:00 EDT.
        (
            "01:30 on the spring-forward night, still EST",
            utc(2026, 3, 8, 6, 30),
            "America/New_York",
            "2026-03-08T01:30:00-05:00",
            date(2026, 3, 7),
        ),
        (
            "one hour later is 03:30 EDT",
            utc(2026, 3, 8, 7, 30),
            "America/New_York",
            "2026-03-08T03:30:00-04:00",
            date(2026, 3, 7),
        ),
        (
            "06:00 EDT after the 23-hour night starts the day",
            utc(2026, 3, 8, 10, 0),
            "America/New_York",
            "2026-03-08T06:00:00-04:00",
            date(2026, 3, 8),
        ),
        # Fall back, New York, 2026-11-01: 02:00 EDT becomes 01:00 EST, so 01:30
        # happens twice.
        (
            "first 01:30 on the fall-back night (EDT)",
            utc(2026, 11, 1, 5, 30),
            "America/New_York",
            "2026-11-01T01:30:00-04:00",
            date(2026, 10, 31),
        ),
        (
            "second 01:30 on the fall-back night (EST)",
            utc(2026, 11, 1, 6, 30),
            "America/New_York",
            "2026-11-01T01:30:00-05:00",
            date(2026, 10, 31),
        ),
        (
            "05:59 EST after the 25-hour night is still the day before",
            utc(2026, 11, 1, 10, 59),
            "America/New_York",
            "2026-11-01T05:59:00-05:00",
            date(2026, 10, 31),
        ),
        (
            "06:00 EST starts the day",
            utc(2026, 11, 1, 11, 0),
            "America/New_York",
            "2026-11-01T06:00:00-05:00",
            date(2026, 11, 1),
        ),
        # Europe changes at 01:00 UTC on the last Sunday of March.
        (
            "Berlin spring forward, 01:30 CET",
            utc(2026, 3, 29, 0, 30),
            "Europe/Berlin",
            "2026-03-29T01:30:00+01:00",
            date(2026, 3, 28),
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and " " in value else "",
)
def test_business_date_and_local_time(case, starts_at, zone, local, expected):
    assert local_time(starts_at, zone).isoformat() == local
    assert business_date(starts_at, zone) == expected


def test_the_business_day_start_is_a_setting(settings):
    starts_at = utc(2026, 6, 10, 5, 0)  # 05:00 local
    assert business_date(starts_at, "UTC") == date(2026, 6, 9)

    settings.BUSINESS_DAY_STARTS_AT = time(4, 0)

    assert business_date(starts_at, "UTC") == date(2026, 6, 10)


def test_first_day_of_the_calendar_does_not_overflow(settings):
    settings.BUSINESS_DAY_STARTS_AT = time(23, 0)

    assert business_date(utc(1, 1, 1, 12, 0), "UTC") == date(1, 1, 1)

"""Which price card a new showtime takes: a table of cases, then over HTTP.

The rule, as documented in the README: the highest ``priority`` wins; at equal
priority a card of the showtime's theater beats a card for every theater, then
the older card. A rule matches when the LOCAL start (the theater's time zone) falls
on one of its ``weekdays`` (0 = Monday) and ``from <= time < until`` (from
inclusive, until exclusive; "24:00" is the end of the day).
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from rest_framework import status

from pricing.models import PriceCard
from pricing.services import find_price_card
from showtimes.models import Showtime
from tests.assertions import error_of
from tests.factories import MovieFactory, ScreenFactory, TheaterFactory

pytestmark = pytest.mark.django_db

WEEKDAYS = [0, 1, 2, 3, 4]


def table(adult: str) -> dict:
    return {
        "standard": {"adult": adult, "child": "5.00"},
        "premium": {"adult": "20.00"},
    }


def card(name, *, theater=None, priority=0, rules=None):
    return PriceCard.objects.create(
        name=name,
        theater=theater,
        prices=table("9.00"),
        rules=rules or [{"weekdays": WEEKDAYS, "from": "06:00", "until": "17:00"}],
        priority=priority,
    )


# 2030-01-07 is a Monday.
MONDAY = datetime(2030, 1, 7, tzinfo=UTC)


def at(day_offset: int, hh: int, mm: int = 0) -> datetime:
    return MONDAY + timedelta(days=day_offset, hours=hh, minutes=mm)


@pytest.fixture
def here():
    return TheaterFactory(timezone="UTC")


@pytest.fixture
def there():
    return TheaterFactory(timezone="UTC")


@pytest.mark.parametrize(
    ("cards", "theater", "starts_at", "expected"),
    [
        # priority order: the higher one wins, whatever the age
        ([("low", "global", 1), ("high", "global", 5)], "here", at(0, 10), "high"),
        ([("high", "global", 5), ("low", "global", 1)], "here", at(0, 10), "high"),
        # equal priority: this theater's card beats the global one, then the older
        ([("all", "global", 3), ("mine", "here", 3)], "here", at(0, 10), "mine"),
        ([("first", "global", 3), ("second", "global", 3)], "here", at(0, 10), "first"),
        # a higher global card still beats a lower theater card
        ([("mine", "here", 1), ("all", "global", 2)], "here", at(0, 10), "all"),
        # another theater's card never applies
        ([("theirs", "there", 9), ("all", "global", 0)], "here", at(0, 10), "all"),
        ([("theirs", "there", 9)], "here", at(0, 10), None),
        # weekday boundaries: Monday and Friday in, Saturday and Sunday out
        ([("wk", "global", 0)], "here", at(4, 10), "wk"),
        ([("wk", "global", 0)], "here", at(5, 10), None),
        ([("wk", "global", 0)], "here", at(6, 10), None),
        # from inclusive, until exclusive
        ([("wk", "global", 0)], "here", at(0, 6), "wk"),
        ([("wk", "global", 0)], "here", at(0, 5, 59), None),
        ([("wk", "global", 0)], "here", at(0, 16, 59), "wk"),
        ([("wk", "global", 0)], "here", at(0, 17), None),
        # a card that does not match falls through to the next one
        ([("wk", "global", 9), ("any", "global", 0)], "here", at(5, 10), "any"),
    ],
)
def test_price_card_resolution(here, there, cards, theater, starts_at, expected):
    theaters = {"here": here, "there": there, "global": None}
    for name, where, priority in cards:
        rules = None
        if name == "any":
            rules = [{"weekdays": list(range(7)), "from": "00:00", "until": "24:00"}]
        card(name, theater=theaters[where], priority=priority, rules=rules)

    found = find_price_card(theater=theaters[theater], starts_at=starts_at)

    assert (found.name if found else None) == expected


def test_rule_matches_the_local_weekday_not_the_utc_one():
    """Monday 02:00 UTC is Sunday 21:00 in New York: a weekday card does not match
    there, and a Sunday-evening card does."""
    new_york = TheaterFactory(timezone="America/New_York")
    card("weekdays", rules=[{"weekdays": WEEKDAYS, "from": "00:00", "until": "24:00"}])
    card("sunday evening", rules=[{"weekdays": [6], "from": "18:00", "until": "24:00"}])
    utc = TheaterFactory(timezone="UTC")

    assert find_price_card(theater=new_york, starts_at=at(0, 2)).name == (
        "sunday evening"
    )
    assert find_price_card(theater=utc, starts_at=at(0, 2)).name == "weekdays"


def test_until_is_compared_in_local_time():
    """17:00 local in Berlin (winter, UTC+1) is 16:00 UTC: the matinee has ended."""
    berlin = TheaterFactory(timezone="Europe/Berlin")
    card("matinee")

    assert find_price_card(theater=berlin, starts_at=at(0, 15, 59)).name == "matinee"
    assert find_price_card(theater=berlin, starts_at=at(0, 16)) is None


# --- over HTTP: a showtime created without prices ------------------------------------


def future_monday(hour: int) -> datetime:
    today = timezone.now().astimezone(UTC).date()
    monday = today + timedelta(days=7 - today.weekday())
    return datetime(monday.year, monday.month, monday.day, hour, tzinfo=UTC)


def create(client, screen, starts_at, **extra):
    return client.post(
        "/api/showtimes/",
        {
            "movie": MovieFactory().pk,
            "screen": screen.pk,
            "starts_at": starts_at.isoformat(),
            **extra,
        },
    )


def test_showtime_without_prices_copies_the_matching_card(manager_client):
    screen = ScreenFactory()
    matinee = card("matinee", priority=1)

    response = create(manager_client, screen, future_monday(10))

    assert response.status_code == status.HTTP_201_CREATED, response.content
    body = response.json()
    assert body["price_table"] == table("9.00")
    assert body["prices"] == {"standard": "9.00", "premium": "20.00"}
    assert body["currency"] == "USD"

    # Editing the card later changes only showtimes created after.
    matinee.prices = table("7.00")
    matinee.save()
    later = create(manager_client, screen, future_monday(13))
    assert later.json()["prices"]["standard"] == "7.00"
    first = Showtime.objects.get(pk=body["id"])
    assert first.prices == {"standard": "9.00", "premium": "20.00"}
    assert first.price_table == table("9.00")


def test_given_prices_win_over_any_card(manager_client):
    card("matinee", priority=1)

    response = create(
        manager_client,
        ScreenFactory(),
        future_monday(10),
        prices={"standard": "11.00", "premium": "16.00"},
    )

    assert response.status_code == status.HTTP_201_CREATED, response.content
    assert response.json()["prices"] == {"standard": "11.00", "premium": "16.00"}


def test_no_prices_and_no_matching_card_is_price_missing(manager_client):
    card("matinee")

    response = create(manager_client, ScreenFactory(), future_monday(18))

    err = error_of(response, status.HTTP_400_BAD_REQUEST, "price_missing")
    assert "no price card matches" in err["message"]
    assert not Showtime.objects.exists()


def test_a_card_missing_a_category_of_the_screen_is_price_missing(manager_client):
    PriceCard.objects.create(
        name="standard only",
        prices={"standard": {"adult": "9.00"}},
        rules=[{"weekdays": list(range(7))}],
    )

    response = create(manager_client, ScreenFactory(), future_monday(10))

    err = error_of(response, status.HTTP_400_BAD_REQUEST, "price_missing")
    assert err["details"]["categories"] == ["premium"]

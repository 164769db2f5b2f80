"""Showtime endpoints: CRUD, pricing and overlap rules, filters, and the seat map."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework import status

from reservations.models import ReservedSeat
from reservations.services import (
    cancel_reservation,
    create_reservation,
    purchase_reservation,
)
from showtimes.models import Showtime
from tests.assertions import error_of
from tests.factories import (
    MovieFactory,
    ScreenFactory,
    ShowtimeFactory,
    TheaterFactory,
)

pytestmark = pytest.mark.django_db

LIST = "/api/showtimes/"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def future(days: int = 3, hour: int = 18, minute: int = 0) -> datetime:
    day = (timezone.now() + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def payload(*, movie, screen, starts_at, **overrides) -> dict:
    return {
        "movie": movie.pk,
        "screen": screen.pk,
        "starts_at": iso(starts_at),
        "prices": {"standard": "10.00", "premium": "15.50"},
        **overrides,
    }


@pytest.fixture
def movie():
    return MovieFactory(title="Alien", duration_minutes=117)


@pytest.fixture
def screen():
    return ScreenFactory()


# --- create ------------------------------------------------------------------------


def test_manager_creates_showtime_with_derived_fields(manager_client, movie, screen):
    starts_at = future()

    response = manager_client.post(
        LIST, payload(movie=movie, screen=screen, starts_at=starts_at)
    )

    assert response.status_code == status.HTTP_201_CREATED, response.content
    body = response.json()
    showtime = Showtime.objects.get()
    assert body == {
        "id": showtime.pk,
        "movie": movie.pk,
        "movie_title": "Alien",
        "screen": screen.pk,
        "screen_name": screen.name,
        "theater": screen.theater_id,
        "theater_name": screen.theater.name,
        "starts_at": iso(starts_at),
        "ends_at": iso(starts_at + timedelta(minutes=117 + 15)),
        # the factory's theater keeps the clocks on UTC
        "local_starts_at": starts_at.isoformat(),
        "business_date": starts_at.date().isoformat(),
        "format": "2D",
        "audio_language": None,
        "subtitles": None,
        "accessibility": [],
        "prices": {"standard": "10.00", "premium": "15.50"},
        "price_table": {
            "standard": {"adult": "10.00"},
            "premium": {"adult": "15.50"},
        },
        "currency": "USD",
        "is_cancelled": False,
        "capacity": 28,
        "available_seats": 28,
        "created_at": body["created_at"],
    }


def test_ends_at_uses_cleanup_setting(manager_client, movie, screen, settings):
    settings.SHOWTIME_CLEANUP_MINUTES = 40
    starts_at = future()

    response = manager_client.post(
        LIST, payload(movie=movie, screen=screen, starts_at=starts_at)
    )

    assert response.json()["ends_at"] == iso(starts_at + timedelta(minutes=157))


def test_prices_are_normalised_to_two_decimals(manager_client, movie, screen):
    response = manager_client.post(
        LIST,
        payload(
            movie=movie,
            screen=screen,
            starts_at=future(),
            prices={"standard": 9, "premium": "12.5"},
        ),
    )

    assert response.status_code == status.HTTP_201_CREATED, response.content
    assert response.json()["prices"] == {"standard": "9.00", "premium": "12.50"}


def test_starts_at_with_offset_is_stored_in_utc(manager_client, movie, screen):
    local = future().replace(tzinfo=None).isoformat() + "+02:00"

    response = manager_client.post(
        LIST,
        {**payload(movie=movie, screen=screen, starts_at=future()), "starts_at": local},
    )

    assert response.status_code == status.HTTP_201_CREATED, response.content
    assert response.json()["starts_at"] == iso(future() - timedelta(hours=2))


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("api_client", status.HTTP_401_UNAUTHORIZED),
        ("auth_client", status.HTTP_403_FORBIDDEN),
        ("box_office_client", status.HTTP_403_FORBIDDEN),
        ("manager_client", status.HTTP_201_CREATED),
        ("staff_client", status.HTTP_201_CREATED),
    ],
)
def test_create_permission_matrix(request, who, expected, movie, screen):
    client = request.getfixturevalue(who)

    response = client.post(
        LIST, payload(movie=movie, screen=screen, starts_at=future())
    )

    assert response.status_code == expected
    assert Showtime.objects.exists() == (expected == status.HTTP_201_CREATED)


def test_superuser_without_groups_may_write(client_for, movie, screen):
    from tests.factories import UserFactory

    admin = UserFactory(is_staff=True, is_superuser=True)

    response = client_for(admin).post(
        LIST, payload(movie=movie, screen=screen, starts_at=future())
    )

    assert response.status_code == status.HTTP_201_CREATED


def test_staff_without_the_permission_may_not_write(client_for, movie, screen):
    from tests.factories import UserFactory

    bare_staff = UserFactory(is_staff=True)

    response = client_for(bare_staff).post(
        LIST, payload(movie=movie, screen=screen, starts_at=future())
    )

    error_of(response, status.HTTP_403_FORBIDDEN, "permission_denied")


# --- validation ----------------------------------------------------------------------


def test_start_in_the_past_is_400(manager_client, movie, screen):
    response = manager_client.post(
        LIST,
        payload(
            movie=movie, screen=screen, starts_at=timezone.now() - timedelta(minutes=1)
        ),
    )

    assert list(error_of(response, status.HTTP_400_BAD_REQUEST)["fields"]) == [
        "starts_at"
    ]


def test_missing_price_for_a_screen_category_is_400(manager_client, movie, screen):
    response = manager_client.post(
        LIST,
        payload(
            movie=movie,
            screen=screen,
            starts_at=future(),
            prices={"standard": "10.00"},
        ),
    )

    err = error_of(response, status.HTTP_400_BAD_REQUEST)
    assert list(err["fields"]) == ["prices"]
    assert "premium" in err["fields"]["prices"][0]


NOT_A_PRICE = 'Price must be a decimal string of digits 0-9, such as "10.00".'
SIGNED = 'Price takes no sign: use 0.00 to 9999.99, such as "10.00".'
OUT_OF_RANGE = "Price must be between 0.00 and 9999.99."
TOO_PRECISE = "Price has at most 2 decimal places."


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("-1.00", SIGNED),
        (-5, SIGNED),
        ("-0", SIGNED),
        ("-0.00", SIGNED),
        (-0.0, SIGNED),
        ("+10", SIGNED),
        ("\u0661\u0660", NOT_A_PRICE),  # Arabic-Indic "10": Decimal() reads it
        ("\u0661\u0660.\u0660\u0660", NOT_A_PRICE),
        ("\u06f1\u06f0", NOT_A_PRICE),  # Extended Arabic-Indic "10"
        ("\uff11\uff10", NOT_A_PRICE),  # full-width "10"
        ("1_000", NOT_A_PRICE),
        ("1e1", NOT_A_PRICE),
        ("1E1", NOT_A_PRICE),
        (" 10", NOT_A_PRICE),
        ("10\n", NOT_A_PRICE),
        (".5", NOT_A_PRICE),
        ("1.", NOT_A_PRICE),
        ("1,000", NOT_A_PRICE),
        ("ten", NOT_A_PRICE),
        ("", NOT_A_PRICE),
        (None, NOT_A_PRICE),
        (True, NOT_A_PRICE),
        ([], NOT_A_PRICE),
        ("NaN", NOT_A_PRICE),
        ("Infinity", NOT_A_PRICE),
        ("1e9", NOT_A_PRICE),
        (1e20, NOT_A_PRICE),  # str() writes it as 1e+20
        ("10000", OUT_OF_RANGE),
        ("10.001", TOO_PRECISE),
        (10.125, TOO_PRECISE),
    ],
)
def test_bad_price_is_400_with_a_message_per_category(
    manager_client, movie, screen, price, message
):
    response = manager_client.post(
        LIST,
        payload(
            movie=movie,
            screen=screen,
            starts_at=future(),
            prices={"standard": "10.00", "premium": price},
        ),
    )

    err = error_of(response, status.HTTP_400_BAD_REQUEST)
    assert err["fields"] == {"prices": [f"premium: {message}"]}
    assert err["message"] == f"premium: {message}"
    assert not Showtime.objects.exists()


def test_every_bad_price_is_reported_as_a_list_of_messages(
    manager_client, movie, screen
):
    response = manager_client.post(
        LIST,
        payload(
            movie=movie,
            screen=screen,
            starts_at=future(),
            prices={"standard": "-0", "premium": "1_000", "imax": "5"},
        ),
    )

    err = error_of(response, status.HTTP_400_BAD_REQUEST)
    assert err["fields"] == {
        "prices": [
            f"standard: {SIGNED}",
            f"premium: {NOT_A_PRICE}",
            "imax: Unknown seat category; use one of standard, premium, recliner,"
            " accessible.",
        ]
    }


def test_patch_with_a_bad_price_is_400_and_keeps_the_prices(manager_client):
    showtime = ShowtimeFactory()

    response = manager_client.patch(
        f"{LIST}{showtime.pk}/",
        {"prices": {"standard": "\u0661\u0660", "premium": "11.00"}},
    )

    err = error_of(response, status.HTTP_400_BAD_REQUEST)
    assert err["fields"] == {"prices": [f"standard: {NOT_A_PRICE}"]}
    showtime.refresh_from_db()
    assert showtime.prices == {"standard": "10.00", "premium": "15.50"}


@pytest.mark.parametrize(
    ("price", "stored"),
    [
        ("0", "0.00"),
        ("10", "10.00"),
        ("10.5", "10.50"),
        ("007.25", "7.25"),
        ("9999.99", "9999.99"),
        (12, "12.00"),
        (12.5, "12.50"),
    ],
)
def test_good_price_forms_are_stored_as_two_decimals(
    manager_client, movie, screen, price, stored
):
    response = manager_client.post(
        LIST,
        payload(
            movie=movie,
            screen=screen,
            starts_at=future(),
            prices={"standard": "10.00", "premium": price},
        ),
    )

    assert response.status_code == status.HTTP_201_CREATED, response.content
    assert response.json()["prices"] == {"standard": "10.00", "premium": stored}
    assert Showtime.objects.get().prices["premium"] == stored


@pytest.mark.parametrize("prices", [{}, [], "10.00", None, {"vip": "5.00"}])
def test_prices_of_wrong_shape_are_400(manager_client, movie, screen, prices):
    response = manager_client.post(
        LIST, payload(movie=movie, screen=screen, starts_at=future(), prices=prices)
    )

    assert "prices" in error_of(response, status.HTTP_400_BAD_REQUEST)["fields"]


def test_free_showtime_is_allowed(manager_client, movie, screen):
    response = manager_client.post(
        LIST,
        payload(
            movie=movie,
            screen=screen,
            starts_at=future(),
            prices={"standard": "0", "premium": "0.00"},
        ),
    )

    assert response.status_code == status.HTTP_201_CREATED


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("starts_at", "next tuesday"),
        ("starts_at", "2030-02-30T10:00:00Z"),
        ("starts_at", 12345),
        ("movie", "abc"),
        ("movie", 987654),
        ("movie", 99999999999999999999999),
        ("screen", -1),
        ("screen", [1]),
    ],
)
def test_wrong_types_and_unknown_references_are_400(
    manager_client, movie, screen, field, value
):
    body = {**payload(movie=movie, screen=screen, starts_at=future()), field: value}

    response = manager_client.post(LIST, body)

    assert list(error_of(response, status.HTTP_400_BAD_REQUEST)["fields"]) == [field]


OUT_OF_CALENDAR = "A showtime must start from 0001-01-02 and before 9999-12-31 (UTC)."


@pytest.mark.parametrize(
    "starts_at",
    [
        "9999-12-31T23:00:00Z",  # + the runtime overflowed: a 500
        "9999-12-31T20:00:00Z",  # fitted, until the movie got longer
        "9999-12-31T00:00:00Z",
        "9999-12-31T20:00:00+05:00",
        "9999-12-31T23:59:59.999999Z",
    ],
)
def test_start_too_close_to_the_end_of_the_calendar_is_400(
    manager_client, movie, screen, starts_at
):
    body = {**payload(movie=movie, screen=screen, starts_at=future())}
    body["starts_at"] = starts_at

    response = manager_client.post(LIST, body)

    err = error_of(response, status.HTTP_400_BAD_REQUEST)
    assert err["fields"] == {"starts_at": [OUT_OF_CALENDAR]}
    assert not Showtime.objects.exists()


def test_start_whose_utc_time_is_past_year_9999_is_400(manager_client, movie, screen):
    body = payload(movie=movie, screen=screen, starts_at=future())
    body["starts_at"] = "9999-12-31T23:00:00-05:00"

    response = manager_client.post(LIST, body)

    err = error_of(response, status.HTTP_400_BAD_REQUEST)
    assert list(err["fields"]) == ["starts_at"]


def test_last_start_leaves_room_for_the_longest_movie(manager_client, movie, screen):
    body = payload(movie=movie, screen=screen, starts_at=future())
    body["starts_at"] = "9999-12-30T23:59:00Z"

    created = manager_client.post(LIST, body)
    assert created.status_code == status.HTTP_201_CREATED, created.content
    assert created.json()["ends_at"] == "9999-12-31T02:11:00Z"
    longest = manager_client.patch(
        f"/api/movies/{movie.pk}/", {"duration_minutes": 600}
    )

    assert longest.status_code == status.HTTP_200_OK, longest.content
    showtime = manager_client.get(f"{LIST}{created.json()['id']}/").json()
    assert showtime["ends_at"] == "9999-12-31T10:14:00Z"  # 600 + 15 minutes


def test_longer_cleanup_moves_the_last_start_earlier(
    manager_client, movie, screen, settings
):
    settings.SHOWTIME_CLEANUP_MINUTES = 1000  # 600 + 1000 minutes > one day
    body = payload(movie=movie, screen=screen, starts_at=future())
    body["starts_at"] = "9999-12-30T12:00:00Z"

    response = manager_client.post(LIST, body)

    err = error_of(response, status.HTTP_400_BAD_REQUEST)
    assert err["fields"] == {
        "starts_at": [
            "A showtime must start from 0001-01-02 and before 9999-12-30 (UTC)."
        ]
    }


@pytest.mark.parametrize("method", ["patch", "put"])
def test_moving_a_showtime_past_the_last_start_is_400(
    manager_client, movie, screen, method
):
    showtime = ShowtimeFactory(movie=movie, screen=screen, starts_at=future(hour=10))
    body = payload(movie=movie, screen=screen, starts_at=future())
    body["starts_at"] = "9999-12-31T23:00:00Z"

    response = getattr(manager_client, method)(f"{LIST}{showtime.pk}/", body)

    err = error_of(response, status.HTTP_400_BAD_REQUEST)
    assert err["fields"] == {"starts_at": [OUT_OF_CALENDAR]}
    showtime.refresh_from_db()
    assert showtime.starts_at == future(hour=10)


def test_required_fields_are_reported(manager_client):
    response = manager_client.post(LIST, {})

    err = error_of(response, status.HTTP_400_BAD_REQUEST)
    # prices may be left out: a price card then prices the showtime
    assert set(err["fields"]) == {"movie", "screen", "starts_at"}


# --- overlaps --------------------------------------------------------------------------


def test_overlapping_showtime_on_same_screen_is_400(manager_client, movie, screen):
    first = ShowtimeFactory(movie=movie, screen=screen, starts_at=future(hour=12))
    # first runs 12:00 to 14:12 (117 + 15 minutes)

    response = manager_client.post(
        LIST, payload(movie=movie, screen=screen, starts_at=future(hour=14, minute=11))
    )

    err = error_of(response, status.HTTP_400_BAD_REQUEST, "showtime_overlap")
    assert err["details"] == {"showtime_id": first.pk}
    assert Showtime.objects.count() == 1


def test_showtime_inside_another_is_an_overlap(manager_client, screen):
    ShowtimeFactory(
        movie=MovieFactory(duration_minutes=300),
        screen=screen,
        starts_at=future(hour=9),
    )
    short = MovieFactory(duration_minutes=30)

    response = manager_client.post(
        LIST, payload(movie=short, screen=screen, starts_at=future(hour=11))
    )

    error_of(response, status.HTTP_400_BAD_REQUEST, "showtime_overlap")


def test_showtime_ending_into_the_next_is_an_overlap(manager_client, movie, screen):
    ShowtimeFactory(movie=movie, screen=screen, starts_at=future(hour=15))

    response = manager_client.post(
        LIST, payload(movie=movie, screen=screen, starts_at=future(hour=13))
    )

    error_of(response, status.HTTP_400_BAD_REQUEST, "showtime_overlap")


def test_back_to_back_showtimes_are_allowed(manager_client, movie, screen):
    ShowtimeFactory(movie=movie, screen=screen, starts_at=future(hour=12))

    response = manager_client.post(
        LIST, payload(movie=movie, screen=screen, starts_at=future(hour=14, minute=12))
    )

    assert response.status_code == status.HTTP_201_CREATED, response.content


def test_same_time_on_another_screen_is_allowed(manager_client, movie, screen):
    ShowtimeFactory(movie=movie, screen=screen, starts_at=future(hour=12))
    other = ScreenFactory(theater=screen.theater)

    response = manager_client.post(
        LIST, payload(movie=movie, screen=other, starts_at=future(hour=12))
    )

    assert response.status_code == status.HTTP_201_CREATED


def test_cancelled_showtime_does_not_block_the_slot(manager_client, movie, screen):
    ShowtimeFactory(
        movie=movie, screen=screen, starts_at=future(hour=12), is_cancelled=True
    )

    response = manager_client.post(
        LIST, payload(movie=movie, screen=screen, starts_at=future(hour=12))
    )

    assert response.status_code == status.HTTP_201_CREATED


def test_moving_a_showtime_onto_another_is_an_overlap(manager_client, movie, screen):
    ShowtimeFactory(movie=movie, screen=screen, starts_at=future(hour=12))
    later = ShowtimeFactory(movie=movie, screen=screen, starts_at=future(hour=18))

    response = manager_client.patch(
        f"{LIST}{later.pk}/", {"starts_at": iso(future(hour=13))}
    )

    error_of(response, status.HTTP_400_BAD_REQUEST, "showtime_overlap")
    later.refresh_from_db()
    assert later.starts_at == future(hour=18)


# --- update and delete --------------------------------------------------------------


def test_patch_starts_at_recomputes_ends_at(manager_client, movie):
    showtime = ShowtimeFactory(movie=movie, starts_at=future(hour=10))

    response = manager_client.patch(
        f"{LIST}{showtime.pk}/", {"starts_at": iso(future(hour=20))}
    )

    assert response.status_code == status.HTTP_200_OK, response.content
    assert response.json()["ends_at"] == iso(future(hour=22, minute=12))


def test_patch_prices_only(manager_client):
    showtime = ShowtimeFactory()

    response = manager_client.patch(
        f"{LIST}{showtime.pk}/", {"prices": {"standard": "8.00", "premium": "11.00"}}
    )

    assert response.status_code == status.HTTP_200_OK, response.content
    showtime.refresh_from_db()
    assert showtime.prices == {"standard": "8.00", "premium": "11.00"}


def test_patch_prices_missing_a_category_is_400(manager_client):
    showtime = ShowtimeFactory()

    response = manager_client.patch(
        f"{LIST}{showtime.pk}/", {"prices": {"standard": "8.00"}}
    )

    assert list(error_of(response, status.HTTP_400_BAD_REQUEST)["fields"]) == ["prices"]


def test_put_replaces_the_showtime(manager_client, movie, screen):
    showtime = ShowtimeFactory(screen=screen, starts_at=future(hour=10))

    response = manager_client.put(
        f"{LIST}{showtime.pk}/",
        payload(movie=movie, screen=screen, starts_at=future(hour=11)),
    )

    assert response.status_code == status.HTTP_200_OK, response.content
    showtime.refresh_from_db()
    assert showtime.movie == movie
    assert showtime.ends_at == future(hour=13, minute=12)


def test_changing_movie_of_a_booked_showtime_is_409(manager_client, movie, user):
    showtime = ShowtimeFactory()
    create_reservation(user=user, showtime=showtime, labels=["A1"])

    response = manager_client.patch(f"{LIST}{showtime.pk}/", {"movie": movie.pk})

    error_of(response, status.HTTP_409_CONFLICT, "showtime_has_reservations")
    showtime.refresh_from_db()
    assert showtime.movie != movie


def test_rescheduling_a_booked_showtime_is_allowed(manager_client, user):
    showtime = ShowtimeFactory(starts_at=future(hour=10))
    create_reservation(user=user, showtime=showtime, labels=["A1"])

    response = manager_client.patch(
        f"{LIST}{showtime.pk}/", {"starts_at": iso(future(hour=12))}
    )

    assert response.status_code == status.HTTP_200_OK


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("api_client", status.HTTP_401_UNAUTHORIZED),
        ("auth_client", status.HTTP_403_FORBIDDEN),
        ("manager_client", status.HTTP_204_NO_CONTENT),
        ("staff_client", status.HTTP_204_NO_CONTENT),
    ],
)
def test_delete_permission_matrix(request, who, expected):
    showtime = ShowtimeFactory()
    client = request.getfixturevalue(who)

    response = client.delete(f"{LIST}{showtime.pk}/")

    assert response.status_code == expected
    assert Showtime.objects.exists() == (expected != status.HTTP_204_NO_CONTENT)


def test_delete_with_held_reservation_is_409(manager_client, user):
    showtime = ShowtimeFactory()
    create_reservation(user=user, showtime=showtime, labels=["A1"])

    response = manager_client.delete(f"{LIST}{showtime.pk}/")

    error_of(response, status.HTTP_409_CONFLICT, "protected")
    assert Showtime.objects.filter(pk=showtime.pk).exists()


def test_delete_with_sold_reservation_is_409(manager_client, user):
    showtime = ShowtimeFactory()
    purchase_reservation(
        reservation=create_reservation(user=user, showtime=showtime, labels=["A1"])
    )

    response = manager_client.delete(f"{LIST}{showtime.pk}/")

    error_of(response, status.HTTP_409_CONFLICT, "protected")


def test_unknown_showtime_is_404(api_client, manager_client):
    error_of(api_client.get(f"{LIST}424242/"), status.HTTP_404_NOT_FOUND, "not_found")
    error_of(
        manager_client.put(f"{LIST}424242/", {}), status.HTTP_404_NOT_FOUND, "not_found"
    )
    error_of(
        manager_client.delete(f"{LIST}424242/"), status.HTTP_404_NOT_FOUND, "not_found"
    )


# --- reading: list, filters, ordering --------------------------------------------


def test_anonymous_reads_list_and_detail(api_client):
    showtime = ShowtimeFactory()

    listed = api_client.get(LIST)
    detail = api_client.get(f"{LIST}{showtime.pk}/")

    assert listed.status_code == status.HTTP_200_OK
    assert listed.json()["count"] == 1
    assert detail.status_code == status.HTTP_200_OK
    assert detail.json() == listed.json()["results"][0]
    assert detail.json()["theater"] == showtime.screen.theater_id


def test_available_seats_excludes_held_and_sold_but_not_released(
    api_client, user, settings, monkeypatch
):
    showtime = ShowtimeFactory()
    start = timezone.now()
    create_reservation(user=user, showtime=showtime, labels=["C2"])  # will lapse
    later = start + timedelta(seconds=settings.RESERVATION_HOLD_SECONDS - 5)
    monkeypatch.setattr(timezone, "now", lambda: later)
    create_reservation(user=user, showtime=showtime, labels=["A1", "A2"])
    purchase_reservation(
        reservation=create_reservation(user=user, showtime=showtime, labels=["B1"])
    )
    cancel_reservation(
        reservation=create_reservation(user=user, showtime=showtime, labels=["C1"]),
        actor=user,
    )
    # C2's hold lapses by time: no transaction releases it before this read.
    lapsed_at = start + timedelta(seconds=settings.RESERVATION_HOLD_SECONDS + 1)
    monkeypatch.setattr(timezone, "now", lambda: lapsed_at)

    body = api_client.get(f"{LIST}{showtime.pk}/").json()

    assert body["capacity"] == 28
    assert body["available_seats"] == 25


def test_default_ordering_is_by_start(api_client):
    late = ShowtimeFactory(starts_at=future(days=5))
    early = ShowtimeFactory(starts_at=future(days=2))
    middle = ShowtimeFactory(starts_at=future(days=3))

    ids = [s["id"] for s in api_client.get(LIST).json()["results"]]

    assert ids == [early.pk, middle.pk, late.pk]


def test_ordering_by_available_seats_and_capacity(api_client, user):
    small = ShowtimeFactory(
        screen=ScreenFactory(layout=[{"row": "A", "seats": 5, "category": "standard"}])
    )
    big = ShowtimeFactory()
    create_reservation(user=user, showtime=big, labels=["A1", "A2"])

    by_available = api_client.get(LIST, {"ordering": "-available_seats"}).json()
    by_capacity = api_client.get(LIST, {"ordering": "capacity"}).json()

    assert [s["id"] for s in by_available["results"]] == [big.pk, small.pk]
    assert [s["available_seats"] for s in by_available["results"]] == [26, 5]
    assert [s["id"] for s in by_capacity["results"]] == [small.pk, big.pk]


def test_filter_by_movie_screen_and_theater(api_client):
    target = ShowtimeFactory()
    other = ShowtimeFactory()

    for key, value in [
        ("movie", target.movie_id),
        ("screen", target.screen_id),
        ("theater", target.screen.theater_id),
    ]:
        response = api_client.get(LIST, {key: value})
        assert [s["id"] for s in response.json()["results"]] == [target.pk], key
    assert other.pk != target.pk


def test_filter_by_unknown_id_is_empty(api_client):
    ShowtimeFactory()

    for key in ("movie", "screen", "theater"):
        response = api_client.get(LIST, {key: 424242})
        assert response.status_code == status.HTTP_200_OK
        assert response.json()["results"] == []


def test_filter_by_city(api_client):
    leeds = ShowtimeFactory(screen=ScreenFactory(theater=TheaterFactory(city="Leeds")))
    ShowtimeFactory(screen=ScreenFactory(theater=TheaterFactory(city="York")))

    response = api_client.get(LIST, {"city": "LEEDS"})

    assert [s["id"] for s in response.json()["results"]] == [leeds.pk]


def test_filter_by_date_is_the_business_day_from_six_to_six(api_client):
    theater = TheaterFactory()  # keeps its clocks on UTC

    def at(offset):  # a screen each: shows a minute apart would overlap
        screen = ScreenFactory(theater=theater)
        return ShowtimeFactory(screen=screen, starts_at=day + offset)

    day = future(days=4, hour=0)
    late_before = at(timedelta(hours=5, minutes=59))
    first = at(timedelta(hours=6))
    after_midnight = at(timedelta(days=1, hours=5, minutes=59))
    at(timedelta(days=1, hours=6))

    response = api_client.get(LIST, {"date": day.date().isoformat()})

    assert [s["id"] for s in response.json()["results"]] == [
        first.pk,
        after_midnight.pk,
    ]
    assert late_before.pk not in {s["id"] for s in response.json()["results"]}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("date", "2030-13-01"),
        ("date", "tomorrow"),
        ("movie", "abc"),
        ("theater", "1.5"),
        ("screen", "99999999999999999999999"),
    ],
)
def test_bad_filter_values_are_400(api_client, key, value):
    response = api_client.get(LIST, {key: value})

    assert list(error_of(response, status.HTTP_400_BAD_REQUEST)["fields"]) == [key]


LAST_DAY = "No showtime starts after 9999-12-30; use a date up to then."


def test_date_filter_past_the_last_start_day_is_400(api_client):
    ShowtimeFactory()

    response = api_client.get(LIST, {"date": "9999-12-31"})  # + 1 day overflowed

    err = error_of(response, status.HTTP_400_BAD_REQUEST)
    assert err["fields"] == {"date": [LAST_DAY]}
    assert err["message"] == LAST_DAY


@pytest.mark.parametrize("day", ["9999-12-30", "0001-01-01"])
def test_date_filter_at_the_ends_of_the_calendar_is_empty(api_client, day):
    ShowtimeFactory()

    response = api_client.get(LIST, {"date": day})

    assert response.status_code == status.HTTP_200_OK, response.content
    assert response.json()["results"] == []


def test_date_filter_follows_the_last_start_day(api_client, settings):
    settings.SHOWTIME_CLEANUP_MINUTES = 1000

    response = api_client.get(LIST, {"date": "9999-12-30"})

    err = error_of(response, status.HTTP_400_BAD_REQUEST)
    assert err["fields"] == {
        "date": ["No showtime starts after 9999-12-29; use a date up to then."]
    }


def test_showtime_list_query_count_is_constant(
    api_client, user, django_assert_num_queries, settings
):
    settings.RESERVATION_MAX_ACTIVE_HOLDS = 30  # one user holds on every showtime
    first = ShowtimeFactory()
    create_reservation(user=user, showtime=first, labels=["A1"])
    with CaptureQueriesContext(connection) as one:
        assert api_client.get(LIST, {"page_size": 30}).status_code == 200
    for _ in range(29):
        create_reservation(user=user, showtime=ShowtimeFactory(), labels=["A1"])

    with django_assert_num_queries(len(one)):
        response = api_client.get(LIST, {"page_size": 30})
    assert response.json()["count"] == 30


# --- seat map -----------------------------------------------------------------------


def test_seat_map_lists_every_seat_with_price_and_status(api_client, user):
    screen = ScreenFactory(
        layout=[
            {"row": "A", "seats": 3, "category": "standard"},
            {"row": "B", "seats": 2, "category": "premium"},
        ]
    )
    showtime = ShowtimeFactory(
        screen=screen, prices={"standard": "10.00", "premium": "15.50"}
    )
    create_reservation(user=user, showtime=showtime, labels=["A2"])
    purchase_reservation(
        reservation=create_reservation(user=user, showtime=showtime, labels=["B1"])
    )

    response = api_client.get(f"{LIST}{showtime.pk}/seats/")

    assert response.status_code == status.HTTP_200_OK
    assert response.json() == [
        {
            "label": "A1",
            "row": "A",
            "number": 1,
            "category": "standard",
            "price": "10.00",
            "status": "available",
            "features": [],
            "aisle_after": False,
        },
        {
            "label": "A2",
            "row": "A",
            "number": 2,
            "category": "standard",
            "price": "10.00",
            "status": "held",
            "features": [],
            "aisle_after": False,
        },
        {
            "label": "A3",
            "row": "A",
            "number": 3,
            "category": "standard",
            "price": "10.00",
            "status": "available",
            "features": [],
            "aisle_after": False,
        },
        {
            "label": "B1",
            "row": "B",
            "number": 1,
            "category": "premium",
            "price": "15.50",
            "status": "sold",
            "features": [],
            "aisle_after": False,
        },
        {
            "label": "B2",
            "row": "B",
            "number": 2,
            "category": "premium",
            "price": "15.50",
            "status": "available",
            "features": [],
            "aisle_after": False,
        },
    ]


def test_seat_map_shows_released_seats_as_available(api_client, user):
    showtime = ShowtimeFactory()
    cancel_reservation(
        reservation=create_reservation(user=user, showtime=showtime, labels=["A1"]),
        actor=user,
    )
    lapsed = create_reservation(user=user, showtime=showtime, labels=["A2"])
    ReservedSeat.objects.filter(reservation=lapsed).update(
        held_until=timezone.now() - timedelta(seconds=1)
    )

    seats = api_client.get(f"{LIST}{showtime.pk}/seats/").json()

    assert len(seats) == 28
    assert {s["status"] for s in seats} == {"available"}


def test_seat_map_is_not_paginated_and_query_count_is_constant(
    api_client, user, django_assert_max_num_queries
):
    showtime = ShowtimeFactory(
        screen=ScreenFactory(
            layout=[{"row": r, "seats": 20, "category": "standard"} for r in "ABCDEFGH"]
        ),
        prices={"standard": "7.00"},
    )
    create_reservation(user=user, showtime=showtime, labels=["A1", "H20"])

    # Rebuilt: the version, a cache miss, one query for the seats, one for their
    # state, and the cache write (a handful with the database cache), not one per seat.
    with django_assert_max_num_queries(10):
        response = api_client.get(f"{LIST}{showtime.pk}/seats/")
    # Current: the version and the cache read.
    with django_assert_max_num_queries(2):
        again = api_client.get(f"{LIST}{showtime.pk}/seats/")

    assert isinstance(response.json(), list)
    assert len(response.json()) == 160
    assert again.content == response.content


@pytest.mark.parametrize("pk", ["424242", "abc"])
def test_seat_map_of_unknown_showtime_is_404(api_client, pk):
    response = api_client.get(f"{LIST}{pk}/seats/")

    error_of(response, status.HTTP_404_NOT_FOUND, "not_found")


@pytest.mark.parametrize(
    "starts_at",
    [
        "\uff12\uff10\uff12\uff17-06-01T10:00:00Z",  # full-width digits
        "2027-06-01T1\uff10:00:00Z",
        "2027-07-01T10:00:00\u0000Z",
        "\u0662\u0660\u0662\u0667-06-01T10:00:00Z",  # Arabic-Indic digits
    ],
    ids=["fullwidth", "one-fullwidth-digit", "nul", "arabic-indic"],
)
def test_starts_at_in_other_digits_or_with_a_nul_is_400(manager_client, starts_at):
    """Found by testing from outside: Django's \\d matched any Unicode digit."""
    movie, screen = MovieFactory(), ScreenFactory()

    response = manager_client.post(
        "/api/showtimes/",
        {
            "movie": movie.pk,
            "screen": screen.pk,
            "starts_at": starts_at,
            "prices": {"standard": "10.00", "premium": "15.50"},
        },
        format="json",
    )

    assert response.status_code == status.HTTP_400_BAD_REQUEST, response.content
    assert list(response.json()["error"]["fields"]) == ["starts_at"]


@pytest.mark.parametrize(
    "date", ["\uff12\uff10\uff12\uff17-06-01", "2027-6-1", "20270601", "2027-06-01x"]
)
def test_date_filter_takes_only_ascii_yyyy_mm_dd(api_client, date):
    response = api_client.get("/api/showtimes/", {"date": date})

    assert response.status_code == status.HTTP_400_BAD_REQUEST, response.content
    assert list(response.json()["error"]["fields"]) == ["date"]


# --- prices per ticket type (the full form) ------------------------------------------


def test_full_form_prices_fill_price_table_and_keep_adult_prices(
    manager_client, movie, screen
):
    response = manager_client.post(
        LIST,
        payload(
            movie=movie,
            screen=screen,
            starts_at=future(),
            prices={
                "standard": {"adult": "10.00", "child": "7.50"},
                "premium": "15.50",
            },
        ),
    )

    assert response.status_code == status.HTTP_201_CREATED, response.content
    body = response.json()
    assert body["prices"] == {"standard": "10.00", "premium": "15.50"}
    assert body["price_table"] == {
        "standard": {"adult": "10.00", "child": "7.50"},
        "premium": {"adult": "15.50"},
    }
    assert body["currency"] == "USD"
    # The seat map still shows one (adult) price per seat.
    seat_map = manager_client.get(f"{LIST}{body['id']}/seats/").json()
    assert {s["category"]: s["price"] for s in seat_map} == body["prices"]


def test_currency_is_the_theaters(api_client):
    showtime = ShowtimeFactory()
    showtime.screen.theater.currency = "EUR"
    showtime.screen.theater.save()

    assert api_client.get(f"{LIST}{showtime.pk}/").json()["currency"] == "EUR"


@pytest.mark.parametrize(
    ("prices", "messages"),
    [
        (
            {"standard": {"adult": "10", "toddler": "1"}, "premium": "15"},
            [
                "standard.toddler: Unknown ticket type; use one of adult, child,"
                " senior, student."
            ],
        ),
        (
            {"standard": {"child": "7"}, "premium": "15"},
            ["standard.adult: Every category needs an adult price."],
        ),
        ({"standard": {"adult": "-1"}, "premium": "15"}, [f"standard.adult: {SIGNED}"]),
        (
            {"standard": "10", "premium": {"amount": "10"}},
            [
                "premium.amount: Unknown ticket type; use one of adult, child, senior,"
                " student.",
                "premium.adult: Every category needs an adult price.",
            ],
        ),
    ],
)
def test_bad_full_form_prices_are_400(manager_client, movie, screen, prices, messages):
    response = manager_client.post(
        LIST, payload(movie=movie, screen=screen, starts_at=future(), prices=prices)
    )

    err = error_of(response, status.HTTP_400_BAD_REQUEST)
    assert err["fields"] == {"prices": messages}
    assert not Showtime.objects.exists()


def test_patch_with_full_form_updates_both_views(manager_client):
    showtime = ShowtimeFactory()

    response = manager_client.patch(
        f"{LIST}{showtime.pk}/",
        {"prices": {"standard": {"adult": "9", "senior": "6"}, "premium": "12"}},
    )

    assert response.status_code == status.HTTP_200_OK, response.content
    showtime.refresh_from_db()
    assert showtime.prices == {"standard": "9.00", "premium": "12.00"}
    assert showtime.price_table == {
        "standard": {"adult": "9.00", "senior": "6.00"},
        "premium": {"adult": "12.00"},
    }

"""Theater and screen endpoints: CRUD, permissions, seat layouts and deletion."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import status

from reservations.services import cancel_reservation, create_reservation
from showtimes.models import Showtime
from tests.assertions import error_of
from tests.factories import ScreenFactory, ShowtimeFactory, TheaterFactory
from theaters.models import Screen, Seat, Theater

pytestmark = pytest.mark.django_db

THEATERS = "/api/theaters/"
SCREENS = "/api/screens/"


def screen_payload(theater, **overrides) -> dict:
    return {
        "theater": theater.pk,
        "name": "Screen 1",
        "layout": [
            {"row": "A", "seats": 12, "category": "standard"},
            {"row": "B", "seats": 10, "category": "premium"},
        ],
        **overrides,
    }


# --- theaters ---------------------------------------------------------------------


def test_anonymous_lists_theaters_with_screen_summary(api_client):
    theater = TheaterFactory(name="Odeon", location="1 High St", city="Leeds")
    screen = ScreenFactory(theater=theater, name="Big")

    response = api_client.get(THEATERS)

    assert response.status_code == status.HTTP_200_OK
    body = response.json()
    assert body["count"] == 1
    assert body["results"] == [
        {
            "id": theater.pk,
            "name": "Odeon",
            "location": "1 High St",
            "city": "Leeds",
            "timezone": "UTC",
            "currency": "USD",
            "screens": [{"id": screen.pk, "name": "Big", "capacity": 28}],
            "created_at": body["results"][0]["created_at"],
        }
    ]


def test_theater_detail_and_404(api_client):
    theater = TheaterFactory(name="Rex")

    assert api_client.get(f"{THEATERS}{theater.pk}/").json()["name"] == "Rex"
    error_of(
        api_client.get(f"{THEATERS}{theater.pk + 1000}/"),
        status.HTTP_404_NOT_FOUND,
        "not_found",
    )


def test_filter_theaters_by_city_ignores_case(api_client):
    leeds = TheaterFactory(city="Leeds")
    TheaterFactory(city="York")

    response = api_client.get(THEATERS, {"city": "leeds"})

    assert [t["id"] for t in response.json()["results"]] == [leeds.pk]


def test_search_theaters_by_name(api_client):
    rex = TheaterFactory(name="Rex Cinema")
    TheaterFactory(name="Odeon")

    response = api_client.get(THEATERS, {"search": "rex"})

    assert [t["id"] for t in response.json()["results"]] == [rex.pk]


def test_manager_creates_theater_with_name_and_location_only(manager_client):
    response = manager_client.post(
        THEATERS, {"name": "Plaza", "location": "5 Market Sq, Springfield"}
    )

    assert response.status_code == status.HTTP_201_CREATED, response.content
    body = response.json()
    assert body["name"] == "Plaza"
    assert body["location"] == "5 Market Sq, Springfield"
    assert body["screens"] == []


def test_theater_without_city_is_found_by_city_in_its_location(
    manager_client, api_client
):
    manager_client.post(
        THEATERS, {"name": "Plaza", "location": "5 Market Sq, Springfield"}
    )

    response = api_client.get(THEATERS, {"city": "springfield"})

    assert [t["name"] for t in response.json()["results"]] == ["Plaza"]


def test_manager_creates_theater_with_city(manager_client):
    response = manager_client.post(
        THEATERS, {"name": "Plaza", "location": "5 Market Sq", "city": "York"}
    )

    assert response.status_code == status.HTTP_201_CREATED
    assert Theater.objects.get().city == "York"


def test_theater_requires_name_and_location(manager_client):
    response = manager_client.post(THEATERS, {"city": "York"})

    err = error_of(response, status.HTTP_400_BAD_REQUEST)
    assert set(err["fields"]) == {"name", "location"}


def test_screens_are_read_only_on_theater(manager_client):
    theater = TheaterFactory()

    response = manager_client.patch(
        f"{THEATERS}{theater.pk}/", {"name": "New", "screens": [{"name": "X"}]}
    )

    assert response.status_code == status.HTTP_200_OK
    assert response.json()["screens"] == []
    assert not Screen.objects.exists()


# --- time zone and currency ------------------------------------------------------

PLAZA = {"name": "Plaza", "location": "5 Market Sq"}
UNKNOWN_ZONE = (
    "Unknown time zone; use an IANA name such as America/New_York, Europe/Berlin "
    "or UTC."
)
UNKNOWN_CURRENCY = "Unknown currency; use an ISO 4217 code such as USD, EUR or GBP."


def test_theater_takes_a_timezone_and_a_currency(manager_client):
    response = manager_client.post(
        THEATERS, {**PLAZA, "timezone": "Europe/Berlin", "currency": "EUR"}
    )

    assert response.status_code == status.HTTP_201_CREATED, response.content
    assert response.json()["timezone"] == "Europe/Berlin"
    assert response.json()["currency"] == "EUR"
    theater = Theater.objects.get()
    assert (theater.timezone, theater.currency) == ("Europe/Berlin", "EUR")


def test_timezone_and_currency_default_to_utc_and_usd(manager_client):
    response = manager_client.post(THEATERS, PLAZA)

    assert response.status_code == status.HTTP_201_CREATED, response.content
    assert (response.json()["timezone"], response.json()["currency"]) == (
        "UTC",
        "USD",
    )


def test_timezone_and_currency_defaults_come_from_the_settings(
    manager_client, settings
):
    settings.DEFAULT_THEATER_TIMEZONE = "Europe/London"
    settings.DEFAULT_CURRENCY = "GBP"

    response = manager_client.post(THEATERS, PLAZA)

    assert (response.json()["timezone"], response.json()["currency"]) == (
        "Europe/London",
        "GBP",
    )


@pytest.mark.parametrize(
    "zone",
    [
        "Mars/Olympus_Mons",
        "america/new_york",
        "EST+5",
        "Factory",
        "localtime",
        "x" * 80,
    ],
)
def test_unknown_timezone_is_400_invalid_timezone(manager_client, zone):
    response = manager_client.post(THEATERS, {**PLAZA, "timezone": zone})

    err = error_of(response, status.HTTP_400_BAD_REQUEST, "invalid_timezone")
    assert err["fields"] == {"timezone": [UNKNOWN_ZONE]}
    assert err["message"] == UNKNOWN_ZONE
    assert not Theater.objects.exists()


def test_patching_an_unknown_timezone_is_400_and_keeps_the_old(manager_client):
    theater = TheaterFactory(timezone="Europe/Berlin")

    response = manager_client.patch(
        f"{THEATERS}{theater.pk}/", {"timezone": "Europe/Atlantis"}
    )

    error_of(response, status.HTTP_400_BAD_REQUEST, "invalid_timezone")
    theater.refresh_from_db()
    assert theater.timezone == "Europe/Berlin"


@pytest.mark.parametrize(
    ("currency", "message"),
    [
        ("ZZZ", UNKNOWN_CURRENCY),
        ("EURO", UNKNOWN_CURRENCY),
        ("XAU", UNKNOWN_CURRENCY),  # gold is an ISO 4217 code, not money
        ("eur", UNKNOWN_CURRENCY + " Write it in capitals: EUR."),
    ],
)
def test_unknown_currency_is_400(manager_client, currency, message):
    response = manager_client.post(THEATERS, {**PLAZA, "currency": currency})

    err = error_of(response, status.HTTP_400_BAD_REQUEST, "invalid_currency")
    assert err["fields"] == {"currency": [message]}


def test_several_kinds_of_error_keep_the_code_invalid(manager_client):
    response = manager_client.post(
        THEATERS, {"name": "P", "timezone": "Nowhere", "currency": "ZZZ"}
    )

    err = error_of(response, status.HTTP_400_BAD_REQUEST, "invalid")
    assert set(err["fields"]) == {"location", "timezone", "currency"}


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
def test_theater_create_permission_matrix(request, who, expected):
    client = request.getfixturevalue(who)

    response = client.post(THEATERS, {"name": "N", "location": "L", "city": "C"})

    assert response.status_code == expected


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("api_client", status.HTTP_401_UNAUTHORIZED),
        ("auth_client", status.HTTP_403_FORBIDDEN),
        ("manager_client", status.HTTP_200_OK),
        ("staff_client", status.HTTP_200_OK),
    ],
)
def test_theater_update_permission_matrix(request, who, expected):
    theater = TheaterFactory(name="Old")
    client = request.getfixturevalue(who)

    response = client.put(
        f"{THEATERS}{theater.pk}/", {"name": "New", "location": "L", "city": "C"}
    )

    assert response.status_code == expected
    theater.refresh_from_db()
    assert (theater.name == "New") == (expected == status.HTTP_200_OK)


def test_delete_theater_without_reservations_is_204(manager_client):
    theater = TheaterFactory()
    ShowtimeFactory(screen=ScreenFactory(theater=theater))

    response = manager_client.delete(f"{THEATERS}{theater.pk}/")

    assert response.status_code == status.HTTP_204_NO_CONTENT
    assert not Theater.objects.exists()
    assert not Seat.objects.exists()
    assert not Showtime.objects.exists()


def test_delete_theater_with_reservations_is_409(manager_client, user):
    showtime = ShowtimeFactory()
    create_reservation(user=user, showtime=showtime, labels=["A1", "A2"])

    response = manager_client.delete(f"{THEATERS}{showtime.screen.theater_id}/")

    error_of(response, status.HTTP_409_CONFLICT, "protected")
    assert Theater.objects.exists()
    assert Seat.objects.filter(screen=showtime.screen).count() == 28


def test_customer_cannot_delete_theater(auth_client):
    theater = TheaterFactory()

    error_of(
        auth_client.delete(f"{THEATERS}{theater.pk}/"),
        status.HTTP_403_FORBIDDEN,
        "permission_denied",
    )
    assert Theater.objects.exists()


# --- screens ------------------------------------------------------------------------


def test_manager_creates_screen_and_its_seats(manager_client):
    theater = TheaterFactory()

    response = manager_client.post(SCREENS, screen_payload(theater))

    assert response.status_code == status.HTTP_201_CREATED, response.content
    body = response.json()
    screen = Screen.objects.get()
    assert body == {
        "id": screen.pk,
        "theater": theater.pk,
        "name": "Screen 1",
        "layout": [
            {"row": "A", "seats": 12, "category": "standard"},
            {"row": "B", "seats": 10, "category": "premium"},
        ],
        "capacity": 22,
        "created_at": body["created_at"],
    }
    labels = list(
        Seat.objects.filter(screen=screen, row="A").values_list("label", flat=True)
    )
    assert labels == [f"A{n}" for n in range(1, 13)]
    assert set(Seat.objects.filter(row="B").values_list("category", flat=True)) == {
        "premium"
    }
    assert Seat.objects.filter(screen=screen).count() == 22


def test_screen_capacity_is_read_only(manager_client):
    theater = TheaterFactory()

    response = manager_client.post(SCREENS, screen_payload(theater, capacity=999))

    assert response.json()["capacity"] == 22


def test_screen_category_defaults_to_standard_and_row_is_uppercased(manager_client):
    theater = TheaterFactory()

    response = manager_client.post(
        SCREENS, screen_payload(theater, layout=[{"row": "a", "seats": 2}])
    )

    assert response.status_code == status.HTTP_201_CREATED, response.content
    assert response.json()["layout"] == [
        {"row": "A", "seats": 2, "category": "standard"}
    ]
    assert sorted(Seat.objects.values_list("label", flat=True)) == ["A1", "A2"]


@pytest.mark.parametrize(
    "layout",
    [
        pytest.param([], id="empty"),
        pytest.param([{"row": "A", "seats": -3}], id="negative-seats"),
        pytest.param([{"row": "A", "seats": 0}], id="zero-seats"),
        pytest.param([{"row": "A", "seats": 101}], id="over-100-seats"),
        pytest.param([{"row": "A", "seats": "ten"}], id="seats-not-a-number"),
        pytest.param([{"row": "A", "seats": 2.5}], id="fractional-seats"),
        pytest.param(
            [{"row": "A", "seats": 5}, {"row": "A", "seats": 6}], id="duplicate-row"
        ),
        pytest.param(
            [{"row": "A", "seats": 5}, {"row": "a", "seats": 6}],
            id="duplicate-row-other-case",
        ),
        pytest.param(
            [{"row": "A", "seats": 5, "category": "vip-lounge"}], id="unknown-category"
        ),
        pytest.param([{"row": "", "seats": 5}], id="blank-row"),
        pytest.param([{"row": "A1", "seats": 5}], id="row-not-letters"),
        pytest.param([{"seats": 5}], id="row-missing"),
        pytest.param([{"row": "A"}], id="seats-missing"),
        pytest.param(["A", 5], id="rows-not-objects"),
        pytest.param("A:10", id="not-a-list"),
        pytest.param(None, id="null"),
    ],
)
def test_bad_layout_is_400_and_creates_nothing(manager_client, layout):
    theater = TheaterFactory()

    response = manager_client.post(SCREENS, screen_payload(theater, layout=layout))

    err = error_of(response, status.HTTP_400_BAD_REQUEST)
    assert list(err["fields"]) == ["layout"]
    assert not Screen.objects.exists()
    assert not Seat.objects.exists()


def test_layout_of_100_seats_a_row_is_accepted(manager_client):
    theater = TheaterFactory()

    response = manager_client.post(
        SCREENS, screen_payload(theater, layout=[{"row": "A", "seats": 100}])
    )

    assert response.status_code == status.HTTP_201_CREATED
    assert response.json()["capacity"] == 100


def test_all_documented_categories_are_accepted(manager_client):
    theater = TheaterFactory()
    layout = [
        {"row": "A", "seats": 4, "category": "standard"},
        {"row": "B", "seats": 4, "category": "premium"},
        {"row": "C", "seats": 2, "category": "recliner"},
    ]

    response = manager_client.post(SCREENS, screen_payload(theater, layout=layout))

    assert response.status_code == status.HTTP_201_CREATED
    assert response.json()["layout"] == layout


def test_screen_name_is_unique_within_a_theater(manager_client):
    screen = ScreenFactory(name="One")

    response = manager_client.post(SCREENS, screen_payload(screen.theater, name="One"))

    assert list(error_of(response, status.HTTP_400_BAD_REQUEST)["fields"]) == ["name"]
    assert manager_client.post(
        SCREENS, screen_payload(TheaterFactory(), name="One")
    ).status_code == (status.HTTP_201_CREATED)


@pytest.mark.parametrize("theater", [987654, "abc", None, 99999999999999999999999])
def test_screen_with_bad_theater_is_400(manager_client, theater):
    response = manager_client.post(
        SCREENS, {**screen_payload(TheaterFactory()), "theater": theater}
    )

    assert list(error_of(response, status.HTTP_400_BAD_REQUEST)["fields"]) == [
        "theater"
    ]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("api_client", status.HTTP_401_UNAUTHORIZED),
        ("auth_client", status.HTTP_403_FORBIDDEN),
        ("manager_client", status.HTTP_201_CREATED),
        ("staff_client", status.HTTP_201_CREATED),
    ],
)
def test_screen_create_permission_matrix(request, who, expected):
    theater = TheaterFactory()
    client = request.getfixturevalue(who)

    response = client.post(SCREENS, screen_payload(theater))

    assert response.status_code == expected
    assert Screen.objects.exists() == (expected == status.HTTP_201_CREATED)


def test_anonymous_reads_screens_and_filters_by_theater(api_client):
    screen = ScreenFactory()
    ScreenFactory()

    response = api_client.get(SCREENS, {"theater": screen.theater_id})

    assert response.status_code == status.HTTP_200_OK
    assert [s["id"] for s in response.json()["results"]] == [screen.pk]
    detail = api_client.get(f"{SCREENS}{screen.pk}/")
    assert detail.json()["capacity"] == 28
    assert detail.json()["layout"][2] == {"row": "C", "seats": 8, "category": "premium"}


def test_unknown_screen_is_404(api_client, manager_client):
    error_of(api_client.get(f"{SCREENS}999/"), status.HTTP_404_NOT_FOUND, "not_found")
    error_of(
        manager_client.delete(f"{SCREENS}999/"), status.HTTP_404_NOT_FOUND, "not_found"
    )


def test_changing_layout_without_bookings_replaces_seats(manager_client):
    screen = ScreenFactory()

    response = manager_client.patch(
        f"{SCREENS}{screen.pk}/", {"layout": [{"row": "Z", "seats": 3}]}
    )

    assert response.status_code == status.HTTP_200_OK, response.content
    assert response.json()["capacity"] == 3
    assert sorted(screen.seats.values_list("label", flat=True)) == ["Z1", "Z2", "Z3"]


def test_renaming_a_screen_with_bookings_is_allowed(manager_client, user):
    showtime = ShowtimeFactory()
    create_reservation(user=user, showtime=showtime, labels=["A1"])

    response = manager_client.patch(
        f"{SCREENS}{showtime.screen_id}/", {"name": "Renamed"}
    )

    assert response.status_code == status.HTTP_200_OK
    assert response.json()["name"] == "Renamed"


def test_changing_layout_with_bookings_is_409_and_keeps_seats(manager_client, user):
    showtime = ShowtimeFactory()
    create_reservation(user=user, showtime=showtime, labels=["A1"])
    screen = showtime.screen
    seat_ids = set(screen.seats.values_list("pk", flat=True))

    response = manager_client.patch(
        f"{SCREENS}{screen.pk}/",
        {"name": "Renamed", "layout": [{"row": "A", "seats": 4}]},
    )

    error_of(response, status.HTTP_409_CONFLICT, "screen_has_reservations")
    screen.refresh_from_db()
    assert screen.capacity == 28
    assert screen.name != "Renamed"
    assert set(screen.seats.values_list("pk", flat=True)) == seat_ids


def test_changing_layout_after_cancelled_booking_is_still_409(manager_client, user):
    showtime = ShowtimeFactory()
    reservation = create_reservation(user=user, showtime=showtime, labels=["A1"])
    cancel_reservation(reservation=reservation, actor=user)

    response = manager_client.put(
        f"{SCREENS}{showtime.screen_id}/",
        screen_payload(showtime.screen.theater, layout=[{"row": "A", "seats": 4}]),
    )

    error_of(response, status.HTTP_409_CONFLICT, "screen_has_reservations")


def test_same_layout_with_bookings_is_not_a_change(manager_client, user):
    showtime = ShowtimeFactory()
    create_reservation(user=user, showtime=showtime, labels=["A1"])
    screen = showtime.screen

    response = manager_client.put(
        f"{SCREENS}{screen.pk}/",
        {"theater": screen.theater_id, "name": "Kept", "layout": screen.layout},
    )

    assert response.status_code == status.HTTP_200_OK, response.content


def test_layout_adding_an_unpriced_category_to_priced_showtimes_is_409(
    manager_client,
):
    showtime = ShowtimeFactory(prices={"standard": "9.00", "premium": "12.00"})

    response = manager_client.patch(
        f"{SCREENS}{showtime.screen_id}/",
        {"layout": [{"row": "A", "seats": 4, "category": "recliner"}]},
    )

    err = error_of(response, status.HTTP_409_CONFLICT, "showtime_prices_missing")
    assert err["details"] == {"categories": ["recliner"], "showtimes": [showtime.pk]}
    assert showtime.screen.seats.count() == 28


def test_delete_screen_without_reservations_is_204(manager_client):
    screen = ScreenFactory()
    ShowtimeFactory(screen=screen)

    response = manager_client.delete(f"{SCREENS}{screen.pk}/")

    assert response.status_code == status.HTTP_204_NO_CONTENT
    assert not Screen.objects.exists()
    assert not Seat.objects.exists()


def test_delete_screen_with_reservations_is_409(manager_client, user):
    showtime = ShowtimeFactory()
    create_reservation(user=user, showtime=showtime, labels=["B3"])

    response = manager_client.delete(f"{SCREENS}{showtime.screen_id}/")

    error_of(response, status.HTTP_409_CONFLICT, "protected")
    assert Screen.objects.filter(pk=showtime.screen_id).exists()


def test_customer_cannot_change_or_delete_screen(auth_client):
    screen = ScreenFactory(name="Keep")

    error_of(
        auth_client.patch(f"{SCREENS}{screen.pk}/", {"name": "X"}),
        status.HTTP_403_FORBIDDEN,
        "permission_denied",
    )
    error_of(
        auth_client.delete(f"{SCREENS}{screen.pk}/"),
        status.HTTP_403_FORBIDDEN,
        "permission_denied",
    )
    screen.refresh_from_db()
    assert screen.name == "Keep"


# --- query counts -------------------------------------------------------------------


def _queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, {"page_size": 30}).status_code == status.HTTP_200_OK
    return len(captured)


def test_theater_list_query_count_is_constant(api_client, django_assert_num_queries):
    ScreenFactory()
    one = _queries_for(api_client, THEATERS)
    for _ in range(29):
        theater = TheaterFactory()
        ScreenFactory.create_batch(2, theater=theater)

    with django_assert_num_queries(one):
        response = api_client.get(THEATERS, {"page_size": 30})
    assert response.json()["count"] == 30


def test_screen_list_query_count_is_constant(api_client, django_assert_num_queries):
    ScreenFactory()
    one = _queries_for(api_client, SCREENS)
    ScreenFactory.create_batch(29)

    with django_assert_num_queries(one):
        response = api_client.get(SCREENS, {"page_size": 30})
    assert response.json()["count"] == 30


@pytest.mark.parametrize(
    "layout",
    [
        pytest.param([{"row": "A"}], id="seats-missing"),
        pytest.param([{"seats": 4}], id="row-missing"),
        pytest.param([{"row": "A", "seats": 4, "category": "gold"}], id="category"),
    ],
)
def test_patching_a_bad_layout_is_400_too(manager_client, layout):
    screen = ScreenFactory()

    response = manager_client.patch(f"{SCREENS}{screen.pk}/", {"layout": layout})

    assert list(error_of(response, status.HTTP_400_BAD_REQUEST)["fields"]) == ["layout"]
    assert screen.seats.count() == 28


def test_screen_filter_by_unknown_theater_is_empty_and_bad_id_is_400(api_client):
    ScreenFactory()

    response = api_client.get(SCREENS, {"theater": 424242})
    assert response.status_code == status.HTTP_200_OK
    assert response.json()["results"] == []
    for bad in ("abc", "1.5", "99999999999999999999999"):
        err = error_of(
            api_client.get(SCREENS, {"theater": bad}), status.HTTP_400_BAD_REQUEST
        )
        assert list(err["fields"]) == ["theater"]

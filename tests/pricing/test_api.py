"""Ticket types, price cards and vouchers over HTTP: shapes, validation, who may."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework import status

from pricing.models import PriceCard, TicketType, Voucher
from tests.assertions import error_of
from tests.factories import MovieFactory, TheaterFactory

pytestmark = pytest.mark.django_db

TYPES = "/api/ticket-types/"
CARDS = "/api/price-cards/"
VOUCHERS = "/api/vouchers/"
TABLE = {"standard": {"adult": "10.00", "child": "7.50"}}
WEEKDAYS = [{"weekdays": [0, 1, 2, 3, 4], "from": "06:00", "until": "17:00"}]


# --- ticket types --------------------------------------------------------------------


def test_the_four_standard_ticket_types_are_seeded(api_client):
    response = api_client.get(TYPES)

    assert response.status_code == status.HTTP_200_OK
    assert [
        {k: v for k, v in row.items() if k != "id"}
        for row in response.json()["results"]
    ] == [
        {"code": "adult", "name": "Adult", "min_age": 0, "max_age": None, "requires_id": False},
        {"code": "child", "name": "Child", "min_age": 0, "max_age": 11, "requires_id": False},
        {"code": "senior", "name": "Senior", "min_age": 65, "max_age": None, "requires_id": True},
        {"code": "student", "name": "Student", "min_age": 0, "max_age": None, "requires_id": True},
    ]  # fmt: skip


def test_manager_adds_a_ticket_type_customer_may_not(manager_client, auth_client):
    body = {"code": "family", "name": "Family", "min_age": 0, "max_age": 17}

    assert auth_client.post(TYPES, body).status_code == status.HTTP_403_FORBIDDEN
    response = manager_client.post(TYPES, body)

    assert response.status_code == status.HTTP_201_CREATED, response.content
    assert TicketType.objects.get(code="family").max_age == 17


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "adult", "name": "Again"}, "code"),
        ({"code": "not a slug", "name": "X"}, "code"),
        ({"code": "teen", "name": "Teen", "min_age": 13, "max_age": 12}, "max_age"),
        ({"code": "teen", "name": "Teen", "min_age": -1}, "min_age"),
    ],
)
def test_bad_ticket_type_is_400(manager_client, body, field):
    err = error_of(manager_client.post(TYPES, body), status.HTTP_400_BAD_REQUEST)
    assert field in err["fields"]


def test_ticket_type_list_query_count_is_constant(
    api_client, django_assert_max_num_queries
):
    api_client.get(TYPES)  # warm-up
    with django_assert_max_num_queries(2):
        assert api_client.get(TYPES).json()["count"] == 4
    TicketType.objects.bulk_create(
        TicketType(code=f"t{n}", name=f"T{n}") for n in range(5)
    )
    with django_assert_max_num_queries(2):
        assert api_client.get(TYPES).json()["count"] == 9


# --- price cards ---------------------------------------------------------------------


def test_manager_creates_a_price_card(manager_client):
    theater = TheaterFactory()
    response = manager_client.post(
        CARDS,
        {
            "name": "Weekday matinee",
            "theater": theater.pk,
            "prices": {"standard": {"adult": "8", "child": 6}, "premium": "12.5"},
            "rules": [{"weekdays": [4, 0, 1], "from": "06:00", "until": "17:00"}],
            "priority": 10,
        },
    )

    assert response.status_code == status.HTTP_201_CREATED, response.content
    body = response.json()
    assert body["prices"] == {
        "standard": {"adult": "8.00", "child": "6.00"},
        "premium": {"adult": "12.50"},
    }
    assert body["rules"] == [{"weekdays": [0, 1, 4], "from": "06:00", "until": "17:00"}]
    assert body["theater"] == theater.pk
    assert body["priority"] == 10


def test_a_card_for_every_theater_has_a_null_theater(manager_client):
    response = manager_client.post(
        CARDS, {"name": "All", "prices": TABLE, "rules": [{"weekdays": [5, 6]}]}
    )

    assert response.status_code == status.HTTP_201_CREATED, response.content
    assert response.json()["theater"] is None
    assert response.json()["rules"] == [
        {"weekdays": [5, 6], "from": "00:00", "until": "24:00"}
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"prices": {"standard": {"adult": "8", "toddler": "1"}}}, "prices"),
        ({"prices": {"standard": {"child": "8"}}}, "prices"),
        ({"prices": {"imax": "8"}}, "prices"),
        ({"prices": {"standard": "-1"}}, "prices"),
        ({"rules": []}, "rules"),
        ({"rules": [{"weekdays": [7]}]}, "rules"),
        ({"rules": [{"weekdays": []}]}, "rules"),
        ({"rules": [{"weekdays": [1, 1]}]}, "rules"),
        ({"rules": [{"weekdays": [1], "from": "17:00", "until": "06:00"}]}, "rules"),
        ({"rules": [{"weekdays": [1], "from": "25:00"}]}, "rules"),
        ({"rules": [{"weekdays": [1], "from": "6am"}]}, "rules"),
        ({"rules": [{"weekdays": [1], "from": "24:00"}]}, "rules"),
        ({"theater": 999999}, "theater"),
    ],
)
def test_bad_price_card_is_400(manager_client, change, field):
    body = {"name": "Card", "prices": TABLE, "rules": WEEKDAYS, **change}

    err = error_of(manager_client.post(CARDS, body), status.HTTP_400_BAD_REQUEST)

    assert list(err["fields"]) == [field]
    assert not PriceCard.objects.exists()


def test_unknown_ticket_type_in_a_card_names_it(manager_client):
    body = {
        "name": "Card",
        "prices": {"standard": {"adult": "8", "toddler": "1"}},
        "rules": WEEKDAYS,
    }

    err = error_of(manager_client.post(CARDS, body), status.HTTP_400_BAD_REQUEST)

    assert err["fields"] == {
        "prices": [
            "standard.toddler: Unknown ticket type; use one of adult, child, senior,"
            " student."
        ]
    }


@pytest.mark.parametrize(
    ("client", "expected"),
    [
        ("api_client", status.HTTP_401_UNAUTHORIZED),
        ("auth_client", status.HTTP_403_FORBIDDEN),
        ("box_office_client", status.HTTP_403_FORBIDDEN),
        ("manager_client", status.HTTP_200_OK),
        ("staff_client", status.HTTP_200_OK),
    ],
)
@pytest.mark.parametrize("url", [CARDS, VOUCHERS])
def test_pricing_policy_is_read_by_managers_and_staff_only(
    request, client, expected, url
):
    assert request.getfixturevalue(client).get(url).status_code == expected


def test_price_card_list_query_count_is_constant(
    manager_client, django_assert_max_num_queries
):
    def make(n):
        PriceCard.objects.bulk_create(
            PriceCard(
                name=f"C{i}", prices=TABLE, rules=WEEKDAYS, theater=TheaterFactory()
            )
            for i in range(n)
        )

    make(1)
    manager_client.get(CARDS)
    with django_assert_max_num_queries(5) as one:
        manager_client.get(CARDS)
    make(4)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert manager_client.get(CARDS).json()["count"] == 5


# --- vouchers ------------------------------------------------------------------------


def voucher_body(**change):
    return {"code": "SPRING10", "kind": "percent", "value": "10", **change}


def test_manager_creates_a_voucher(manager_client):
    movie, theater = MovieFactory(), TheaterFactory()
    until = timezone.now() + timedelta(days=30)

    response = manager_client.post(
        VOUCHERS,
        voucher_body(
            kind="amount",
            value=2.5,
            max_uses=100,
            per_user_limit=2,
            valid_until=until.isoformat(),
            movies=[movie.pk],
            theaters=[theater.pk],
            ticket_types=["adult", "student"],
            uses=99,  # read-only: ignored
        ),
    )

    assert response.status_code == status.HTTP_201_CREATED, response.content
    body = response.json()
    assert {k: body[k] for k in ("code", "kind", "value", "max_uses", "uses")} == {
        "code": "SPRING10",
        "kind": "amount",
        "value": "2.50",
        "max_uses": 100,
        "uses": 0,
    }
    assert body["movies"] == [movie.pk]
    assert body["theaters"] == [theater.pk]
    assert sorted(body["ticket_types"]) == ["adult", "student"]
    assert body["per_user_limit"] == 2
    assert body["is_comp"] is False


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"value": "0"}, "value"),
        ({"value": "101"}, "value"),
        ({"value": "10.001"}, "value"),
        ({"kind": "amount", "value": "-1"}, "value"),
        ({"kind": "fixed_price", "value": "1e1"}, "value"),
        ({"kind": "fixed_price", "value": None}, "value"),
        ({"kind": "gift"}, "kind"),
        ({"code": "x"}, "code"),
        ({"code": "has space"}, "code"),
        ({"max_uses": 0}, "max_uses"),
        ({"per_user_limit": 0}, "per_user_limit"),
        ({"ticket_types": ["toddler"]}, "ticket_types"),
        (
            {
                "valid_from": "2030-01-02T00:00:00Z",
                "valid_until": "2030-01-01T00:00:00Z",
            },
            "valid_until",
        ),
    ],
)
def test_bad_voucher_is_400(manager_client, change, field):
    err = error_of(
        manager_client.post(VOUCHERS, voucher_body(**change)),
        status.HTTP_400_BAD_REQUEST,
    )
    assert list(err["fields"]) == [field]


def test_voucher_codes_are_unique_in_any_case(manager_client):
    assert manager_client.post(VOUCHERS, voucher_body()).status_code == 201

    err = error_of(
        manager_client.post(VOUCHERS, voucher_body(code="spring10")),
        status.HTTP_400_BAD_REQUEST,
    )

    assert err["fields"] == {"code": ["A voucher with this code exists."]}


def test_max_uses_cannot_drop_below_uses(manager_client):
    voucher = Voucher.objects.create(code="V1", kind="percent", value=10, max_uses=9)
    Voucher.objects.filter(pk=voucher.pk).update(uses=3)

    err = error_of(
        manager_client.patch(f"{VOUCHERS}{voucher.pk}/", {"max_uses": 2}),
        status.HTTP_400_BAD_REQUEST,
    )

    assert err["fields"] == {"max_uses": ["Already used 3 times."]}


def test_voucher_list_query_count_is_constant(
    manager_client, django_assert_max_num_queries
):
    def make(n):
        for i in range(n):
            voucher = Voucher.objects.create(
                code=f"C{Voucher.objects.count()}-{i}", kind="percent", value=10
            )
            voucher.movies.add(MovieFactory())
            voucher.theaters.add(TheaterFactory())
            voucher.ticket_types.add(TicketType.objects.get(code="child"))

    make(1)
    manager_client.get(VOUCHERS)
    with django_assert_max_num_queries(10) as one:
        manager_client.get(VOUCHERS)
    make(4)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert manager_client.get(VOUCHERS).json()["count"] == 5


def test_patching_a_card_revalidates_whole_rules(manager_client):
    """Found by fuzzing: a PATCHed rule without "from" was a 500 (DRF applies no
    defaults in partial updates)."""
    card = PriceCard.objects.create(name="C", prices=TABLE, rules=WEEKDAYS)
    url = f"{CARDS}{card.pk}/"

    ok = manager_client.patch(url, {"rules": [{"weekdays": [6]}]})
    bad = manager_client.patch(url, {"rules": [{"from": "10:00"}]})

    assert ok.status_code == status.HTTP_200_OK, ok.content
    assert ok.json()["rules"] == [{"weekdays": [6], "from": "00:00", "until": "24:00"}]
    err = error_of(bad, status.HTTP_400_BAD_REQUEST)
    assert err["fields"] == {"rules": ["[0].weekdays: This field is required."]}


@pytest.mark.parametrize("field", ["max_uses", "per_user_limit"])
def test_voucher_counts_are_bounded(manager_client, field):
    """Found by fuzzing: a count past the database's integer range was a 500."""
    err = error_of(
        manager_client.post(VOUCHERS, voucher_body(**{field: 10**30})),
        status.HTTP_400_BAD_REQUEST,
    )
    assert list(err["fields"]) == [field]

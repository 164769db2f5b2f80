"""GET /api/reports/sales/: figures against the hand-built scenario (see conftest),
CSV, permissions, bad input and the query count."""

import csv
import io
from datetime import timedelta

import pytest
from django.db.models import Sum
from rest_framework import status

from reservations import services
from tests.factories import ReservationFactory, ShowtimeFactory, UserFactory
from tests.reports.conftest import PRICE_TABLE

pytestmark = pytest.mark.django_db

URL = "/api/reports/sales/"


def _row(key, label, currency, **figures):
    base = {
        "key": key,
        "label": label,
        "currency": currency,
        "showtimes": 0,
        "capacity": 0,
        "tickets_sold": 0,
        "tickets_refunded": 0,
        "admissions": 0,
        "occupancy": None,
        "gross": "0.00",
        "discounts": "0.00",
        "refunds": "0.00",
        "net": "0.00",
        "average_ticket_price": None,
    }
    return {**base, **figures}


def _range(scenario, **params):
    return {
        "from": scenario.day.isoformat(),
        "to": (scenario.day + timedelta(days=1)).isoformat(),
        **params,
    }


# The figures of the module docstring of tests/reports/conftest.py.
S1 = {
    "tickets_sold": 7,
    "tickets_refunded": 1,
    "admissions": 6,
    "gross": "77.00",
    "discounts": "4.00",
    "refunds": "15.50",
    "net": "57.50",
}
S3 = {"tickets_sold": 2, "admissions": 2, "gross": "20.00", "net": "20.00"}
S2 = {
    "tickets_sold": 3,
    "tickets_refunded": 1,
    "admissions": 2,
    "gross": "30.00",
    "refunds": "10.00",
    "net": "20.00",
}


def test_report_by_day_counts_the_show_after_midnight_on_the_day_before(
    manager_client, scenario
):
    response = manager_client.get(URL, _range(scenario))

    assert response.status_code == status.HTTP_200_OK, response.content
    day, next_day = scenario.day.isoformat(), (scenario.day + timedelta(1)).isoformat()
    assert response.json() == {
        "from": day,
        "to": next_day,
        "group_by": "day",
        "theater": None,
        "movie": None,
        "results": [
            _row(
                day,
                day,
                "EUR",
                showtimes=1,
                capacity=28,
                occupancy=0.2143,
                average_ticket_price="10.43",
                **S1,
            ),
            _row(
                day,
                day,
                "USD",
                showtimes=2,
                capacity=56,
                tickets_sold=5,
                tickets_refunded=1,
                admissions=4,
                occupancy=0.0714,
                gross="50.00",
                refunds="10.00",
                net="40.00",
                average_ticket_price="10.00",
            ),
            _row(next_day, next_day, "EUR", showtimes=1, capacity=28, occupancy=0.0),
        ],
    }


def test_refunds_equal_the_cancelled_purchases_refund_amounts(manager_client, scenario):
    rows = manager_client.get(URL, _range(scenario, group_by="theater")).json()
    refunds = {row["currency"]: row["refunds"] for row in rows["results"]}
    for reservation in scenario.cancelled:
        reservation.refresh_from_db()
    paid_back = {
        r.showtime.screen.theater.currency: str(r.refund_amount)
        for r in scenario.cancelled
    }
    assert refunds == paid_back == {"EUR": "15.50", "USD": "10.00"}
    total = sum(r.refund_amount for r in scenario.cancelled)
    assert total == type(total)("25.50")


def test_report_by_showtime_in_start_order(manager_client, scenario):
    response = manager_client.get(URL, _range(scenario, group_by="showtime"))

    assert response.status_code == status.HTTP_200_OK, response.content
    d1 = (scenario.day + timedelta(1)).isoformat()
    s1, s2, s3, s4 = scenario.s1, scenario.s2, scenario.s3, scenario.s4
    assert response.json()["results"] == [
        _row(
            str(s1.pk),
            f"Alpha · Kino Paris / {s1.screen.name} · {scenario.day} 20:00",
            "EUR",
            showtimes=1,
            capacity=28,
            occupancy=0.2143,
            average_ticket_price="10.43",
            **S1,
        ),
        _row(
            str(s3.pk),
            f"Alpha · Cinema NY / {s3.screen.name} · {scenario.day} 19:00",
            "USD",
            showtimes=1,
            capacity=28,
            occupancy=0.0714,
            average_ticket_price="10.00",
            **S3,
        ),
        _row(
            str(s2.pk),
            f"Beta · Cinema NY / {s2.screen.name} · {d1} 00:30",
            "USD",
            showtimes=1,
            capacity=28,
            occupancy=0.0714,
            average_ticket_price="10.00",
            **S2,
        ),
        _row(
            str(s4.pk),
            f"Beta · Kino Paris / {s4.screen.name} · {d1} 18:00",
            "EUR",
            showtimes=1,
            capacity=28,
            occupancy=0.0,
        ),
    ]


def test_report_by_movie_keeps_currencies_apart(manager_client, scenario):
    response = manager_client.get(URL, _range(scenario, group_by="movie"))

    alpha, beta = scenario.s1.movie_id, scenario.s2.movie_id
    assert [
        (row["key"], row["label"], row["currency"], row["gross"], row["capacity"])
        for row in response.json()["results"]
    ] == [
        (str(alpha), "Alpha", "EUR", "77.00", 28),
        (str(alpha), "Alpha", "USD", "20.00", 28),
        (str(beta), "Beta", "EUR", "0.00", 28),
        (str(beta), "Beta", "USD", "30.00", 28),
    ]


def test_report_by_ticket_type_shares_the_currencys_capacity(manager_client, scenario):
    response = manager_client.get(URL, _range(scenario, group_by="ticket_type"))

    assert response.json()["results"] == [
        _row(
            "adult",
            "Adult",
            "EUR",
            showtimes=2,
            capacity=56,
            tickets_sold=6,
            tickets_refunded=1,
            admissions=5,
            occupancy=0.0893,
            gross="71.00",
            discounts="4.00",
            refunds="15.50",
            net="51.50",
            average_ticket_price="11.17",
        ),
        _row(
            "adult",
            "Adult",
            "USD",
            showtimes=2,
            capacity=56,
            tickets_sold=5,
            tickets_refunded=1,
            admissions=4,
            occupancy=0.0714,
            gross="50.00",
            refunds="10.00",
            net="40.00",
            average_ticket_price="10.00",
        ),
        _row(
            "child",
            "Child",
            "EUR",
            showtimes=2,
            capacity=56,
            tickets_sold=1,
            admissions=1,
            occupancy=0.0179,
            gross="6.00",
            net="6.00",
            average_ticket_price="6.00",
        ),
    ]


def test_report_filters_by_theater_and_movie(manager_client, scenario):
    by_theater = manager_client.get(
        URL, _range(scenario, group_by="showtime", theater=scenario.usd.pk)
    ).json()
    by_movie = manager_client.get(
        URL, _range(scenario, group_by="showtime", movie=scenario.s2.movie_id)
    ).json()

    assert [r["key"] for r in by_theater["results"]] == [
        str(scenario.s3.pk),
        str(scenario.s2.pk),
    ]
    assert by_theater["theater"] == scenario.usd.pk
    assert [r["key"] for r in by_movie["results"]] == [
        str(scenario.s2.pk),
        str(scenario.s4.pk),
    ]


def test_report_range_leaves_out_other_business_days(manager_client, scenario):
    day = scenario.day.isoformat()
    response = manager_client.get(URL, {"from": day, "to": day})

    assert [(r["key"], r["currency"]) for r in response.json()["results"]] == [
        (day, "EUR"),
        (day, "USD"),
    ]


# --- CSV ------------------------------------------------------------------------------


def _parse_csv(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def _as_csv_cells(row: dict) -> dict:
    return {k: "" if v is None else str(v) for k, v in row.items()}


@pytest.mark.parametrize("group_by", ["day", "showtime", "ticket_type"])
def test_csv_by_format_parameter_matches_the_json(manager_client, scenario, group_by):
    params = _range(scenario, group_by=group_by)
    rows = manager_client.get(URL, params).json()["results"]

    response = manager_client.get(URL, {**params, "format": "csv"})

    assert response.status_code == status.HTTP_200_OK
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="sales-{params["from"]}-{params["to"]}-{group_by}.csv"'
    )
    assert _parse_csv(response) == [_as_csv_cells(row) for row in rows]


def test_csv_by_accept_header_has_the_header_line(manager_client, scenario):
    response = manager_client.get(URL, _range(scenario), HTTP_ACCEPT="text/csv")

    assert response.status_code == status.HTTP_200_OK
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines()[0] == (
        "key,label,currency,showtimes,capacity,tickets_sold,tickets_refunded,"
        "admissions,occupancy,gross,discounts,refunds,net,average_ticket_price"
    )
    assert len(body.splitlines()) == 4


def test_csv_errors_keep_the_json_envelope(manager_client, api_client, scenario):
    bad = manager_client.get(URL, {"from": "2025-13-01", "to": "x", "format": "csv"})
    anonymous = api_client.get(URL, _range(scenario), HTTP_ACCEPT="text/csv")

    assert bad.status_code == status.HTTP_400_BAD_REQUEST
    assert bad["Content-Type"] == "application/json"
    assert set(bad.json()["error"]["fields"]) == {"from", "to"}
    assert anonymous.status_code == status.HTTP_401_UNAUTHORIZED
    assert anonymous.json()["error"]["code"] == "not_authenticated"


def test_csv_quotes_a_label_a_spreadsheet_would_run(manager_client, db):
    show = ShowtimeFactory(movie__title="=HYPERLINK(1)")
    day = show.business_date.isoformat()

    response = manager_client.get(
        URL, {"from": day, "to": day, "group_by": "movie", "format": "csv"}
    )

    assert _parse_csv(response)[0]["label"] == "'=HYPERLINK(1)"


# --- who may read it ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client_name", "expected"),
    [
        ("api_client", status.HTTP_401_UNAUTHORIZED),
        ("auth_client", status.HTTP_403_FORBIDDEN),
        ("box_office_client", status.HTTP_403_FORBIDDEN),
        ("manager_client", status.HTTP_200_OK),
        ("staff_client", status.HTTP_200_OK),
    ],
)
def test_only_managers_and_staff_read_reports(request, client_name, expected):
    client = request.getfixturevalue(client_name)

    response = client.get(URL, {"from": "2030-01-01", "to": "2030-01-31"})

    assert response.status_code == expected


# --- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"to": "2030-01-01"}, "from", "This field is required."),
        ({"from": "2030-01-01"}, "to", "This field is required."),
        ({"from": "2030-02-30", "to": "2030-03-01"}, "from", None),
        ({"from": "2030-01-02", "to": "2030-01-01"}, "to", "Must not be before from."),
        (
            {"from": "2030-01-01", "to": "2031-01-02"},
            "to",
            "A report covers at most 366 days.",
        ),
        (
            {"from": "2030-01-01", "to": "2030-01-01", "group_by": "week"},
            "group_by",
            '"week" is not a valid choice.',
        ),
        (
            {"from": "2030-01-01", "to": "2030-01-01", "theater": "999999"},
            "theater",
            None,
        ),
        ({"from": "2030-01-01", "to": "2030-01-01", "movie": "abc"}, "movie", None),
    ],
)
def test_bad_query_is_a_400_naming_the_field(manager_client, params, field, message):
    response = manager_client.get(URL, params)

    assert response.status_code == status.HTTP_400_BAD_REQUEST, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]
    if message:
        assert error["fields"][field] == [message]


def test_a_leap_year_fits_in_the_longest_range(manager_client):
    response = manager_client.get(URL, {"from": "2028-01-01", "to": "2028-12-31"})

    assert response.status_code == status.HTTP_200_OK


def test_unknown_format_is_a_400_naming_the_parameter(manager_client):
    response = manager_client.get(
        URL, {"from": "2030-01-01", "to": "2030-01-01", "format": "xml"}
    )

    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["fields"] == {"format": ["Use one of: json, csv."]}


# --- query count ----------------------------------------------------------------------


# Two aggregates (showtimes, sold seats); ticket types also read their names.
@pytest.mark.parametrize(
    ("group_by", "queries"),
    [("day", 2), ("showtime", 2), ("movie", 2), ("theater", 2), ("ticket_type", 3)],
)
def test_query_count_does_not_grow_with_rows(
    manager_client, django_assert_num_queries, group_by, queries
):
    first = ShowtimeFactory()
    ReservationFactory(showtime=first, seats=["A1", "A2"], purchased=True)
    day = first.business_date
    params = {
        "from": day.isoformat(),
        "to": (day + timedelta(days=9)).isoformat(),
        "group_by": group_by,
    }
    manager_client.get(URL, params)  # the role check reads (and caches) permissions
    with django_assert_num_queries(queries):
        one = manager_client.get(URL, params).json()["results"]

    for n in range(1, 6):  # other days, movies, theaters; two ticket types
        show = ShowtimeFactory(
            starts_at=first.starts_at + timedelta(days=n, hours=1),
            price_table=PRICE_TABLE,
        )
        ReservationFactory(showtime=show, seats=["A1", "B1"], purchased=True)
        held = services.create_reservation(
            user=UserFactory(),
            showtime=show,
            labels=["C1"],
            ticket_types={"C1": "child"},
        )
        services.purchase_reservation(reservation=held)
    with django_assert_num_queries(queries):
        many = manager_client.get(URL, params).json()["results"]
    assert len(one) == 1
    assert len(many) == (2 if group_by == "ticket_type" else 6)


def test_sales_seats_sum_matches_what_was_paid(scenario):
    """The premise of 'refunds': a purchase charges its seats' prices less discounts."""
    from reservations.models import Reservation

    for reservation in Reservation.objects.filter(confirmed_at__isnull=False):
        seats = reservation.reserved_seats.aggregate(p=Sum("price"), d=Sum("discount"))
        assert reservation.amount_paid == seats["p"] - seats["d"]

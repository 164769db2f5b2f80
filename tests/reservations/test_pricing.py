"""Holds with ticket types and vouchers, comps, and the money they add up to."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework import status

from pricing.models import TicketType, Voucher
from reservations import services
from reservations.models import Reservation, ReservationAction, ReservationStatus
from showtimes.services import update_showtime
from tests.assertions import error_of
from tests.factories import (
    MovieFactory,
    ReservationFactory,
    ShowtimeFactory,
    TheaterFactory,
    UserFactory,
)

from .helpers import client_for
from .test_money import assert_money_agrees

pytestmark = pytest.mark.django_db

URL = "/api/reservations/"
TABLE = {
    "standard": {"adult": "10.00", "child": "7.50", "senior": "6.00"},
    "premium": {"adult": "15.50", "child": "12.00"},
}


@pytest.fixture
def priced(db):
    """A PG-13 showtime (min_age 0) pricing adults, children and seniors."""
    return ShowtimeFactory(
        price_table=TABLE, prices={"standard": "10.00", "premium": "15.50"}
    )


def hold(client, showtime, **body):
    return client.post(URL, {"showtime": showtime.pk, **body})


def voucher(code="SAVE", kind="percent", value="10", **fields) -> Voucher:
    return Voucher.objects.create(code=code, kind=kind, value=Decimal(value), **fields)


def lines(body) -> list[tuple]:
    return [
        (s["label"], s["ticket_type"], s["price"], s["discount"])
        for s in body["seat_details"]
    ]


# --- tickets --------------------------------------------------------------------------


def test_hold_with_tickets_prices_each_seat_by_type(auth_client, priced):
    response = hold(
        auth_client,
        priced,
        tickets=[
            {"seat": "a1", "ticket_type": "adult"},
            {"seat": "A2", "ticket_type": "child"},
            {"seat": "C1", "ticket_type": "child"},
        ],
    )

    assert response.status_code == status.HTTP_201_CREATED, response.content
    body = response.json()
    assert body["seats"] == ["A1", "A2", "C1"]
    assert body["seat_details"][1] == {
        "label": "A2",
        "category": "standard",
        "ticket_type": "child",
        "price": "7.50",
        "discount": "0.00",
        "amount": "7.50",
        "is_active": True,
    }
    assert lines(body) == [
        ("A1", "adult", "10.00", "0.00"),
        ("A2", "child", "7.50", "0.00"),
        ("C1", "child", "12.00", "0.00"),
    ]
    assert (body["total"], body["total_price"]) == ("29.50", "29.50")
    assert (body["discount_total"], body["currency"]) == ("0.00", "USD")


def test_prices_are_fixed_when_the_hold_is_made(auth_client, priced):
    reservation_id = hold(
        auth_client, priced, tickets=[{"seat": "A1", "ticket_type": "child"}]
    ).json()["id"]
    update_showtime(
        showtime=priced,
        price_table={
            "standard": {"adult": "20.00", "child": "19.00"},
            "premium": {"adult": "30.00"},
        },
    )

    body = auth_client.get(f"{URL}{reservation_id}/").json()

    assert lines(body) == [("A1", "child", "7.50", "0.00")]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"seats": ["A1"], "tickets": [{"seat": "A2", "ticket_type": "adult"}]},
        {"tickets": []},
        {"tickets": [{"seat": "A1"}]},
        {"tickets": [{"seat": "A1", "ticket_type": "adult"}] * 2},
    ],
)
def test_seats_or_tickets_exactly_one(auth_client, priced, body):
    err = error_of(hold(auth_client, priced, **body), status.HTTP_400_BAD_REQUEST)
    assert set(err["fields"]) & {"seats", "tickets"}
    assert not Reservation.objects.exists()


def test_ticket_type_without_a_price_is_unavailable(auth_client, priced):
    response = hold(
        auth_client, priced, tickets=[{"seat": "C1", "ticket_type": "senior"}]
    )

    err = error_of(response, status.HTTP_400_BAD_REQUEST, "ticket_type_unavailable")
    assert err["details"] == {
        "seat": "C1",
        "category": "premium",
        "ticket_type": "senior",
    }
    assert not Reservation.objects.exists()


def test_unknown_ticket_type_is_unavailable(auth_client, priced):
    response = hold(
        auth_client, priced, tickets=[{"seat": "A1", "ticket_type": "toddler"}]
    )

    err = error_of(response, status.HTTP_400_BAD_REQUEST, "ticket_type_unavailable")
    assert err["details"] == {"ticket_types": ["toddler"]}


def test_child_ticket_for_a_15_film_is_not_allowed(auth_client):
    showtime = ShowtimeFactory(
        movie=MovieFactory(certificate="15", rating_system="BBFC", min_age=15),
        price_table=TABLE,
    )

    response = hold(
        auth_client,
        showtime,
        tickets=[
            {"seat": "A1", "ticket_type": "adult"},
            {"seat": "A2", "ticket_type": "child"},
        ],
    )

    err = error_of(response, status.HTTP_400_BAD_REQUEST, "ticket_type_not_allowed")
    assert "rated 15" in err["message"]
    assert err["details"] == {
        "ticket_types": ["child"],
        "certificate": "15",
        "min_age": 15,
    }
    assert not Reservation.objects.exists()


def test_child_ticket_up_to_its_max_age_is_allowed(auth_client):
    showtime = ShowtimeFactory(
        movie=MovieFactory(certificate="PG", min_age=11), price_table=TABLE
    )

    response = hold(
        auth_client, showtime, tickets=[{"seat": "A1", "ticket_type": "child"}]
    )

    assert response.status_code == status.HTTP_201_CREATED, response.content


def test_put_changes_ticket_types_and_reprices_only_those(auth_client, priced):
    reservation_id = hold(auth_client, priced, seats=["A1", "A2"]).json()["id"]

    response = auth_client.put(
        f"{URL}{reservation_id}/",
        {
            "tickets": [
                {"seat": "A1", "ticket_type": "adult"},
                {"seat": "A2", "ticket_type": "senior"},
                {"seat": "A3", "ticket_type": "child"},
            ]
        },
    )

    assert response.status_code == status.HTTP_200_OK, response.content
    assert lines(response.json()) == [
        ("A1", "adult", "10.00", "0.00"),
        ("A2", "senior", "6.00", "0.00"),
        ("A3", "child", "7.50", "0.00"),
    ]
    assert response.json()["total"] == "23.50"
    event = Reservation.objects.get().events.get(action="seats_changed")
    assert event.details["tickets_after"][1] == {
        "seat": "A2",
        "ticket_type": "senior",
        "price": "6.00",
        "discount": "0.00",
    }


def test_ticket_type_change_between_charge_and_confirm_is_refunded(
    user, priced, gateway
):
    reservation = services.create_reservation(
        user=user, showtime=priced, labels=["A1", "A2"]
    )

    def change_meanwhile(charge):
        gateway.on_charge = None
        services.change_seats(
            reservation=reservation,
            labels=["A1", "A2"],
            ticket_types={"A2": "child"},
        )

    gateway.on_charge = change_meanwhile
    response = client_for(user).post(f"{URL}{reservation.pk}/purchase/")

    err = error_of(response, status.HTTP_409_CONFLICT, "reservation_changed")
    assert err["details"] == {"charged": "20.00", "total_price": "17.50"}
    assert gateway.refunds == [(gateway.charges[0].reference, Decimal("20.00"))]
    assert_money_agrees(gateway, reservation)


# --- vouchers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        # seat prices 10.00 (adult), 7.50 (child), 15.50 (premium adult)
        ("percent", "10", ["1.00", "0.75", "1.55"]),
        ("percent", "100", ["10.00", "7.50", "15.50"]),
        ("percent", "33", ["3.30", "2.48", "5.12"]),  # half up, to the cent
        ("amount", "2", ["2.00", "2.00", "2.00"]),  # off each ticket
        ("amount", "9", ["9.00", "7.50", "9.00"]),  # never below 0
        ("fixed_price", "8", ["2.00", "0.00", "7.50"]),  # never a surcharge
        ("fixed_price", "0", ["10.00", "7.50", "15.50"]),
    ],
)
def test_voucher_discount_per_seat(auth_client, priced, kind, value, expected):
    voucher("DEAL", kind, value)

    response = hold(
        auth_client,
        priced,
        tickets=[
            {"seat": "A1", "ticket_type": "adult"},
            {"seat": "A2", "ticket_type": "child"},
            {"seat": "C1", "ticket_type": "adult"},
        ],
        voucher="deal",
    )

    assert response.status_code == status.HTTP_201_CREATED, response.content
    body = response.json()
    assert [s["discount"] for s in body["seat_details"]] == expected
    discount = sum(Decimal(d) for d in expected)
    assert Decimal(body["discount_total"]) == discount
    assert Decimal(body["total"]) == Decimal("33.00") - discount
    assert body["voucher"] == "DEAL"
    assert Voucher.objects.get().uses == 1


def test_voucher_limited_to_ticket_types_discounts_only_those(auth_client, priced):
    child_only = voucher("KIDS", "amount", "5")
    child_only.ticket_types.add(TicketType.objects.get(code="child"))

    response = hold(
        auth_client,
        priced,
        tickets=[
            {"seat": "A1", "ticket_type": "adult"},
            {"seat": "A2", "ticket_type": "child"},
        ],
        voucher="KIDS",
    )

    assert lines(response.json()) == [
        ("A1", "adult", "10.00", "0.00"),
        ("A2", "child", "7.50", "5.00"),
    ]


def invalid_reason(response) -> str:
    return error_of(response, status.HTTP_400_BAD_REQUEST, "voucher_invalid")[
        "details"
    ]["reason"]


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"code": "OTHER"}, "unknown"),
        ({"valid_from": timezone.now() + timedelta(days=1)}, "not_yet_valid"),
        ({"valid_until": timezone.now() - timedelta(seconds=1)}, "expired"),
        ({"max_uses": 1, "uses": 1}, "exhausted"),
    ],
)
def test_unusable_voucher_is_voucher_invalid(auth_client, priced, fields, reason):
    voucher(**{"code": "SAVE", **fields})

    response = hold(auth_client, priced, seats=["A1"], voucher="save")

    assert invalid_reason(response) == reason
    assert not Reservation.objects.exists()
    assert not any(s.status_code == 201 for s in [response])


@pytest.mark.parametrize("scope", ["movies", "theaters", "ticket_types"])
def test_out_of_scope_voucher_is_voucher_invalid(auth_client, priced, scope):
    other = {
        "movies": MovieFactory,
        "theaters": TheaterFactory,
        "ticket_types": lambda: TicketType.objects.get(code="senior"),
    }[scope]()
    getattr(voucher(), scope).add(other)

    response = hold(auth_client, priced, seats=["A1"], voucher="SAVE")

    assert invalid_reason(response) == "out_of_scope"
    assert Voucher.objects.get().uses == 0


def test_in_scope_voucher_applies(auth_client, priced):
    scoped = voucher()
    scoped.movies.add(priced.movie)
    scoped.theaters.add(priced.screen.theater)

    response = hold(auth_client, priced, seats=["A1"], voucher="SAVE")

    assert response.status_code == status.HTTP_201_CREATED, response.content


def test_per_user_limit_counts_live_holds_and_purchases(user, priced, gateway):
    voucher(per_user_limit=2)
    client = client_for(user)
    first = hold(client, priced, seats=["A1"], voucher="SAVE").json()["id"]
    client.post(f"{URL}{first}/purchase/")
    hold(client, priced, seats=["A2"], voucher="SAVE")

    third = hold(client, priced, seats=["A3"], voucher="SAVE")

    assert invalid_reason(third) == "per_user_limit"
    # another customer is not limited by this one's uses
    other = hold(client_for(UserFactory()), priced, seats=["A4"], voucher="SAVE")
    assert other.status_code == status.HTTP_201_CREATED


def test_a_use_comes_back_when_the_hold_is_cancelled(auth_client, priced):
    voucher(max_uses=1)
    reservation_id = hold(auth_client, priced, seats=["A1"], voucher="SAVE").json()[
        "id"
    ]
    assert Voucher.objects.get().uses == 1

    auth_client.delete(f"{URL}{reservation_id}/")

    assert Voucher.objects.get().uses == 0
    assert hold(auth_client, priced, seats=["A1"], voucher="SAVE").status_code == 201


def test_a_use_comes_back_when_the_hold_lapses_lazily(user, priced, clock):
    voucher(max_uses=1)
    hold(client_for(user), priced, seats=["A1"], voucher="SAVE")
    clock.advance(seconds=601)

    response = hold(client_for(UserFactory()), priced, seats=["A2"], voucher="SAVE")

    assert response.status_code == status.HTTP_201_CREATED, response.content
    assert Voucher.objects.get().uses == 1


def test_a_use_comes_back_when_the_sweep_expires_the_hold(user, priced, clock):
    voucher(max_uses=1)
    hold(client_for(user), priced, seats=["A1"], voucher="SAVE")
    clock.advance(seconds=601)

    assert services.expire_holds() == 1

    assert Voucher.objects.get().uses == 0


def test_a_use_comes_back_when_the_showtime_is_cancelled(user, priced):
    voucher(max_uses=1)
    hold(client_for(user), priced, seats=["A1"], voucher="SAVE")

    update_showtime(showtime=priced, is_cancelled=True)

    assert Voucher.objects.get().uses == 0


def test_a_purchase_keeps_its_use_even_when_cancelled(user, priced, gateway):
    voucher(max_uses=1)
    client = client_for(user)
    reservation_id = hold(client, priced, seats=["A1"], voucher="SAVE").json()["id"]
    client.post(f"{URL}{reservation_id}/purchase/")

    client.delete(f"{URL}{reservation_id}/")

    assert Voucher.objects.get().uses == 1


def test_put_replaces_removes_or_keeps_the_voucher(auth_client, priced):
    voucher("TEN", value="10", max_uses=5)
    voucher("HALF", value="50", max_uses=5)
    reservation_id = hold(auth_client, priced, seats=["A1"], voucher="TEN").json()["id"]
    url = f"{URL}{reservation_id}/"

    kept = auth_client.put(url, {"seats": ["A1", "A2"]}).json()
    assert (kept["voucher"], kept["discount_total"]) == ("TEN", "2.00")

    switched = auth_client.put(url, {"seats": ["A1", "A2"], "voucher": "half"}).json()
    assert (switched["voucher"], switched["total"]) == ("HALF", "10.00")
    assert dict(Voucher.objects.values_list("code", "uses")) == {"TEN": 0, "HALF": 1}

    removed = auth_client.put(url, {"seats": ["A1", "A2"], "voucher": None}).json()
    assert (removed["voucher"], removed["total"]) == (None, "20.00")
    assert dict(Voucher.objects.values_list("code", "uses")) == {"TEN": 0, "HALF": 0}

    event = Reservation.objects.get().events.filter(action="seats_changed").last()
    assert (event.details["voucher_before"], event.details["voucher_after"]) == (
        "HALF",
        None,
    )


def test_put_with_an_invalid_voucher_keeps_the_hold_as_it_was(auth_client, priced):
    voucher("TEN", max_uses=5)
    reservation_id = hold(auth_client, priced, seats=["A1"], voucher="TEN").json()["id"]

    response = auth_client.put(
        f"{URL}{reservation_id}/", {"seats": ["A2"], "voucher": "NOPE"}
    )

    assert invalid_reason(response) == "unknown"
    body = auth_client.get(f"{URL}{reservation_id}/").json()
    assert (body["seats"], body["voucher"]) == (["A1"], "TEN")
    assert Voucher.objects.get().uses == 1


def test_voucher_change_between_charge_and_confirm_is_refunded(user, priced, gateway):
    voucher("TEN", max_uses=5)
    reservation = services.create_reservation(user=user, showtime=priced, labels=["A1"])

    def add_voucher_meanwhile(charge):
        gateway.on_charge = None
        services.change_seats(reservation=reservation, labels=["A1"], voucher="TEN")

    gateway.on_charge = add_voucher_meanwhile
    response = client_for(user).post(f"{URL}{reservation.pk}/purchase/")

    err = error_of(response, status.HTTP_409_CONFLICT, "reservation_changed")
    assert err["details"] == {"charged": "10.00", "total_price": "9.00"}
    assert gateway.refunds == [(gateway.charges[0].reference, Decimal("10.00"))]
    assert_money_agrees(gateway, reservation)


# --- money ----------------------------------------------------------------------------


def test_purchase_charges_the_discounted_total_and_refunds_it(
    user, priced, gateway, django_capture_on_commit_callbacks
):
    voucher("QUARTER", value="25")
    client = client_for(user)
    reservation_id = hold(
        client,
        priced,
        tickets=[
            {"seat": "A1", "ticket_type": "adult"},
            {"seat": "A2", "ticket_type": "child"},
        ],
        voucher="QUARTER",
    ).json()["id"]

    bought = client.post(f"{URL}{reservation_id}/purchase/").json()

    # 10.00 + 7.50 = 17.50, less 2.50 + 1.88
    assert (bought["total"], bought["discount_total"]) == ("13.12", "4.38")
    assert bought["amount_paid"] == "13.12"
    assert bought["currency"] == "USD"
    assert gateway.charges[0].amount == Decimal("13.12")
    with django_capture_on_commit_callbacks(execute=True):
        client.delete(f"{URL}{reservation_id}/")
    reservation = Reservation.objects.get()
    assert reservation.refund_amount == Decimal("13.12") == reservation.amount_paid
    assert gateway.refunds == [(reservation.payment_reference, Decimal("13.12"))]


def test_used_ticket_is_not_refunded_at_its_discounted_amount(
    staff, priced, gateway, django_capture_on_commit_callbacks
):
    from tickets.services import check_in_ticket

    voucher("HALF", value="50")
    update_showtime(showtime=priced, starts_at=timezone.now() + timedelta(minutes=90))
    reservation = services.create_reservation(
        user=UserFactory(), showtime=priced, labels=["A1", "A2"], voucher="HALF"
    )
    reservation = services.purchase_reservation(reservation=reservation)
    check_in_ticket(code=reservation.tickets.get(seat__label="A1").code)

    with django_capture_on_commit_callbacks(execute=True):
        cancelled = services.cancel_reservation(reservation=reservation, actor=staff)

    assert cancelled.amount_paid == Decimal("10.00")
    assert cancelled.refund_amount == Decimal("5.00")  # A2's 10.00 less 50%
    assert cancelled.refund_amount <= cancelled.amount_paid


def test_reservation_list_with_tickets_and_vouchers_has_constant_queries(
    user, priced, gateway, django_assert_num_queries, settings
):
    settings.RESERVATION_MAX_ACTIVE_HOLDS = 30
    voucher("TEN")
    client = client_for(user)

    def book(labels):
        showtime = ShowtimeFactory(price_table=TABLE)
        services.create_reservation(
            user=user,
            showtime=showtime,
            labels=labels,
            ticket_types={labels[-1]: "child"},
            voucher="TEN",
        )

    book(["A1"])
    client.get(URL)
    with CaptureQueriesContext(connection) as one_row:
        assert client.get(URL).json()["count"] == 1
    for _ in range(4):
        book(["A1", "A2", "C1"])
    with django_assert_num_queries(len(one_row)):
        assert client.get(URL).json()["count"] == 5


# --- comps ----------------------------------------------------------------------------


def test_box_office_comps_a_held_reservation(box_office_client, user, priced, gateway):
    voucher("TEN", max_uses=3)
    reservation = services.create_reservation(
        user=user, showtime=priced, labels=["A1", "C1"], voucher="TEN"
    )

    response = box_office_client.post(
        f"{URL}{reservation.pk}/comp/", {"reason": "Projector failed last week"}
    )

    assert response.status_code == status.HTTP_200_OK, response.content
    body = response.json()
    assert (body["total"], body["discount_total"]) == ("0.00", "25.50")
    assert body["voucher"] == f"COMP-{reservation.code}"
    assert Voucher.objects.get(code="TEN").uses == 0  # its use came back
    comp = Voucher.objects.get(is_comp=True)
    assert (comp.kind, comp.value, comp.uses, comp.max_uses) == ("percent", 100, 1, 1)
    event = reservation.events.get(action=ReservationAction.COMPED)
    assert (
        event.actor_username
        == UserFactory._meta.model.objects.get(groups__name="Box office").username
    )
    assert event.details == {
        "voucher": f"COMP-{reservation.code}",
        "voucher_before": "TEN",
        "reason": "Projector failed last week",
        "total_before": "22.95",
        "total_after": "0.00",
    }
    # the customer buys it for nothing
    bought = client_for(user).post(f"{URL}{reservation.pk}/purchase/").json()
    assert (bought["status"], bought["amount_paid"]) == ("confirmed", "0.00")
    # a comp code cannot be entered by anyone
    other = hold(client_for(UserFactory()), priced, seats=["A5"], voucher=comp.code)
    assert invalid_reason(other) == "unknown"


def test_comp_needs_a_held_reservation(box_office_client, user, gateway):
    reservation = ReservationFactory(user=user, purchased=True)

    response = box_office_client.post(f"{URL}{reservation.pk}/comp/")

    error_of(response, status.HTTP_409_CONFLICT, "reservation_not_held")
    assert reservation.events.filter(action="comped").count() == 0
    assert Reservation.objects.get().status == ReservationStatus.CONFIRMED


def test_customer_cannot_comp_their_own_hold(auth_client, user):
    reservation = ReservationFactory(user=user)

    response = auth_client.post(f"{URL}{reservation.pk}/comp/")

    error_of(response, status.HTTP_403_FORBIDDEN, "permission_denied")

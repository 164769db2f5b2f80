"""The reservation endpoints and the seat map: status codes, bodies, scoping."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import status

from reservations.models import Reservation, ReservationStatus, Ticket
from tests.factories import ReservationFactory, ShowtimeFactory, UserFactory

from .helpers import active_labels, seat_states

pytestmark = pytest.mark.django_db

URL = "/api/reservations/"


def detail_url(reservation) -> str:
    pk = reservation if isinstance(reservation, int) else reservation.pk
    return f"{URL}{pk}/"


def iso(value) -> str:
    return value.isoformat().replace("+00:00", "Z")


def error(code: str, response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields", "details"}, body
    assert body["error"]["code"] == code, body
    return body["error"]


# --- create -------------------------------------------------------------------------


def test_create_returns_201_with_the_hold(auth_client, user, showtime, clock):
    response = auth_client.post(URL, {"showtime": showtime.pk, "seats": ["A1", "C2"]})

    assert response.status_code == status.HTTP_201_CREATED, response.content
    body = response.json()
    reservation = Reservation.objects.get()
    assert reservation.user == user
    assert body == {
        "id": reservation.pk,
        "code": reservation.code,
        "showtime": showtime.pk,
        "showtime_detail": {
            "id": showtime.pk,
            "movie_title": showtime.movie.title,
            "theater": showtime.screen.theater.name,
            "theater_id": showtime.screen.theater_id,
            "screen": showtime.screen.name,
            "starts_at": iso(showtime.starts_at),
            "ends_at": iso(showtime.ends_at),
        },
        "seats": ["A1", "C2"],
        "seat_details": [
            {
                "label": "A1",
                "category": "standard",
                "ticket_type": "adult",
                "price": "10.00",
                "discount": "0.00",
                "amount": "10.00",
                "is_active": True,
            },
            {
                "label": "C2",
                "category": "premium",
                "ticket_type": "adult",
                "price": "15.50",
                "discount": "0.00",
                "amount": "15.50",
                "is_active": True,
            },
        ],
        "status": "held",
        "total_price": "25.50",
        "total": "25.50",
        "discount_total": "0.00",
        "voucher": None,
        "currency": "USD",
        "expires_at": iso(clock.now + timedelta(seconds=600)),
        "group_name": "",
        "created_at": iso(clock.now),
        "confirmed_at": None,
        "cancelled_at": None,
        "amount_paid": None,
        "refund_amount": None,
        "fee": "0.00",
        "tickets": [],
    }
    assert len(body["code"]) == 8


def test_create_lists_seats_in_seat_order(auth_client, showtime):
    response = auth_client.post(
        URL, {"showtime": showtime.pk, "seats": ["c1", "A10", "A2"]}
    )

    assert response.status_code == status.HTTP_201_CREATED
    assert response.json()["seats"] == ["A2", "A10", "C1"]


def test_create_conflict_is_409_listing_taken_seats(
    auth_client, other_user, showtime, gateway
):
    ReservationFactory(user=other_user, showtime=showtime, seats=["A2"])
    ReservationFactory(user=other_user, showtime=showtime, seats=["A4"], purchased=True)

    response = auth_client.post(
        URL, {"showtime": showtime.pk, "seats": ["A1", "A2", "A3", "A4"]}
    )

    assert response.status_code == status.HTTP_409_CONFLICT
    err = error("seats_unavailable", response)
    assert err["details"] == {"seats": ["A2", "A4"]}
    assert Reservation.objects.count() == 2
    assert active_labels(showtime) == ["A2", "A4"]


@pytest.mark.parametrize(
    ("seats", "field"),
    [
        pytest.param([], "seats", id="empty"),
        pytest.param(["A1", "A1"], "seats", id="duplicates"),
        pytest.param(["A1", "a1"], "seats", id="duplicates-any-case"),
        pytest.param("A1", "seats", id="string-not-list"),
        pytest.param({"A1": True}, "seats", id="object-not-list"),
        pytest.param(7, "seats", id="number-not-list"),
        pytest.param(None, "seats", id="null"),
        pytest.param([None], "seats", id="null-label"),
        pytest.param([""], "seats", id="blank-label"),
        pytest.param([["A1"]], "seats", id="nested-list"),
        pytest.param([f"A{n}" for n in range(1, 11)] + ["B1"], "seats", id="11>max"),
    ],
)
def test_create_rejects_bad_seat_lists_with_400(auth_client, showtime, seats, field):
    response = auth_client.post(URL, {"showtime": showtime.pk, "seats": seats})

    assert response.status_code == status.HTTP_400_BAD_REQUEST, response.content
    assert field in error("invalid", response)["fields"]
    assert not Reservation.objects.exists()


def test_create_requires_both_fields(auth_client, showtime):
    response = auth_client.post(URL, {})

    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert set(error("invalid", response)["fields"]) == {"showtime", "seats"}


def test_create_max_seats_follows_setting(auth_client, showtime, settings):
    settings.RESERVATION_MAX_SEATS = 2

    too_many = auth_client.post(
        URL, {"showtime": showtime.pk, "seats": ["A1", "A2", "A3"]}
    )
    enough = auth_client.post(URL, {"showtime": showtime.pk, "seats": ["A1", "A2"]})

    assert too_many.status_code == status.HTTP_400_BAD_REQUEST
    assert enough.status_code == status.HTTP_201_CREATED


def test_create_rejects_unknown_labels_with_400(auth_client, showtime):
    response = auth_client.post(
        URL, {"showtime": showtime.pk, "seats": ["A1", "D1", "C9"]}
    )

    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert error("unknown_seats", response)["details"] == {"seats": ["C9", "D1"]}
    assert not Reservation.objects.exists()


@pytest.mark.parametrize("showtime_id", [999_999, "abc", None, -1])
def test_create_rejects_unknown_showtime(auth_client, showtime_id):
    response = auth_client.post(URL, {"showtime": showtime_id, "seats": ["A1"]})

    assert response.status_code in {
        status.HTTP_400_BAD_REQUEST,
        status.HTTP_404_NOT_FOUND,
    }
    assert not Reservation.objects.exists()


def test_create_rejects_started_showtime(auth_client, clock):
    showtime = ShowtimeFactory(starts_at=clock.now + timedelta(minutes=1))
    clock.advance(minutes=2)

    response = auth_client.post(URL, {"showtime": showtime.pk, "seats": ["A1"]})

    assert response.status_code == status.HTTP_400_BAD_REQUEST
    error("showtime_closed", response)


def test_create_rejects_cancelled_showtime(auth_client):
    showtime = ShowtimeFactory(is_cancelled=True)

    response = auth_client.post(URL, {"showtime": showtime.pk, "seats": ["A1"]})

    assert response.status_code == status.HTTP_400_BAD_REQUEST
    error("showtime_closed", response)


def test_create_never_honours_server_owned_fields(
    auth_client, user, other_user, showtime, clock
):
    response = auth_client.post(
        URL,
        {
            "showtime": showtime.pk,
            "seats": ["A1"],
            "status": "confirmed",
            "total_price": "0.01",
            "user": other_user.pk,
            "expires_at": iso(clock.now + timedelta(days=30)),
            "code": "HACKED22",
            "confirmed_at": iso(clock.now),
            "refund_amount": "99.00",
            "amount_paid": "0.01",
        },
    )

    assert response.status_code == status.HTTP_201_CREATED
    body = response.json()
    assert body["status"] == "held"
    assert body["total_price"] == "10.00"
    assert body["expires_at"] == iso(clock.now + timedelta(seconds=600))
    assert body["code"] != "HACKED22"
    assert body["confirmed_at"] is None
    assert body["refund_amount"] is None
    assert Reservation.objects.get().user == user


def test_create_needs_authentication(api_client, showtime):
    response = api_client.post(URL, {"showtime": showtime.pk, "seats": ["A1"]})

    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    error("not_authenticated", response)
    assert not Reservation.objects.exists()


# --- list and detail ----------------------------------------------------------------


@pytest.fixture
def bookings(user, other_user, showtime, clock):
    """Two of ``user``'s reservations and one of ``other_user``'s, oldest first."""
    mine_old = ReservationFactory(user=user, showtime=showtime, seats=["A1"])
    clock.advance(seconds=1)
    theirs = ReservationFactory(user=other_user, showtime=showtime, seats=["A2"])
    clock.advance(seconds=1)
    mine_new = ReservationFactory(user=user, seats=["B1"])
    return mine_old, theirs, mine_new


def ids(response) -> list[int]:
    assert response.status_code == status.HTTP_200_OK, response.content
    return [row["id"] for row in response.json()["results"]]


def test_customer_lists_only_own_reservations_newest_first(auth_client, bookings):
    mine_old, _theirs, mine_new = bookings

    assert ids(auth_client.get(URL)) == [mine_new.pk, mine_old.pk]


def test_list_is_paginated(auth_client, bookings):
    body = auth_client.get(URL).json()

    assert set(body) >= {"count", "next", "previous", "results"}
    assert body["count"] == 2


@pytest.mark.parametrize("role_client", ["box_office_client", "staff_client"])
def test_box_office_and_staff_list_every_reservation(request, role_client, bookings):
    client = request.getfixturevalue(role_client)

    assert ids(client.get(URL)) == [b.pk for b in reversed(bookings)]


def test_superuser_lists_every_reservation(client_for, bookings):
    admin = UserFactory(is_superuser=True)

    assert len(ids(client_for(admin).get(URL))) == 3


def test_catalogue_manager_sees_only_own(manager_client, bookings):
    assert ids(manager_client.get(URL)) == []


def test_list_filters_by_status_and_showtime(
    staff_client, bookings, showtime, gateway, user
):
    mine_old, theirs, mine_new = bookings
    ReservationFactory(user=user, showtime=showtime, seats=["C1"], purchased=True)
    sold = Reservation.objects.get(status=ReservationStatus.CONFIRMED)

    assert ids(staff_client.get(URL, {"status": "confirmed"})) == [sold.pk]
    assert ids(staff_client.get(URL, {"status": "held"})) == [
        mine_new.pk,
        theirs.pk,
        mine_old.pk,
    ]
    assert ids(staff_client.get(URL, {"showtime": showtime.pk})) == [
        sold.pk,
        theirs.pk,
        mine_old.pk,
    ]
    assert ids(
        staff_client.get(URL, {"showtime": showtime.pk, "status": "confirmed"})
    ) == [sold.pk]
    assert ids(staff_client.get(URL, {"status": "cancelled"})) == []


def test_list_rejects_unknown_status_filter(auth_client, bookings):
    response = auth_client.get(URL, {"status": "bogus"})

    assert response.status_code == status.HTTP_400_BAD_REQUEST


def test_list_needs_authentication(api_client, bookings):
    assert api_client.get(URL).status_code == status.HTTP_401_UNAUTHORIZED


def test_detail_of_own_reservation(auth_client, bookings, showtime):
    mine_old = bookings[0]

    response = auth_client.get(detail_url(mine_old))

    assert response.status_code == status.HTTP_200_OK
    body = response.json()
    assert body["id"] == mine_old.pk
    assert body["seats"] == ["A1"]
    assert body["showtime_detail"]["movie_title"] == showtime.movie.title
    assert body["showtime_detail"]["theater"] == showtime.screen.theater.name
    assert body["showtime_detail"]["screen"] == showtime.screen.name
    assert body["showtime_detail"]["starts_at"] == iso(showtime.starts_at)
    assert body["tickets"] == []


def test_detail_lists_tickets_once_confirmed(auth_client, user, showtime, gateway):
    reservation = ReservationFactory(
        user=user, showtime=showtime, seats=["A1", "C1"], purchased=True
    )

    body = auth_client.get(detail_url(reservation)).json()

    codes = dict(Ticket.objects.values_list("seat__label", "code"))
    assert body["status"] == "confirmed"
    assert body["tickets"] == [
        {"code": codes["A1"], "seat": "A1", "is_void": False, "checked_in_at": None},
        {"code": codes["C1"], "seat": "C1", "is_void": False, "checked_in_at": None},
    ]


@pytest.mark.parametrize("role_client", ["box_office_client", "staff_client"])
def test_box_office_and_staff_read_any_reservation(request, role_client, bookings):
    client = request.getfixturevalue(role_client)

    assert client.get(detail_url(bookings[1])).status_code == status.HTTP_200_OK


def test_unknown_reservation_is_404(auth_client):
    response = auth_client.get(detail_url(999_999))

    assert response.status_code == status.HTTP_404_NOT_FOUND
    error("not_found", response)


def test_detail_needs_authentication(api_client, bookings):
    response = api_client.get(detail_url(bookings[0]))

    assert response.status_code == status.HTTP_401_UNAUTHORIZED


def test_reservation_list_query_count_is_constant(
    auth_client, user, gateway, django_assert_num_queries, settings
):
    settings.RESERVATION_MAX_ACTIVE_HOLDS = 30  # many holds of one user, on purpose
    first = ShowtimeFactory()
    ReservationFactory(user=user, showtime=first, seats=["A1"], purchased=True)
    auth_client.get(URL)  # warm the user's permission cache, as any request would
    with CaptureQueriesContext(connection) as one_row:
        assert len(ids(auth_client.get(URL, {"page_size": 50}))) == 1

    for n in range(29):
        ReservationFactory(
            user=user,
            seats=["A1", "B2", "C3"],
            purchased=n % 2 == 0,
        )
    with django_assert_num_queries(len(one_row)):
        assert len(ids(auth_client.get(URL, {"page_size": 50}))) == 30


def test_box_office_list_query_count_is_constant(
    box_office_client, gateway, django_assert_num_queries
):
    ReservationFactory(purchased=True)
    box_office_client.get(URL)  # warm the user's permission cache
    with CaptureQueriesContext(connection) as one_row:
        assert len(ids(box_office_client.get(URL, {"page_size": 50}))) == 1

    for _ in range(29):
        ReservationFactory(seats=["A1", "A2"], purchased=True)
    with django_assert_num_queries(len(one_row)):
        assert len(ids(box_office_client.get(URL, {"page_size": 50}))) == 30


# --- BOLA: another user's reservation is 404 for every verb ------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "data"),
    [
        ("get", "", None),
        ("put", "", {"seats": ["A5"]}),
        ("patch", "", {"seats": ["A5"]}),
        ("post", "purchase/", {}),
        ("delete", "", None),
    ],
)
def test_other_users_reservation_is_404(
    other_client, user, showtime, gateway, method, suffix, data
):
    reservation = ReservationFactory(user=user, showtime=showtime, seats=["A1"])

    response = getattr(other_client, method)(detail_url(reservation) + suffix, data)

    assert response.status_code == status.HTTP_404_NOT_FOUND
    error("not_found", response)
    fresh = Reservation.objects.get(pk=reservation.pk)
    assert fresh.status == ReservationStatus.HELD
    assert active_labels(showtime) == ["A1"]
    assert gateway.charges == []


@pytest.mark.parametrize(
    ("method", "suffix", "data"),
    [
        ("put", "", {"seats": ["A5"]}),
        ("patch", "", {"seats": ["A5"]}),
        ("post", "purchase/", {}),
        ("delete", "", None),
    ],
)
def test_box_office_may_read_but_not_change_others_reservations(
    box_office_client, user, showtime, gateway, method, suffix, data
):
    reservation = ReservationFactory(user=user, showtime=showtime, seats=["A1"])

    response = getattr(box_office_client, method)(
        detail_url(reservation) + suffix, data
    )

    assert response.status_code == status.HTTP_403_FORBIDDEN
    error("permission_denied", response)
    assert Reservation.objects.get(pk=reservation.pk).status == ReservationStatus.HELD
    assert active_labels(showtime) == ["A1"]
    assert gateway.charges == []


@pytest.mark.parametrize(
    ("method", "suffix", "data"),
    [
        ("get", "", None),
        ("put", "", {"seats": ["A5"]}),
        ("patch", "", {"seats": ["A5"]}),
        ("post", "purchase/", {}),
        ("delete", "", None),
    ],
)
def test_anonymous_is_401_on_a_reservation(
    api_client, user, showtime, method, suffix, data
):
    reservation = ReservationFactory(user=user, showtime=showtime)

    response = getattr(api_client, method)(detail_url(reservation) + suffix, data)

    assert response.status_code == status.HTTP_401_UNAUTHORIZED


# --- change seats -------------------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch"])
def test_change_seats_returns_new_seats_and_total(
    auth_client, user, showtime, clock, method
):
    reservation = ReservationFactory(user=user, showtime=showtime, seats=["A1", "A2"])
    clock.advance(seconds=120)

    response = getattr(auth_client, method)(
        detail_url(reservation), {"seats": ["A2", "C1", "C2"]}
    )

    assert response.status_code == status.HTTP_200_OK, response.content
    body = response.json()
    assert body["seats"] == ["A2", "C1", "C2"]
    assert body["total_price"] == "41.00"
    assert body["expires_at"] == iso(reservation.expires_at)
    assert body["status"] == "held"
    assert active_labels(showtime) == ["A2", "C1", "C2"]


def test_put_with_same_showtime_is_accepted(auth_client, user, showtime):
    reservation = ReservationFactory(user=user, showtime=showtime)

    response = auth_client.put(
        detail_url(reservation), {"showtime": showtime.pk, "seats": ["B1"]}
    )

    assert response.status_code == status.HTTP_200_OK
    assert response.json()["seats"] == ["B1"]


def test_put_with_another_showtime_is_400(auth_client, user, showtime):
    reservation = ReservationFactory(user=user, showtime=showtime)
    elsewhere = ShowtimeFactory()

    response = auth_client.put(
        detail_url(reservation), {"showtime": elsewhere.pk, "seats": ["B1"]}
    )

    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert "showtime" in error("invalid", response)["fields"]
    assert active_labels(showtime) == ["A1"]
    assert active_labels(elsewhere) == []


@pytest.mark.parametrize(
    "data",
    [{}, {"seats": []}, {"seats": "A1"}, {"seats": ["A1", "A1"]}],
    ids=["missing", "empty", "not-a-list", "duplicates"],
)
def test_change_seats_rejects_bad_input(auth_client, user, showtime, data):
    reservation = ReservationFactory(user=user, showtime=showtime, seats=["A1"])

    response = auth_client.patch(detail_url(reservation), data)

    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert active_labels(showtime) == ["A1"]


def test_change_seats_conflict_is_409_and_keeps_old_seats(
    auth_client, user, other_user, showtime
):
    reservation = ReservationFactory(user=user, showtime=showtime, seats=["A1", "A2"])
    ReservationFactory(user=other_user, showtime=showtime, seats=["B3"])

    response = auth_client.patch(detail_url(reservation), {"seats": ["A1", "B3"]})

    assert response.status_code == status.HTTP_409_CONFLICT
    assert error("seats_unavailable", response)["details"] == {"seats": ["B3"]}
    body = auth_client.get(detail_url(reservation)).json()
    assert body["seats"] == ["A1", "A2"]
    assert body["total_price"] == "20.00"


def test_change_seats_of_confirmed_reservation_is_409(
    auth_client, user, showtime, gateway
):
    reservation = ReservationFactory(user=user, showtime=showtime, purchased=True)

    response = auth_client.patch(detail_url(reservation), {"seats": ["A2"]})

    assert response.status_code == status.HTTP_409_CONFLICT
    error("reservation_not_held", response)
    assert active_labels(showtime) == ["A1"]


def test_change_seats_of_expired_hold_is_409(auth_client, user, showtime, clock):
    reservation = ReservationFactory(user=user, showtime=showtime)
    clock.advance(seconds=600)

    response = auth_client.patch(detail_url(reservation), {"seats": ["A2"]})

    assert response.status_code == status.HTTP_409_CONFLICT
    error("hold_expired", response)
    assert auth_client.get(detail_url(reservation)).json()["status"] == "expired"


# --- purchase -----------------------------------------------------------------------


def test_purchase_confirms_with_tickets(auth_client, user, showtime, clock, gateway):
    reservation = ReservationFactory(user=user, showtime=showtime, seats=["A1", "A2"])

    response = auth_client.post(
        f"{detail_url(reservation)}purchase/", {"payment_token": "tok_visa"}
    )

    assert response.status_code == status.HTTP_200_OK, response.content
    body = response.json()
    assert body["status"] == "confirmed"
    assert body["confirmed_at"] == iso(clock.now)
    assert [t["seat"] for t in body["tickets"]] == ["A1", "A2"]
    assert all(len(t["code"]) >= 16 for t in body["tickets"])
    assert len(gateway.charges) == 1
    assert seat_states(auth_client, showtime)["A1"] == "sold"


def test_purchase_without_body_uses_no_token(auth_client, user, showtime, gateway):
    reservation = ReservationFactory(user=user, showtime=showtime)

    response = auth_client.post(f"{detail_url(reservation)}purchase/")

    assert response.status_code == status.HTTP_200_OK
    assert response.json()["status"] == "confirmed"


def test_declined_purchase_is_402_and_hold_stays(auth_client, user, showtime, gateway):
    reservation = ReservationFactory(user=user, showtime=showtime)
    before = auth_client.get(detail_url(reservation)).json()

    response = auth_client.post(
        f"{detail_url(reservation)}purchase/", {"payment_token": "tok_declined"}
    )

    assert response.status_code == status.HTTP_402_PAYMENT_REQUIRED
    error("payment_declined", response)
    assert auth_client.get(detail_url(reservation)).json() == before
    assert seat_states(auth_client, showtime)["A1"] == "held"


def test_purchase_of_expired_hold_is_409_hold_expired(
    auth_client, user, showtime, clock, gateway
):
    reservation = ReservationFactory(user=user, showtime=showtime)
    clock.advance(seconds=601)

    response = auth_client.post(f"{detail_url(reservation)}purchase/", {})

    assert response.status_code == status.HTTP_409_CONFLICT
    error("hold_expired", response)
    assert auth_client.get(detail_url(reservation)).json()["status"] == "expired"
    assert seat_states(auth_client, showtime)["A1"] == "available"
    assert gateway.charges == []


def test_purchase_again_returns_same_reservation_without_charging(
    auth_client, user, showtime, gateway
):
    reservation = ReservationFactory(user=user, showtime=showtime)
    first = auth_client.post(f"{detail_url(reservation)}purchase/", {})

    again = auth_client.post(f"{detail_url(reservation)}purchase/", {})

    assert again.status_code == status.HTTP_200_OK
    assert again.json() == first.json()
    assert len(gateway.charges) == 1
    assert Ticket.objects.count() == 1


def test_purchase_of_cancelled_reservation_is_409(auth_client, user, showtime, gateway):
    reservation = ReservationFactory(user=user, showtime=showtime)
    auth_client.delete(detail_url(reservation))

    response = auth_client.post(f"{detail_url(reservation)}purchase/", {})

    assert response.status_code == status.HTTP_409_CONFLICT
    error("reservation_not_held", response)
    assert gateway.charges == []


def test_purchase_rejects_bad_token_shape(auth_client, user, showtime, gateway):
    reservation = ReservationFactory(user=user, showtime=showtime)

    response = auth_client.post(
        f"{detail_url(reservation)}purchase/", {"payment_token": ["x"]}
    )

    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert gateway.charges == []


# --- cancel -------------------------------------------------------------------------


def test_delete_cancels_hold_and_frees_seats(auth_client, user, showtime, clock):
    reservation = ReservationFactory(user=user, showtime=showtime, seats=["A1", "A2"])

    response = auth_client.delete(detail_url(reservation))

    assert response.status_code == status.HTTP_204_NO_CONTENT
    assert response.content == b""
    body = auth_client.get(detail_url(reservation)).json()
    assert body["status"] == "cancelled"
    assert body["cancelled_at"] == iso(clock.now)
    assert body["seats"] == ["A1", "A2"]  # kept as history
    states = seat_states(auth_client, showtime)
    assert states["A1"] == states["A2"] == "available"


def test_delete_confirmed_before_cutoff_refunds_and_voids_tickets(
    auth_client, user, showtime, gateway, django_capture_on_commit_callbacks
):
    reservation = ReservationFactory(
        user=user, showtime=showtime, seats=["A1", "C1"], purchased=True
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete(detail_url(reservation))

    assert response.status_code == status.HTTP_204_NO_CONTENT
    body = auth_client.get(detail_url(reservation)).json()
    assert body["status"] == "cancelled"
    assert body["refund_amount"] == "25.50"
    assert [t["is_void"] for t in body["tickets"]] == [True, True]
    assert seat_states(auth_client, showtime)["A1"] == "available"
    assert [amount for _, amount in gateway.refunds] == [reservation.total_price]


def test_delete_confirmed_after_cutoff_is_409_for_owner(
    auth_client, user, gateway, clock
):
    showtime = ShowtimeFactory(starts_at=clock.now + timedelta(hours=2))
    reservation = ReservationFactory(user=user, showtime=showtime, purchased=True)
    clock.advance(minutes=61)

    response = auth_client.delete(detail_url(reservation))

    assert response.status_code == status.HTTP_409_CONFLICT
    error("cancellation_closed", response)
    assert auth_client.get(detail_url(reservation)).json()["status"] == "confirmed"
    assert seat_states(auth_client, showtime)["A1"] == "sold"


def test_delete_confirmed_after_cutoff_is_allowed_for_staff(
    staff_client, user, gateway, clock
):
    showtime = ShowtimeFactory(starts_at=clock.now + timedelta(hours=2))
    reservation = ReservationFactory(user=user, showtime=showtime, purchased=True)
    clock.advance(minutes=61)

    response = staff_client.delete(detail_url(reservation))

    assert response.status_code == status.HTTP_204_NO_CONTENT
    assert Reservation.objects.get(pk=reservation.pk).status == "cancelled"


def test_delete_twice_is_409(auth_client, user, showtime):
    reservation = ReservationFactory(user=user, showtime=showtime)
    auth_client.delete(detail_url(reservation))

    response = auth_client.delete(detail_url(reservation))

    assert response.status_code == status.HTTP_409_CONFLICT
    error("reservation_not_active", response)


# --- seat map -----------------------------------------------------------------------


def test_seat_map_shows_held_sold_and_available(
    api_client, user, other_user, showtime, gateway
):
    ReservationFactory(user=user, showtime=showtime, seats=["A1", "A2"])
    ReservationFactory(user=other_user, showtime=showtime, seats=["C8"], purchased=True)

    response = api_client.get(f"/api/showtimes/{showtime.pk}/seats/")

    assert response.status_code == status.HTTP_200_OK
    seats = response.json()
    assert len(seats) == 28
    assert seats[0] == {
        "label": "A1",
        "row": "A",
        "number": 1,
        "category": "standard",
        "price": "10.00",
        "status": "held",
        "features": [],
        "aisle_after": False,
    }
    assert seats[-1] == {
        "label": "C8",
        "row": "C",
        "number": 8,
        "category": "premium",
        "price": "15.50",
        "status": "sold",
        "features": [],
        "aisle_after": False,
    }
    counts = {}
    for seat in seats:
        counts[seat["status"]] = counts.get(seat["status"], 0) + 1
    assert counts == {"held": 2, "sold": 1, "available": 25}


def test_seat_map_of_unknown_showtime_is_404(api_client):
    response = api_client.get("/api/showtimes/999999/seats/")

    assert response.status_code == status.HTTP_404_NOT_FOUND


def test_seat_map_query_count_does_not_grow(
    api_client, showtime, gateway, django_assert_num_queries
):
    url = f"/api/showtimes/{showtime.pk}/seats/"

    def queries_when_rebuilt() -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            assert api_client.get(url).status_code == status.HTTP_200_OK
        return len(captured)

    ReservationFactory(showtime=showtime, seats=["B1"])
    with_one = queries_when_rebuilt()
    for n in range(2, 9):
        ReservationFactory(showtime=showtime, seats=[f"B{n}"], purchased=n % 2 == 0)

    assert queries_when_rebuilt() == with_one
    with django_assert_num_queries(2):  # the showtime's version, then the cache
        api_client.get(url)


def test_holds_are_rate_limited_per_user(auth_client, other_client, showtime, settings):
    cache.clear()
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "hold": "2/min"}
    for seat in ("A1", "A2"):
        response = auth_client.post(URL, {"showtime": showtime.pk, "seats": [seat]})
        assert response.status_code == status.HTTP_201_CREATED

    third = auth_client.post(URL, {"showtime": showtime.pk, "seats": ["A3"]})

    assert third.status_code == status.HTTP_429_TOO_MANY_REQUESTS
    error("throttled", third)
    assert "Retry-After" in third
    assert auth_client.get(URL).status_code == status.HTTP_200_OK
    other = other_client.post(URL, {"showtime": showtime.pk, "seats": ["A3"]})
    assert other.status_code == status.HTTP_201_CREATED
    cache.clear()

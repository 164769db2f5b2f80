"""Cancellation fee tiers, giving back some seats of a purchase, and full refunds by
box office and staff. Money is checked against the recording gateway."""

from datetime import timedelta
from decimal import Decimal

import pytest
from rest_framework import status

from pricing.models import Voucher
from reservations import services
from reservations.models import (
    Reservation,
    ReservationAction,
    ReservationStatus,
    ReservedSeat,
)
from reservations.services.cancellation import fee_percent, fee_tiers
from tests.assertions import error_of
from tests.factories import ReservationFactory, ShowtimeFactory, UserFactory

from .helpers import client_for, seat_states

pytestmark = pytest.mark.django_db

TIERS = ((48 * 60, Decimal("0")), (120, Decimal("50")))  # "48h:0,2h:50"


def refunded_by_gateway(gateway, reservation) -> Decimal:
    return sum(
        (a for ref, a in gateway.refunds if ref == reservation.payment_reference),
        Decimal("0.00"),
    )


def assert_money_holds(gateway, reservation: Reservation) -> None:
    """Refunded never exceeds paid; the gateway refunded exactly what is recorded;
    the seats' fees add up to the reservation's."""
    reservation.refresh_from_db()
    refunded = reservation.refund_amount or Decimal("0.00")
    assert refunded + reservation.fee <= reservation.amount_paid
    assert refunded_by_gateway(gateway, reservation) == refunded
    seat_fees = sum(
        reservation.reserved_seats.values_list("fee", flat=True), Decimal("0.00")
    )
    assert seat_fees == reservation.fee


def buy(user, showtime, labels, voucher=None) -> Reservation:
    reservation = services.create_reservation(
        user=user, showtime=showtime, labels=labels, voucher=voucher
    )
    return services.purchase_reservation(reservation=reservation)


@pytest.fixture
def tiers(settings):
    settings.CANCELLATION_POLICY = TIERS
    return TIERS


def starting_in(clock, **delta):
    return ShowtimeFactory(starts_at=clock.now + timedelta(**delta))


def cancel_seats_url(reservation) -> str:
    return f"/api/reservations/{reservation.pk}/cancel-seats/"


def refund_url(reservation) -> str:
    return f"/api/reservations/{reservation.pk}/refund/"


# --- the policy --------------------------------------------------------------------


def test_unset_policy_is_the_cutoff_without_fee(settings):
    settings.CANCELLATION_POLICY = None
    assert fee_tiers() == ((60, Decimal("0")),)
    settings.CANCELLATION_CUTOFF_MINUTES = 30
    assert fee_tiers() == ((30, Decimal("0")),)


@pytest.mark.parametrize(
    ("left", "expected"),
    [
        (timedelta(days=3), Decimal("0")),
        (timedelta(hours=48, seconds=1), Decimal("0")),
        (timedelta(hours=48), Decimal("50")),  # "more than 48 hours" is free
        (timedelta(hours=10), Decimal("50")),
        (timedelta(hours=2, seconds=1), Decimal("50")),
        (timedelta(hours=2), None),
        (timedelta(minutes=30), None),
    ],
)
def test_fee_tier_by_time_left(tiers, clock, left, expected):
    showtime = ShowtimeFactory(starts_at=clock.now + left)
    assert fee_percent(showtime, clock.now) == expected


@pytest.mark.parametrize(
    ("hours", "refund", "fee"),
    [(72, "35.50", "0.00"), (10, "17.75", "17.75")],
)
def test_owner_cancel_is_refunded_less_the_tier_fee(
    tiers, clock, user, gateway, django_capture_on_commit_callbacks, hours, refund, fee
):
    reservation = buy(user, starting_in(clock, hours=hours), ["A1", "A2", "C1"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).delete(f"/api/reservations/{reservation.pk}/")

    assert response.status_code == status.HTTP_204_NO_CONTENT
    body = client_for(user).get(f"/api/reservations/{reservation.pk}/").json()
    assert (body["status"], body["refund_amount"], body["fee"]) == (
        "cancelled",
        refund,
        fee,
    )
    assert gateway.refunds == [(reservation.payment_reference, Decimal(refund))]
    event = reservation.events.get(action=ReservationAction.CANCELLED)
    assert event.details["refund_amount"] == refund
    assert event.details.get("fee", "0.00") == fee
    assert_money_holds(gateway, reservation)


def test_owner_cannot_cancel_after_the_last_tier(tiers, clock, user, gateway):
    showtime = starting_in(clock, minutes=90)
    reservation = buy(user, showtime, ["A1"])

    response = client_for(user).delete(f"/api/reservations/{reservation.pk}/")

    error = error_of(response, status.HTTP_409_CONFLICT, "cancellation_closed")
    cutoff = (showtime.starts_at - timedelta(hours=2)).isoformat()
    assert error["details"] == {"cutoff": cutoff}
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CONFIRMED
    assert gateway.refunds == []


def test_staff_cancel_after_the_last_tier_pays_its_fee(
    tiers, clock, user, staff, gateway, django_capture_on_commit_callbacks
):
    reservation = buy(user, starting_in(clock, minutes=90), ["A1"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff).delete(f"/api/reservations/{reservation.pk}/")

    assert response.status_code == status.HTTP_204_NO_CONTENT
    reservation.refresh_from_db()
    assert (reservation.refund_amount, reservation.fee) == (
        Decimal("5.00"),
        Decimal("5.00"),
    )
    assert_money_holds(gateway, reservation)


def test_cancelled_showtime_refunds_everything_whatever_the_tier(
    tiers, clock, user, gateway, django_capture_on_commit_callbacks
):
    showtime = starting_in(clock, minutes=90)
    reservation = buy(user, showtime, ["A1", "A2"])
    showtime.is_cancelled = True
    showtime.save()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).delete(f"/api/reservations/{reservation.pk}/")

    assert response.status_code == status.HTTP_204_NO_CONTENT
    reservation.refresh_from_db()
    assert (reservation.refund_amount, reservation.fee) == (
        Decimal("20.00"),
        Decimal("0.00"),
    )
    assert_money_holds(gateway, reservation)


def test_fee_is_rounded_per_seat_half_up(
    settings, clock, user, gateway, django_capture_on_commit_callbacks
):
    settings.CANCELLATION_POLICY = ((0, Decimal("33.33")),)
    reservation = buy(user, starting_in(clock, days=1), ["A1", "A2", "C1"])

    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_reservation(reservation=reservation, actor=user)

    reservation.refresh_from_db()
    # 3.333 -> 3.33 twice, 5.16615 -> 5.17
    assert reservation.fee == Decimal("11.83")
    assert reservation.refund_amount == Decimal("23.67")
    assert_money_holds(gateway, reservation)


# --- per-seat cancellation ------------------------------------------------------------


def test_cancel_seats_frees_voids_and_refunds_the_share(
    user, other_user, gateway, django_capture_on_commit_callbacks
):
    showtime = ShowtimeFactory()
    reservation = buy(user, showtime, ["A1", "A2", "C1"])
    assert seat_states(client_for(other_user), showtime)["A2"] == "sold"  # cached

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).post(
            cancel_seats_url(reservation), {"seats": ["a2"]}, format="json"
        )

    assert response.status_code == status.HTTP_200_OK, response.content
    body = response.json()
    assert (body["status"], body["refund_amount"], body["fee"]) == (
        "confirmed",
        "10.00",
        "0.00",
    )
    assert body["amount_paid"] == body["total_price"] == "35.50"
    assert {s["label"]: s["is_active"] for s in body["seat_details"]} == {
        "A1": True,
        "A2": False,
        "C1": True,
    }
    assert {t["seat"]: t["is_void"] for t in body["tickets"]} == {
        "A1": False,
        "A2": True,
        "C1": False,
    }
    states = seat_states(client_for(other_user), showtime)
    assert (states["A1"], states["A2"], states["C1"]) == ("sold", "available", "sold")
    assert gateway.refunds == [(reservation.payment_reference, Decimal("10.00"))]
    event = reservation.events.get(action=ReservationAction.SEATS_CANCELLED)
    assert (event.from_status, event.to_status) == ("confirmed", "confirmed")
    assert event.details == {
        "seats": ["A2"],
        "refund_amount": "10.00",
        "fee": "0.00",
        "fee_percent": "0",
    }
    assert event.actor == user
    assert_money_holds(gateway, reservation)
    # The freed seat can be sold again.
    again = client_for(other_user).post(
        "/api/reservations/", {"showtime": showtime.pk, "seats": ["A2"]}
    )
    assert again.status_code == status.HTTP_201_CREATED


def test_cancel_seats_after_a_voucher_refunds_the_discounted_share_less_the_fee(
    tiers, clock, user, gateway, django_capture_on_commit_callbacks
):
    Voucher.objects.create(code="TEN", kind="percent", value=Decimal("10"))
    reservation = buy(user, starting_in(clock, hours=10), ["A1", "A2", "C1"], "TEN")
    assert reservation.amount_paid == Decimal("31.95")  # 9.00 + 9.00 + 13.95

    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_seats(reservation=reservation, labels=["A2"], actor=user)
    reservation.refresh_from_db()
    assert (reservation.refund_amount, reservation.fee) == (
        Decimal("4.50"),
        Decimal("4.50"),
    )
    assert reservation.status == ReservationStatus.CONFIRMED

    # Then the rest: what is still paid (22.95) less 50 % per seat (4.50 + 6.98).
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_reservation(reservation=reservation, actor=user)
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CANCELLED
    assert reservation.fee == Decimal("15.98")
    assert reservation.refund_amount == Decimal("15.97")
    assert reservation.refund_amount + reservation.fee == reservation.amount_paid
    assert [a for _, a in gateway.refunds] == [Decimal("4.50"), Decimal("11.47")]
    assert_money_holds(gateway, reservation)


@pytest.mark.parametrize("percent", ["0", "12.5", "33.33", "50", "100"])
def test_seat_by_seat_never_refunds_more_than_paid(
    settings, clock, user, gateway, django_capture_on_commit_callbacks, percent
):
    settings.CANCELLATION_POLICY = ((0, Decimal(percent)),)
    Voucher.objects.create(code="ODD", kind="percent", value=Decimal("7"))
    labels = ["A1", "A2", "C1", "C2", "B5"]
    reservation = buy(user, starting_in(clock, days=2), labels, "ODD")

    for label in labels:
        with django_capture_on_commit_callbacks(execute=True):
            services.cancel_seats(reservation=reservation, labels=[label], actor=user)
        assert_money_holds(gateway, reservation)

    assert reservation.status == ReservationStatus.CANCELLED
    assert reservation.refund_amount + reservation.fee == reservation.amount_paid
    assert len(gateway.refunds) == (5 if percent != "100" else 0)


def test_cancelling_the_last_seat_cancels_the_reservation(
    user, gateway, django_capture_on_commit_callbacks
):
    reservation = buy(user, ShowtimeFactory(), ["A1", "A2"])
    client = client_for(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(cancel_seats_url(reservation), {"seats": ["A1"]}, format="json")
        response = client.post(
            cancel_seats_url(reservation), {"seats": ["A2"]}, format="json"
        )

    assert response.status_code == status.HTTP_200_OK, response.content
    body = response.json()
    assert (body["status"], body["refund_amount"], body["fee"]) == (
        "cancelled",
        "20.00",
        "0.00",
    )
    assert body["cancelled_at"] is not None
    event = reservation.events.get(action=ReservationAction.CANCELLED)
    assert event.details == {"seats": ["A2"], "refund_amount": "10.00"}
    assert not ReservedSeat.objects.filter(reservation=reservation, is_active=True)
    assert_money_holds(gateway, reservation)
    # Nothing is left: a later full cancel is refused, nothing more refunded.
    again = client.delete(f"/api/reservations/{reservation.pk}/")
    error_of(again, status.HTTP_409_CONFLICT, "reservation_not_active")


def test_full_cancel_after_a_partial_one_refunds_what_is_left(
    user, gateway, django_capture_on_commit_callbacks
):
    reservation = buy(user, ShowtimeFactory(), ["A1", "C1"])
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_seats(reservation=reservation, labels=["C1"], actor=user)
        services.cancel_reservation(reservation=reservation, actor=user)

    reservation.refresh_from_db()
    assert reservation.refund_amount == reservation.amount_paid == Decimal("25.50")
    assert [a for _, a in gateway.refunds] == [Decimal("15.50"), Decimal("10.00")]
    assert_money_holds(gateway, reservation)


@pytest.mark.parametrize("who", ["user", "staff"])
def test_a_used_seat_cannot_be_given_back(request, who, clock, user, gateway):
    from tickets.services import check_in_ticket

    reservation = buy(user, starting_in(clock, minutes=90), ["A1", "A2"])
    check_in_ticket(code=reservation.tickets.get(seat__label="A1").code)

    response = client_for(request.getfixturevalue(who)).post(
        cancel_seats_url(reservation), {"seats": ["A2", "A1"]}, format="json"
    )

    error = error_of(response, status.HTTP_409_CONFLICT, "ticket_used")
    assert error["details"] == {"seats": ["A1"]}
    assert ReservedSeat.objects.filter(reservation=reservation, is_active=True).count()
    assert not reservation.tickets.filter(is_void=True).exists()
    assert gateway.refunds == []


@pytest.mark.parametrize(
    ("body", "code", "fields", "details"),
    [
        ({"seats": ["Z99"]}, "unknown_seats", {}, {"seats": ["Z99"]}),
        (
            {"seats": ["A1", "B3"]},
            "invalid_seats",
            {},
            {"seats": ["B3"]},
        ),
        (
            {"seats": ["A2", "a2"]},
            "invalid",
            {"seats": ["Each seat may be requested once; repeated: A2."]},
            {},
        ),
        ({"seats": []}, "invalid", {"seats": ["This list may not be empty."]}, {}),
        ({}, "invalid", {"seats": ["This field is required."]}, {}),
        ({"seats": "A1"}, "invalid", None, {}),
    ],
)
def test_cancel_seats_bad_input_is_400(user, gateway, body, code, fields, details):
    reservation = buy(user, ShowtimeFactory(), ["A1", "A2"])

    response = client_for(user).post(cancel_seats_url(reservation), body, format="json")

    error = error_of(response, status.HTTP_400_BAD_REQUEST, code)
    if fields is not None:
        assert error["fields"] == fields
    assert error["details"] == details
    assert "." in error["message"]
    assert not ReservedSeat.objects.filter(is_active=False).exists()
    assert gateway.refunds == []


def test_a_seat_given_back_twice_is_409(user, gateway):
    reservation = buy(user, ShowtimeFactory(), ["A1", "A2"])
    services.cancel_seats(reservation=reservation, labels=["A2"], actor=user)

    response = client_for(user).post(
        cancel_seats_url(reservation), {"seats": ["A2"]}, format="json"
    )

    error = error_of(response, status.HTTP_409_CONFLICT, "seats_already_cancelled")
    assert error["details"] == {"seats": ["A2"]}


def test_cancel_seats_of_a_hold_or_a_cancelled_reservation_is_409(user, gateway):
    hold = ReservationFactory(user=user, seats=["A1", "A2"])
    response = client_for(user).post(
        cancel_seats_url(hold), {"seats": ["A1"]}, format="json"
    )
    error_of(response, status.HTTP_409_CONFLICT, "reservation_not_confirmed")

    services.cancel_reservation(reservation=hold, actor=user)
    response = client_for(user).post(
        cancel_seats_url(hold), {"seats": ["A1"]}, format="json"
    )
    error_of(response, status.HTTP_409_CONFLICT, "reservation_not_active")


def test_cancel_seats_after_the_last_tier_is_409(tiers, clock, user, gateway):
    reservation = buy(user, starting_in(clock, minutes=90), ["A1", "A2"])

    response = client_for(user).post(
        cancel_seats_url(reservation), {"seats": ["A1"]}, format="json"
    )

    error_of(response, status.HTTP_409_CONFLICT, "cancellation_closed")
    assert gateway.refunds == []


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, status.HTTP_401_UNAUTHORIZED),
        ("owner", status.HTTP_200_OK),
        ("other_user", status.HTTP_404_NOT_FOUND),
        ("manager", status.HTTP_404_NOT_FOUND),
        ("box_office", status.HTTP_403_FORBIDDEN),
        ("staff", status.HTTP_200_OK),
    ],
)
def test_who_may_cancel_seats(request, api_client, role, expected, user, gateway):
    reservation = buy(user, ShowtimeFactory(), ["A1", "A2"])
    if role is None:
        client = api_client
    else:
        client = client_for(user if role == "owner" else request.getfixturevalue(role))

    response = client.post(
        cancel_seats_url(reservation), {"seats": ["A1"]}, format="json"
    )

    assert response.status_code == expected, response.content
    active = ReservedSeat.objects.filter(reservation=reservation, is_active=True)
    assert active.count() == (1 if expected == status.HTTP_200_OK else 2)


# --- full refund by box office and staff -------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, status.HTTP_401_UNAUTHORIZED),
        ("owner", status.HTTP_403_FORBIDDEN),
        ("other_user", status.HTTP_403_FORBIDDEN),
        ("manager", status.HTTP_403_FORBIDDEN),
        ("box_office", status.HTTP_200_OK),
        ("staff", status.HTTP_200_OK),
    ],
)
def test_who_may_refund_in_full(request, api_client, role, expected, user, gateway):
    reservation = buy(user, ShowtimeFactory(), ["A1"])
    if role is None:
        client = api_client
    else:
        client = client_for(user if role == "owner" else request.getfixturevalue(role))

    response = client.post(refund_url(reservation), {"reason": "goodwill"})

    assert response.status_code == expected, response.content
    reservation.refresh_from_db()
    refunded = expected == status.HTTP_200_OK
    assert reservation.status == ("cancelled" if refunded else "confirmed")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "This field is required."),
        ({"reason": "   "}, "This field may not be blank."),
        ({"reason": "x" * 201}, "Ensure this field has no more than 200 characters."),
    ],
)
def test_refund_needs_a_reason(box_office, user, gateway, body, message):
    reservation = buy(user, ShowtimeFactory(), ["A1"])

    response = client_for(box_office).post(refund_url(reservation), body)

    error = error_of(response, status.HTTP_400_BAD_REQUEST)
    assert error["fields"] == {"reason": [message]}
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CONFIRMED


def test_box_office_refunds_in_full_after_the_last_tier(
    tiers,
    clock,
    user,
    other_user,
    box_office,
    gateway,
    django_capture_on_commit_callbacks,
):
    showtime = starting_in(clock, minutes=30)
    reservation = buy(user, showtime, ["A1", "C1"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(box_office).post(
            refund_url(reservation), {"reason": "projector broke"}
        )

    assert response.status_code == status.HTTP_200_OK, response.content
    body = response.json()
    assert (body["status"], body["refund_amount"], body["fee"]) == (
        "cancelled",
        "25.50",
        "0.00",
    )
    assert all(t["is_void"] for t in body["tickets"])
    states = seat_states(client_for(other_user), showtime)
    assert (states["A1"], states["C1"]) == ("available", "available")
    event = reservation.events.get(action=ReservationAction.REFUNDED)
    assert event.actor == box_office
    assert (event.from_status, event.to_status) == ("confirmed", "cancelled")
    assert event.details == {
        "seats": ["A1", "C1"],
        "freed_seats": ["A1", "C1"],
        "refund_amount": "25.50",
        "reason": "projector broke",
    }
    assert gateway.refunds == [(reservation.payment_reference, Decimal("25.50"))]
    assert_money_holds(gateway, reservation)


def test_refund_gives_back_the_fees_kept(
    tiers, clock, user, staff, gateway, django_capture_on_commit_callbacks
):
    reservation = buy(user, starting_in(clock, hours=10), ["A1", "A2"])
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_seats(reservation=reservation, labels=["A1"], actor=user)
        services.cancel_reservation(reservation=reservation, actor=user)
    reservation.refresh_from_db()
    assert (reservation.refund_amount, reservation.fee) == (
        Decimal("10.00"),
        Decimal("10.00"),
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff).post(
            refund_url(reservation), {"reason": "complaint"}
        )

    assert response.status_code == status.HTTP_200_OK, response.content
    assert (response.json()["refund_amount"], response.json()["fee"]) == (
        "20.00",
        "0.00",
    )
    assert [a for _, a in gateway.refunds] == [Decimal("5.00")] * 2 + [Decimal("10.00")]
    assert_money_holds(gateway, reservation)
    again = client_for(staff).post(refund_url(reservation), {"reason": "twice"})
    error_of(again, status.HTTP_409_CONFLICT, "nothing_to_refund")


def test_refund_keeps_the_money_and_seat_of_a_used_ticket(
    clock, user, other_user, box_office, gateway, django_capture_on_commit_callbacks
):
    from tickets.services import check_in_ticket

    showtime = starting_in(clock, minutes=90)
    reservation = buy(user, showtime, ["A1", "A2"])
    check_in_ticket(code=reservation.tickets.get(seat__label="A1").code)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(box_office).post(
            refund_url(reservation), {"reason": "sound failed"}
        )

    assert response.status_code == status.HTTP_200_OK, response.content
    assert response.json()["refund_amount"] == "10.00"
    states = seat_states(client_for(other_user), showtime)
    assert (states["A1"], states["A2"]) == ("sold", "available")
    assert reservation.tickets.get(seat__label="A1").is_void is False
    assert_money_holds(gateway, reservation)


def test_nothing_to_refund_on_a_hold(box_office, user, gateway):
    hold = ReservationFactory(user=user)

    response = client_for(box_office).post(refund_url(hold), {"reason": "why"})

    error_of(response, status.HTTP_409_CONFLICT, "nothing_to_refund")
    hold.refresh_from_db()
    assert hold.status == ReservationStatus.HELD


def test_old_rows_read_fee_zero(user, gateway):
    """The migration gives every existing reservation and seat a fee of 0.00."""
    reservation = buy(UserFactory(), ShowtimeFactory(), ["A1"])
    assert reservation.fee == Decimal("0.00")
    assert set(ReservedSeat.objects.values_list("fee", flat=True)) == {Decimal("0.00")}

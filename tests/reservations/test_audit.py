"""The audit trail: every state change appends one event, in the same transaction."""

from datetime import timedelta

import pytest
from django.db import transaction

from movie_api import middleware
from reservations import services
from reservations.exceptions import (
    HoldExpired,
    ReservationNotHeld,
    SeatsUnavailable,
    UnknownSeats,
)
from reservations.models import ReservationEvent, ReservationStatus
from reservations.services import cancellation
from tests.factories import ReservationFactory, ShowtimeFactory, UserFactory

pytestmark = pytest.mark.django_db


def iso(value) -> str:
    return value.isoformat().replace("+00:00", "Z")


def trail(reservation) -> list[tuple]:
    return [
        (e.action, e.from_status, e.to_status, e.actor_username)
        for e in ReservationEvent.objects.filter(reservation=reservation)
    ]


@pytest.fixture
def request_id():
    """Run the test as if inside a request whose X-Request-ID is "req-1"."""
    token = middleware._request_id.set("req-1")
    yield "req-1"
    middleware._request_id.reset(token)


def test_create_records_who_what_and_when(user, showtime, clock, request_id):
    reservation = services.create_reservation(
        user=user, showtime=showtime, labels=["C2", "A1"]
    )

    event = ReservationEvent.objects.get()
    assert event.reservation == reservation
    assert event.reservation_code == reservation.code
    assert event.action == "created"
    assert event.actor == user
    assert event.actor_username == user.username
    assert event.at == clock.now
    assert (event.from_status, event.to_status) == ("", "held")
    assert event.request_id == "req-1"
    assert event.details == {
        "showtime": showtime.pk,
        "seats": ["A1", "C2"],
        "total_price": "25.50",
        "expires_at": iso(clock.now + timedelta(seconds=600)),
    }


def test_outside_a_request_the_request_id_is_empty(user, showtime):
    services.create_reservation(user=user, showtime=showtime, labels=["A1"])

    assert ReservationEvent.objects.get().request_id == ""


def test_change_seats_records_before_and_after(user, staff, showtime, clock):
    reservation = services.create_reservation(
        user=user, showtime=showtime, labels=["A1", "A2"]
    )
    clock.advance(seconds=30)

    services.change_seats(reservation=reservation, labels=["A2", "C1"], actor=staff)

    event = ReservationEvent.objects.get(action="seats_changed")
    assert event.actor == staff
    assert event.at == clock.now
    assert (event.from_status, event.to_status) == ("held", "held")
    assert event.details == {
        "seats_before": ["A1", "A2"],
        "seats_after": ["A2", "C1"],
        "total_before": "20.00",
        "total_after": "25.50",
    }


def test_change_seats_without_actor_names_the_owner(user, showtime):
    reservation = services.create_reservation(
        user=user, showtime=showtime, labels=["A1"]
    )

    services.change_seats(reservation=reservation, labels=["A2"])

    assert ReservationEvent.objects.get(action="seats_changed").actor == user


def test_change_to_the_same_seats_records_nothing(user, showtime):
    reservation = services.create_reservation(
        user=user, showtime=showtime, labels=["A1", "A2"]
    )

    services.change_seats(reservation=reservation, labels=["A2", "A1"])

    assert trail(reservation) == [("created", "", "held", user.username)]


def test_purchase_records_amount_and_tickets(user, showtime, gateway, clock):
    reservation = services.create_reservation(
        user=user, showtime=showtime, labels=["A1", "C1"]
    )

    services.purchase_reservation(reservation=reservation, actor=user)

    event = ReservationEvent.objects.get(action="purchased")
    assert (event.from_status, event.to_status) == ("held", "confirmed")
    assert event.actor == user
    assert event.details == {
        "seats": ["A1", "C1"],
        "amount": "25.50",
        "payment_reference": gateway.charges[0].reference,
        "tickets": 2,
    }


def test_repeated_purchase_records_one_event(user, showtime, gateway):
    reservation = services.create_reservation(
        user=user, showtime=showtime, labels=["A1"]
    )
    services.purchase_reservation(reservation=reservation)
    services.purchase_reservation(reservation=reservation)

    assert ReservationEvent.objects.filter(action="purchased").count() == 1


def test_declined_payment_records_nothing(user, showtime):
    reservation = services.create_reservation(
        user=user, showtime=showtime, labels=["A1"]
    )

    with pytest.raises(Exception, match="declined"):
        services.purchase_reservation(
            reservation=reservation, payment_token="tok_declined"
        )

    assert [e[0] for e in trail(reservation)] == ["created"]


def test_cancel_hold_and_purchase_record_refund(user, staff, showtime, gateway):
    held = services.create_reservation(user=user, showtime=showtime, labels=["A1"])
    bought = services.purchase_reservation(
        reservation=services.create_reservation(
            user=user, showtime=showtime, labels=["B1", "B2"]
        )
    )

    services.cancel_reservation(reservation=held, actor=user)
    services.cancel_reservation(reservation=bought, actor=staff)

    first = ReservationEvent.objects.get(reservation=held, action="cancelled")
    assert (first.from_status, first.to_status, first.actor) == (
        "held",
        "cancelled",
        user,
    )
    assert first.details == {"seats": ["A1"], "refund_amount": "0.00"}
    second = ReservationEvent.objects.get(reservation=bought, action="cancelled")
    assert (second.from_status, second.actor) == ("confirmed", staff)
    assert second.details == {"seats": ["B1", "B2"], "refund_amount": "20.00"}


def test_refused_cancellation_records_nothing(user, showtime):
    reservation = services.create_reservation(
        user=user, showtime=showtime, labels=["A1"]
    )
    services.cancel_reservation(reservation=reservation, actor=user)

    with pytest.raises(Exception, match="already cancelled"):
        services.cancel_reservation(reservation=reservation, actor=user)

    assert [e[0] for e in trail(reservation)] == ["created", "cancelled"]


def test_lazy_expiry_in_someone_elses_booking_is_a_system_event(
    user, other_user, showtime, clock, request_id
):
    stale = services.create_reservation(user=user, showtime=showtime, labels=["A1"])
    clock.advance(seconds=601)

    services.create_reservation(user=other_user, showtime=showtime, labels=["A1"])

    event = ReservationEvent.objects.get(action="expired")
    assert event.reservation == stale
    assert event.actor is None
    assert event.actor_username == ""
    assert (event.from_status, event.to_status) == ("held", "expired")
    assert event.at == clock.now
    assert event.request_id == "req-1"  # the booking that released it
    assert event.details == {
        "seats": ["A1"],
        "expires_at": iso(stale.expires_at),
        "trigger": "lazy",
    }


def test_expiry_is_recorded_even_when_the_caller_gets_an_error(user, showtime, clock):
    reservation = services.create_reservation(
        user=user, showtime=showtime, labels=["A1"]
    )
    clock.advance(seconds=601)

    with pytest.raises(HoldExpired):
        services.change_seats(reservation=reservation, labels=["A2"])
    with pytest.raises(HoldExpired):
        services.purchase_reservation(reservation=reservation)

    assert trail(reservation) == [
        ("created", "", "held", user.username),
        ("expired", "held", "expired", ""),
    ]


def test_expired_hold_bought_after_lapse_records_expiry_once(
    user, showtime, clock, gateway
):
    reservation = services.create_reservation(
        user=user, showtime=showtime, labels=["A1"]
    )
    clock.advance(seconds=601)

    with pytest.raises(HoldExpired):
        services.purchase_reservation(reservation=reservation)

    assert [e[0] for e in trail(reservation)] == ["created", "expired"]
    assert gateway.charges == []


def test_sweep_records_each_expired_hold(user, other_user, showtime, clock):
    first = services.create_reservation(user=user, showtime=showtime, labels=["A1"])
    second = services.create_reservation(
        user=other_user, showtime=ShowtimeFactory(), labels=["A1", "A2"]
    )
    clock.advance(seconds=601)

    assert services.expire_holds() == 2

    events = ReservationEvent.objects.filter(action="expired").order_by("id")
    assert [(e.reservation, e.actor, e.request_id) for e in events] == [
        (first, None, ""),
        (second, None, ""),
    ]
    assert [e.details["seats"] for e in events] == [["A1"], ["A1", "A2"]]
    assert {e.details["trigger"] for e in events} == {"sweep"}
    assert services.expire_holds() == 0
    assert ReservationEvent.objects.filter(action="expired").count() == 2


def test_failed_create_records_nothing(user, other_user, showtime):
    services.create_reservation(user=other_user, showtime=showtime, labels=["A1"])

    with pytest.raises(SeatsUnavailable):
        services.create_reservation(user=user, showtime=showtime, labels=["A2", "A1"])
    with pytest.raises(UnknownSeats):
        services.create_reservation(user=user, showtime=showtime, labels=["Z9"])

    assert ReservationEvent.objects.count() == 1


def test_failed_change_records_nothing(user, other_user, showtime, gateway):
    services.create_reservation(user=other_user, showtime=showtime, labels=["A3"])
    reservation = services.create_reservation(
        user=user, showtime=showtime, labels=["A1"]
    )

    with pytest.raises(SeatsUnavailable):
        services.change_seats(reservation=reservation, labels=["A3"])
    services.purchase_reservation(reservation=reservation)
    with pytest.raises(ReservationNotHeld):
        services.change_seats(reservation=reservation, labels=["A2"])

    assert [e[0] for e in trail(reservation)] == ["created", "purchased"]


def test_an_error_after_the_write_rolls_the_event_back(user, showtime, monkeypatch):
    """Change and record commit together: an exception halfway leaves neither."""
    reservation = services.create_reservation(
        user=user, showtime=showtime, labels=["A1"]
    )
    real = cancellation.record_event

    def record_then_fail(**fields):
        real(**fields)
        raise RuntimeError("crash after the audit row")

    monkeypatch.setattr(cancellation, "record_event", record_then_fail)

    with pytest.raises(RuntimeError):
        services.cancel_reservation(reservation=reservation, actor=user)

    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.HELD
    assert [e[0] for e in trail(reservation)] == ["created"]


def test_record_check_in_names_the_seat_not_the_code(
    user, box_office, showtime, gateway, clock
):
    reservation = services.purchase_reservation(
        reservation=services.create_reservation(
            user=user, showtime=showtime, labels=["B4"]
        )
    )
    ticket = reservation.tickets.select_related("reservation", "seat").get()

    with transaction.atomic():
        event = services.record_check_in(ticket=ticket, actor=box_office)

    event.refresh_from_db()
    assert event.action == "checked_in"
    assert (event.from_status, event.to_status) == ("confirmed", "confirmed")
    assert event.actor == box_office
    assert event.at == clock.now
    assert event.details == {"ticket": ticket.pk, "seat": "B4"}
    assert ticket.code not in str(event.details)


@pytest.mark.django_db(transaction=True)
def test_record_check_in_refuses_to_run_outside_a_transaction(showtime, gateway):
    reservation = ReservationFactory(showtime=showtime, purchased=True)

    with pytest.raises(RuntimeError, match="inside the check-in transaction"):
        services.record_check_in(
            ticket=reservation.tickets.get(), actor=UserFactory(is_staff=True)
        )

    assert not ReservationEvent.objects.filter(action="checked_in").exists()


def test_events_outlive_their_actor(user, showtime):
    clerk = UserFactory(is_staff=True)
    reservation = services.create_reservation(
        user=user, showtime=showtime, labels=["A1"]
    )
    services.cancel_reservation(reservation=reservation, actor=clerk)

    clerk.delete()

    event = ReservationEvent.objects.get(action="cancelled")
    assert event.actor is None
    assert event.actor_username == clerk.username


def test_full_lifecycle_reads_in_order(user, showtime, gateway, clock):
    reservation = services.create_reservation(
        user=user, showtime=showtime, labels=["A1"]
    )
    services.change_seats(reservation=reservation, labels=["A1", "A2"])
    services.purchase_reservation(reservation=reservation)
    services.cancel_reservation(reservation=reservation, actor=user)

    assert [e[:3] for e in trail(reservation)] == [
        ("created", "", "held"),
        ("seats_changed", "held", "held"),
        ("purchased", "held", "confirmed"),
        ("cancelled", "confirmed", "cancelled"),
    ]
    cancelled = ReservationEvent.objects.get(action="cancelled")
    assert cancelled.details["refund_amount"] == "20.00"

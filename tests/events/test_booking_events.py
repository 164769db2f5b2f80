"""The booking services publish their events in the booking's own transaction."""

from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import Event
from events.types import EVENT_TYPES
from reservations import services as booking
from reservations.models import Reservation
from showtimes.services import update_showtime
from tests.factories import ShowtimeFactory
from tickets.services import check_in_ticket

pytestmark = pytest.mark.django_db

KEYS = {"reservation_id", "showtime_id", "status", "previous_status"}


def events(type_=None):
    found = Event.objects.order_by("created", "type")
    return list(found.filter(type=type_) if type_ else found)


@pytest.fixture
def soon(db):
    return ShowtimeFactory(starts_at=timezone.now() + timedelta(hours=1))


def test_hold_purchase_check_in_and_cancel_publish_one_event_each(user, staff, soon):
    reservation = booking.create_reservation(
        user=user, showtime=soon, labels=["A2", "A1"]
    )
    booking.purchase_reservation(reservation=reservation)
    ticket = reservation.tickets.order_by("seat__label").first()
    check_in_ticket(code=ticket.code, actor=staff)
    booking.cancel_reservation(reservation=reservation, actor=staff)

    published = {event.type: event.data for event in events()}
    assert Event.objects.count() == 4
    assert set(published) == {
        "reservation.held",
        "reservation.confirmed",
        "ticket.checked_in",
        "reservation.cancelled",
    }
    ids = {"reservation_id": reservation.pk, "showtime_id": soon.pk}
    held = published["reservation.held"]
    assert held == {
        **ids,
        "status": "held",
        "previous_status": "",
        "seats": ["A1", "A2"],
        "expires_at": held["expires_at"],
    }
    assert published["reservation.confirmed"] == {
        **ids,
        "status": "confirmed",
        "previous_status": "held",
        "seats": ["A1", "A2"],
        "amount": str(Reservation.objects.get().total_price),
    }
    assert published["ticket.checked_in"] == {
        **ids,
        "status": "confirmed",
        "previous_status": "confirmed",
        "ticket_id": ticket.pk,
        "seat": ticket.seat.label,
    }
    cancelled = published["reservation.cancelled"]
    assert cancelled.keys() >= KEYS | {"refund_amount", "seats"}
    assert cancelled["status"] == "cancelled"
    assert set(published) <= set(EVENT_TYPES)


def test_no_personal_data_in_any_event(user, soon):
    user.email = "buyer@example.com"
    user.save()
    reservation = booking.create_reservation(user=user, showtime=soon, labels=["A1"])
    booking.purchase_reservation(reservation=reservation)

    for event in events():
        assert set(event.data) <= KEYS | {"seats", "expires_at", "amount"}
        text = repr(event.data)
        assert user.username not in text
        assert user.email not in text
        assert reservation.code not in text  # the code opens the booking


def test_expired_holds_publish_one_event_each_through_the_bulk_path(
    user, other_user, soon
):
    first = booking.create_reservation(user=user, showtime=soon, labels=["A1"])
    second = booking.create_reservation(user=other_user, showtime=soon, labels=["A2"])

    later = timezone.now() + timedelta(hours=2)
    assert booking.expire_holds(now=later) == 2

    expired = events("reservation.expired")
    assert sorted(event.data["reservation_id"] for event in expired) == [
        first.pk,
        second.pk,
    ]
    assert all(event.data["status"] == "expired" for event in expired)
    assert all(event.created == later for event in expired)
    assert len({event.pk for event in expired}) == 2


def test_a_failed_booking_publishes_nothing(user, other_user, soon):
    booking.create_reservation(user=user, showtime=soon, labels=["A1"])
    with pytest.raises(Exception):  # noqa: B017,PT011 - the seat is taken
        booking.create_reservation(user=other_user, showtime=soon, labels=["A1"])

    assert [event.type for event in events()] == ["reservation.held"]


def test_cancelling_a_showtime_publishes_showtime_cancelled_once(manager, soon):
    update_showtime(showtime=soon, actor=manager, is_cancelled=True)
    update_showtime(showtime=soon, actor=manager, is_cancelled=True)

    (event,) = events("showtime.cancelled")
    assert event.data == {
        "showtime_id": soon.pk,
        "movie_id": soon.movie_id,
        "screen_id": soon.screen_id,
        "starts_at": soon.starts_at.isoformat().replace("+00:00", "Z"),
    }

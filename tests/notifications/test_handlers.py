"""Which outbox events become emails (notifications.handlers), called directly."""

import pytest

from events.models import Event
from notifications.handlers import on_refund, on_reservation_confirmed
from notifications.models import Email, EmailKind
from reservations import services as booking
from tests.factories import ShowtimeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reservation():
    buyer = UserFactory(email="ada@example.com")
    hold = booking.create_reservation(
        user=buyer, showtime=ShowtimeFactory(), labels=["A1", "A2"]
    )
    return booking.purchase_reservation(reservation=hold)


def event(type_, reservation, **data):
    return Event(type=type_, data={"reservation_id": reservation.pk, **data})


@pytest.mark.parametrize(
    ("data", "emailed"),
    [
        # a purchase cancelled in full (main's cancellation)
        ({"previous_status": "confirmed", "status": "cancelled"}, True),
        # ... even when nothing could be refunded (every ticket used): it says so
        ({"previous_status": "confirmed", "refund_amount": "0.00"}, True),
        # a fee kept at cancellation refunded later by staff
        ({"previous_status": "cancelled", "refund_amount": "2.50"}, True),
        # a hold cancelled: nothing was paid
        ({"previous_status": "held", "refund_amount": "0.00"}, False),
        ({"previous_status": "held"}, False),
    ],
)
def test_refund_emails_follow_what_was_paid_and_refunded(reservation, data, emailed):
    on_refund(event("reservation.cancelled", reservation, **data))

    assert Email.objects.filter(kind=EmailKind.REFUND).exists() is emailed


def test_refund_email_keeps_what_the_event_said(reservation):
    cancelled = event(
        "reservation.cancelled",
        reservation,
        previous_status="confirmed",
        status="cancelled",
        seats=["A1", "A2"],
        refund_amount="20.00",
        showtime_id=reservation.showtime_id,
    )

    on_refund(cancelled)

    email = Email.objects.get()
    assert email.event_id == str(cancelled.id)
    assert email.details == {
        "status": "cancelled",
        "seats": ["A1", "A2"],
        "refund_amount": "20.00",
    }


def test_confirmation_of_a_deleted_reservation_is_skipped(reservation):
    gone = event("reservation.confirmed", reservation)
    gone.data["reservation_id"] = reservation.pk + 1000

    on_reservation_confirmed(gone)

    assert not Email.objects.exists()

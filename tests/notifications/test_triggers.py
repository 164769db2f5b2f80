"""The booking emails as a buyer gets them: triggered by the outbox events of a
purchase or a cancellation over the API, sent through a real SMTP server.

Transactional tests: the purchase commits, its ``reservation.confirmed`` event is
dispatched on commit, the handler records the email and its task sends it (the
immediate task backend runs each step as it is enqueued).
"""

from decimal import Decimal

import pytest
from django.core.management import call_command
from rest_framework import status

from events import services as events
from events.models import Event
from notifications.models import Email, EmailKind, EmailStatus
from reservations.models import Reservation
from tests.factories import UserFactory

from .test_emails import ZONES, showtime_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def buyer():
    return UserFactory(username="ada", email="ada@example.com")


def hold(client, showtime, seats=("A1", "A2")) -> int:
    response = client.post(
        "/api/reservations/",
        {"showtime": showtime.pk, "seats": list(seats)},
        format="json",
    )
    assert response.status_code == status.HTTP_201_CREATED, response.json()
    return response.json()["id"]


def purchase(client, reservation_id):
    return client.post(
        f"/api/reservations/{reservation_id}/purchase/",
        {"payment_token": "tok_visa"},
        format="json",
    )


def test_purchase_emails_the_buyer_once(smtp_server, buyer, client_for):
    client = client_for(buyer)
    showtime = showtime_in("berlin")
    reservation_id = hold(client, showtime)

    response = purchase(client, reservation_id)

    assert response.status_code == status.HTTP_200_OK
    reservation = Reservation.objects.get(pk=reservation_id)
    (envelope,) = smtp_server.received
    assert envelope.rcpt_tos == ["ada@example.com"]
    (message,) = smtp_server.messages()
    assert message["Subject"].startswith(f"Your tickets: {showtime.movie.title}, ")
    assert reservation.code in message["Subject"]
    assert f"{ZONES['berlin'][3]:%H:%M}" in message["Subject"]
    confirmed = Event.objects.get(type="reservation.confirmed")
    email = Email.objects.get()
    assert (email.kind, email.status, email.event_id) == (
        EmailKind.CONFIRMATION,
        EmailStatus.SENT,
        str(confirmed.id),
    )
    assert "notifications.confirmation_email" in confirmed.handled


def test_redelivered_event_sends_nothing_twice(smtp_server, buyer, client_for):
    """At least once: the same event dispatched again (a sweep after a crash that
    lost the dispatch's commit) finds the email recorded and sends no second one."""
    client = client_for(buyer)
    purchase(client, hold(client, showtime_in("berlin")))
    confirmed = Event.objects.get(type="reservation.confirmed")
    Event.objects.filter(pk=confirmed.pk).update(dispatched_at=None, handled=[])

    again = events.dispatch(confirmed.pk)

    assert again.dispatched_at is not None
    assert "notifications.confirmation_email" in again.handled
    assert len(smtp_server.received) == 1
    assert Email.objects.count() == 1


def test_cancelling_a_purchase_emails_the_refund(smtp_server, buyer, client_for):
    client = client_for(buyer)
    reservation_id = hold(client, showtime_in("new_york"))
    purchase(client, reservation_id)

    response = client.delete(f"/api/reservations/{reservation_id}/")

    assert response.status_code == status.HTTP_204_NO_CONTENT
    reservation = Reservation.objects.get(pk=reservation_id)
    assert reservation.refund_amount == reservation.amount_paid
    confirmation, refund = smtp_server.messages()
    assert confirmation["Subject"].startswith("Your tickets: ")
    assert refund["To"] == "ada@example.com"
    assert refund["Subject"].startswith(f"Refund of {reservation.refund_amount} USD: ")
    text = refund.get_body(preferencelist=("plain",)).get_content()
    assert f"Refunded: {reservation.refund_amount} USD" in text
    assert "Seats:    A1, A2" in text
    cancelled = Event.objects.get(type="reservation.cancelled")
    assert Email.objects.get(kind=EmailKind.REFUND).event_id == str(cancelled.id)


def test_seats_given_back_then_a_full_refund_email_each_refund(
    smtp_server, buyer, box_office, client_for
):
    """Per-seat cancellation and a box-office refund in full are refunds too: one
    email each, saying what that step refunded."""
    client = client_for(buyer)
    reservation_id = hold(client, showtime_in("berlin"), seats=("A1", "A2", "A3"))
    purchase(client, reservation_id)

    given_back = client.post(
        f"/api/reservations/{reservation_id}/cancel-seats/",
        {"seats": ["A2"]},
        format="json",
    )
    full = client_for(box_office).post(
        f"/api/reservations/{reservation_id}/refund/",
        {"reason": "projector failed"},
        format="json",
    )

    assert given_back.status_code == full.status_code == status.HTTP_200_OK
    seats_event = Event.objects.get(type="reservation.seats_cancelled")
    refunded_event = Event.objects.get(type="reservation.refunded")
    first, second = (
        Decimal(seats_event.data["refund_amount"]),
        Decimal(refunded_event.data["refund_amount"]),
    )
    reservation = Reservation.objects.get(pk=reservation_id)
    assert first + second == reservation.refund_amount == reservation.amount_paid
    _, partial, whole = smtp_server.messages()
    assert partial["Subject"].startswith(f"Refund of {first} EUR: ")
    assert whole["Subject"].startswith(f"Refund of {second} EUR: ")
    assert {e.event_id for e in Email.objects.filter(kind=EmailKind.REFUND)} == {
        str(seats_event.id),
        str(refunded_event.id),
    }


def test_holds_send_no_email(smtp_server, buyer, client_for):
    """Holding and cancelling a hold: nothing was bought, nothing is refunded."""
    client = client_for(buyer)
    reservation_id = hold(client, showtime_in("berlin"))

    response = client.delete(f"/api/reservations/{reservation_id}/")

    assert response.status_code == status.HTTP_204_NO_CONTENT
    assert Event.objects.filter(type="reservation.cancelled").exists()
    assert smtp_server.received == []
    assert not Email.objects.exists()


def test_smtp_down_the_purchase_still_answers_200(smtp_down, settings, client_for):
    """The mail server refuses connections: the email is tried
    EMAIL_MAX_ATTEMPTS times and marked failed; the purchase is confirmed and
    answered as if nothing happened, and the event counts as handled."""
    settings.EMAIL_MAX_ATTEMPTS = 2
    client = client_for(UserFactory(email="ada@example.com"))
    reservation_id = hold(client, showtime_in("berlin"))

    response = purchase(client, reservation_id)

    assert response.status_code == status.HTTP_200_OK
    assert response.json()["status"] == "confirmed"
    assert client.get(f"/api/reservations/{reservation_id}/").json()["status"] == (
        "confirmed"
    )
    email = Email.objects.get()
    assert (email.status, email.attempts) == (EmailStatus.FAILED, 2)
    assert email.last_error.startswith("ConnectionRefusedError")
    assert Event.objects.get(type="reservation.confirmed").dispatched_at is not None


def test_on_the_database_queue_a_worker_sends_it(smtp_server, settings, client_for):
    """The production path: the purchase commits its event, a worker
    (``manage.py db_worker``) dispatches it, which queues the email, and sends it.
    The purchase answered before any of it."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client = client_for(UserFactory(email="ada@example.com"))
    reservation_id = hold(client, showtime_in("berlin"))

    response = purchase(client, reservation_id)

    assert response.status_code == status.HTTP_200_OK
    assert smtp_server.received == []
    assert not Email.objects.exists()

    call_command("db_worker", "--batch", "--interval", "0", "--no-startup-delay")

    (message,) = smtp_server.messages()
    assert Reservation.objects.get(pk=reservation_id).code in message["Subject"]
    assert Email.objects.get().status == EmailStatus.SENT

"""Booking emails through a real SMTP server: what the buyer receives.

Each test sends over a socket to aiosmtpd and parses the MIME message it got:
recipients, subject, the plain-text and HTML parts, the inline QR images (decoded
back to the ticket codes) and the .ics file (parsed, in the theater's time zone).
"""

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from notifications.models import Email, EmailKind, EmailStatus
from notifications.services import queue_email
from reservations import services as booking
from reservations.models import Reservation
from tests.factories import ScreenFactory, ShowtimeFactory, TheaterFactory, UserFactory

from .conftest import calendar_of, decode_qr_png, inline_images

pytestmark = pytest.mark.django_db

NEXT_YEAR = timezone.now().year + 1
# (zone, show start in UTC, the same instant on the theater's clocks)
ZONES = {
    # Summer in Berlin: UTC+2 (CEST).
    "berlin": (
        "Europe/Berlin",
        "EUR",
        datetime(NEXT_YEAR, 7, 10, 18, 0, tzinfo=UTC),
        datetime(NEXT_YEAR, 7, 10, 20, 0),
    ),
    # Winter in New York: UTC-5 (EST); the UTC date is a day later than the local one.
    "new_york": (
        "America/New_York",
        "USD",
        datetime(NEXT_YEAR, 1, 15, 1, 30, tzinfo=UTC),
        datetime(NEXT_YEAR, 1, 14, 20, 30),
    ),
}


def showtime_in(zone_key: str):
    zone, currency, starts_at, _ = ZONES[zone_key]
    theater = TheaterFactory(
        name="Kino am Park",
        location="Parkstraße 5",
        city="Berlin" if zone_key == "berlin" else "New York",
        timezone=zone,
        currency=currency,
    )
    return ShowtimeFactory(screen=ScreenFactory(theater=theater), starts_at=starts_at)


def bought(user, showtime, labels=("A1", "A2")) -> Reservation:
    reservation = booking.create_reservation(
        user=user, showtime=showtime, labels=list(labels)
    )
    return booking.purchase_reservation(reservation=reservation)


def send(kind, reservation, capture, **kwargs) -> Email | None:
    with capture(execute=True):
        email = queue_email(kind=kind, reservation_id=reservation.pk, **kwargs)
    if email is not None:
        email.refresh_from_db()
    return email


@pytest.fixture
def buyer(db):
    return UserFactory(username="ada", email="ada@example.com")


@pytest.mark.parametrize("zone_key", ["berlin", "new_york"])
def test_confirmation_email_has_both_parts_qr_codes_and_local_calendar_entry(
    smtp_server, buyer, zone_key, django_capture_on_commit_callbacks
):
    zone, currency, starts_at, local_start = ZONES[zone_key]
    showtime = showtime_in(zone_key)
    reservation = bought(buyer, showtime)
    tickets = {t.seat.label: t.code for t in reservation.tickets.all()}

    email = send(
        EmailKind.CONFIRMATION, reservation, django_capture_on_commit_callbacks
    )

    (envelope,) = smtp_server.received
    assert envelope.mail_from == "tickets@cinema.example"
    assert envelope.rcpt_tos == ["ada@example.com"]
    (message,) = smtp_server.messages()
    assert message["To"] == "ada@example.com"
    assert message["From"] == "Tickets <tickets@cinema.example>"
    local = (
        f"{local_start:%a} {local_start.day} {local_start:%b %Y} {local_start:%H:%M}"
    )
    assert message["Subject"] == (
        f"Your tickets: {showtime.movie.title}, {local} ({reservation.code})"
    )
    assert message.get_content_type() == "multipart/mixed"
    assert message["Message-ID"] == email.message_id

    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    paid = f"{reservation.amount_paid} {currency}"
    for part in (text, html):
        assert showtime.movie.title in part
        assert "Kino am Park" in part
        assert "Parkstraße 5" in part
        assert reservation.code in part
        assert paid in part
        assert f"{local_start:%H:%M}" in part
        for label, code in tickets.items():
            assert f"Seat {label}" in part
            assert code in part

    # Every ticket's QR code is an inline PNG the HTML points at, and reads back
    # as that ticket's code.
    images = inline_images(message)
    assert len(images) == len(tickets) == 2
    for cid, _png in images.items():
        assert f'src="cid:{cid}"' in html
    assert sorted(code for png in images.values() for code in decode_qr_png(png)) == (
        sorted(tickets.values())
    )
    related = message.get_body(preferencelist=("related",))
    assert related.get_content_type() == "multipart/related"

    calendar = calendar_of(message)
    (event,) = calendar.events
    assert str(event["UID"]) == f"reservation-{reservation.code}@movie-api"
    assert event.start == local_start.replace(tzinfo=ZoneInfo(zone))
    assert event.start.tzinfo.key == zone
    assert event.start.utcoffset() == starts_at.astimezone(ZoneInfo(zone)).utcoffset()
    assert event.start == starts_at
    assert event.end == showtime.ends_at
    assert event.end.tzinfo.key == zone
    assert "Kino am Park" in str(event["LOCATION"])
    assert "Parkstraße 5" in str(event["LOCATION"])
    assert showtime.movie.title in str(event["SUMMARY"])
    assert [tz.tz_name for tz in calendar.timezones] == [zone]

    assert (email.status, email.attempts, email.to) == (
        EmailStatus.SENT,
        1,
        "ada@example.com",
    )
    assert email.sent_at is not None
    assert email.subject == message["Subject"]


def test_calendar_uid_is_stable_across_sends(
    smtp_server, buyer, django_capture_on_commit_callbacks
):
    """Two sends of one booking (a resend by staff, a second device) describe one
    calendar event: the UID depends on the reservation only."""
    reservation = bought(buyer, showtime_in("berlin"))
    send(EmailKind.CONFIRMATION, reservation, django_capture_on_commit_callbacks)
    Email.objects.all().delete()
    send(EmailKind.CONFIRMATION, reservation, django_capture_on_commit_callbacks)

    uids = {str(calendar_of(m).events[0]["UID"]) for m in smtp_server.messages()}
    assert uids == {f"reservation-{reservation.code}@movie-api"}


def test_confirmation_lists_only_valid_tickets(
    smtp_server, buyer, django_capture_on_commit_callbacks
):
    reservation = bought(buyer, showtime_in("berlin"), labels=["B1", "B2", "B3"])
    void = reservation.tickets.get(seat__label="B2")
    void.is_void = True
    void.save(update_fields=["is_void"])

    send(EmailKind.CONFIRMATION, reservation, django_capture_on_commit_callbacks)

    (message,) = smtp_server.messages()
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Seat B1" in text
    assert "Seat B3" in text
    assert "Seat B2" not in text
    assert void.code not in text
    assert len(inline_images(message)) == 2


def test_refund_email_says_amount_currency_and_seats(
    smtp_server, buyer, django_capture_on_commit_callbacks
):
    reservation = bought(buyer, showtime_in("berlin"))
    reservation = booking.cancel_reservation(reservation=reservation, actor=buyer)
    assert reservation.refund_amount == reservation.amount_paid == Decimal("20.00")

    send(EmailKind.REFUND, reservation, django_capture_on_commit_callbacks)

    (envelope,) = smtp_server.received
    assert envelope.rcpt_tos == ["ada@example.com"]
    (message,) = smtp_server.messages()
    assert message["Subject"].startswith("Refund of 20.00 EUR: ")
    assert reservation.code in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Refunded: 20.00 EUR" in text
    assert "Seats:    A1, A2" in text
    assert "<td><strong>20.00 EUR</strong></td>" in html
    assert "<td>A1, A2</td>" in html
    assert "your booking was cancelled" in text
    assert not list(message.iter_attachments())


def test_refund_email_reads_the_refund_from_the_reservation(
    smtp_server, buyer, staff, django_capture_on_commit_callbacks
):
    """Staff cancel after one ticket was used: the email says what the booking
    service refunded (the unused seat), and names the used seat apart."""
    reservation = bought(buyer, showtime_in("berlin"))
    reservation.tickets.filter(seat__label="A1").update(checked_in_at=timezone.now())
    reservation = booking.cancel_reservation(reservation=reservation, actor=staff)
    assert reservation.refund_amount == Decimal("10.00")

    send(EmailKind.REFUND, reservation, django_capture_on_commit_callbacks)

    (message,) = smtp_server.messages()
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Seats:    A2" in text
    assert "Used (not refunded): A1" in text
    assert "Paid:     20.00 EUR" in text
    assert "Refunded: 10.00 EUR" in text
    assert message["Subject"].startswith("Refund of 10.00 EUR: ")


def test_refund_email_for_a_cancelled_show_says_so(
    smtp_server, buyer, staff, django_capture_on_commit_callbacks
):
    showtime = showtime_in("new_york")
    reservation = bought(buyer, showtime)
    showtime.is_cancelled = True
    showtime.save(update_fields=["is_cancelled"])
    reservation = booking.cancel_reservation(reservation=reservation, actor=buyer)

    send(EmailKind.REFUND, reservation, django_capture_on_commit_callbacks)

    (message,) = smtp_server.messages()
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "the cinema cancelled this show" in text
    assert "Refunded: 20.00 USD" in text


def test_nothing_to_say_sends_nothing(
    smtp_server, buyer, django_capture_on_commit_callbacks
):
    """No confirmation for an unpaid hold, no refund email for a cancelled hold,
    and no email at all to an account without an address."""
    showtime = showtime_in("berlin")
    hold = booking.create_reservation(user=buyer, showtime=showtime, labels=["C1"])
    assert (
        send(EmailKind.CONFIRMATION, hold, django_capture_on_commit_callbacks) is None
    )
    booking.cancel_reservation(reservation=hold, actor=buyer)
    assert send(EmailKind.REFUND, hold, django_capture_on_commit_callbacks) is None
    silent = bought(UserFactory(email=""), showtime, labels=["C2"])
    assert (
        send(EmailKind.CONFIRMATION, silent, django_capture_on_commit_callbacks) is None
    )

    assert not Email.objects.exists()
    assert smtp_server.received == []


def test_a_second_trigger_sends_nothing_twice(
    smtp_server, buyer, django_capture_on_commit_callbacks
):
    """An at-least-once redelivery of the same event: one row, one message."""
    reservation = bought(buyer, showtime_in("berlin"))

    first = send(
        EmailKind.CONFIRMATION,
        reservation,
        django_capture_on_commit_callbacks,
        event_id="e1",
    )
    again = send(
        EmailKind.CONFIRMATION,
        reservation,
        django_capture_on_commit_callbacks,
        event_id="e1",
    )

    assert first.pk == again.pk
    assert again.status == EmailStatus.SENT
    assert Email.objects.count() == 1
    assert len(smtp_server.received) == 1
    assert again.event_id == "e1"


def test_catalogue_text_is_escaped_in_html_and_kept_on_one_subject_line(
    smtp_server, buyer, django_capture_on_commit_callbacks
):
    """A film title with markup and a line break (catalogue managers type it):
    escaped in the HTML part, plain in the text part, one line in the subject
    (a header with a line break would be refused, or worse, inject a header)."""
    showtime = showtime_in("berlin")
    showtime.movie.title = "<b>Bold</b> & Co\nBcc: victim@example.com"
    showtime.movie.save(update_fields=["title"])
    reservation = bought(buyer, showtime)

    send(EmailKind.CONFIRMATION, reservation, django_capture_on_commit_callbacks)

    (envelope,) = smtp_server.received
    assert envelope.rcpt_tos == ["ada@example.com"]
    (message,) = smtp_server.messages()
    assert message["Bcc"] is None
    assert message["Subject"].startswith(
        "Your tickets: <b>Bold</b> & Co Bcc: victim@example.com, "
    )
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; Co" in html
    assert "<b>Bold</b>" not in html
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "<b>Bold</b> & Co" in text


def test_each_refund_event_gets_its_own_email_with_what_it_refunded(
    smtp_server, buyer, django_capture_on_commit_callbacks
):
    """Seats given back one by one, each with a fee (the data of the event that
    triggered it): one email per refund, each saying that refund's amount, fee and
    seats, never the running total. A redelivery of either sends nothing more."""
    reservation = bought(buyer, showtime_in("berlin"), labels=["A1", "A2", "A3"])
    partial = {"refund_amount": "7.50", "seats": ["A2"], "status": "confirmed"}

    send(
        EmailKind.REFUND,
        reservation,
        django_capture_on_commit_callbacks,
        event_id="evt-1",
        details=partial | {"fee": "2.50"},
    )
    send(
        EmailKind.REFUND,
        reservation,
        django_capture_on_commit_callbacks,
        event_id="evt-2",
        details={
            "refund_amount": "20.00",
            "seats": ["A1", "A3"],
            "status": "cancelled",
        },
    )
    send(
        EmailKind.REFUND,
        reservation,
        django_capture_on_commit_callbacks,
        event_id="evt-1",
        details=partial,
    )

    first, second = smtp_server.messages()
    assert first["Subject"].startswith("Refund of 7.50 EUR: ")
    text = first.get_body(preferencelist=("plain",)).get_content()
    assert "some seats of your booking were cancelled" in text
    assert "Seats:    A2\r\n" in text
    assert "Fee:      2.50 EUR" in text
    assert "Refunded: 7.50 EUR" in text
    assert "<td>2.50 EUR</td>" in first.get_body(preferencelist=("html",)).get_content()
    assert second["Subject"].startswith("Refund of 20.00 EUR: ")
    text = second.get_body(preferencelist=("plain",)).get_content()
    assert "your booking was cancelled" in text
    assert "Seats:    A1, A3\r\n" in text
    assert "Fee:" not in text
    assert Email.objects.filter(kind=EmailKind.REFUND).count() == 2

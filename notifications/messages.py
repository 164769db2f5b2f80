"""Building the emails: plain text and HTML from templates, each ticket's QR code as
an inline PNG, and the showtime as an iCalendar (.ics) file.

Pure reads: a builder takes a reservation id, reads what it needs in a few queries
and returns an unsent ``EmailMultiAlternatives``. MIME layout of a confirmation::

    multipart/mixed
      multipart/alternative
        text/plain
        multipart/related
          text/html           <img src="cid:qr1.CODE@movie-api">
          image/png           Content-ID <qr1.CODE@movie-api>, one per ticket
      text/calendar           showtime.ics (an attachment)

Inline images referenced by ``cid:`` are what mail clients show without asking
to load remote content, and the email carries no login-protected URL.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from email.mime.base import MIMEBase
from email.mime.image import MIMEImage

import icalendar
import segno
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEMultipart, SafeMIMEText
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone

from movie_api.business_day import local_time
from reservations.models import (
    Reservation,
    ReservationStatus,
    ReservedSeat,
    Ticket,
)

# The iCalendar UID's right-hand side: with the reservation code it names the
# event for good, so a calendar that imports the file twice keeps one event.
UID_DOMAIN = "movie-api"
PRODID = "-//movie_api//booking email//EN"


@dataclass(frozen=True)
class InlineImage:
    cid: str
    png: bytes
    filename: str


class RelatedEmail(EmailMultiAlternatives):
    """An email whose HTML alternative carries images of its own (multipart/related).

    Django puts alternatives side by side; here the HTML part and ``inline_images``
    are wrapped in one ``multipart/related`` so that ``cid:`` references resolve.
    """

    def __init__(self, *args, inline_images: list[InlineImage], **kwargs):
        super().__init__(*args, **kwargs)
        self.inline_images = inline_images

    def _create_mime_attachment(self, content, mimetype):
        if mimetype != "text/html" or not self.inline_images:
            return super()._create_mime_attachment(content, mimetype)
        related = SafeMIMEMultipart(
            _subtype="related", encoding=self.encoding or settings.DEFAULT_CHARSET
        )
        related.attach(super()._create_mime_attachment(content, mimetype))
        for image in self.inline_images:
            part = MIMEImage(image.png, "png")
            part["Content-ID"] = f"<{image.cid}>"
            part.add_header(
                "Content-Disposition", "inline", filename=f"{image.cid}.png"
            )
            related.attach(part)
        return related


def qr_png(code: str) -> bytes:
    """The ticket code as a QR code PNG (segno writes PNG without Pillow)."""
    buffer = io.BytesIO()
    segno.make(code, error="m", micro=False).save(
        buffer, kind="png", scale=6, border=4, dark="#000", light="#fff"
    )
    return buffer.getvalue()


def _reservation(reservation_id: int) -> Reservation:
    return (
        Reservation.objects.select_related(
            "user", "showtime__movie", "showtime__screen__theater"
        )
        .prefetch_related(
            Prefetch(
                "tickets",
                queryset=Ticket.objects.select_related("seat").order_by("seat_id"),
            ),
            Prefetch(
                "reserved_seats",
                queryset=ReservedSeat.objects.select_related("seat", "ticket_type"),
            ),
        )
        .get(pk=reservation_id)
    )


def _showtime_context(reservation: Reservation) -> dict:
    showtime = reservation.showtime
    theater = showtime.screen.theater
    starts = local_time(showtime.starts_at, theater.timezone)
    ends = local_time(showtime.ends_at, theater.timezone)
    return {
        "reservation": reservation,
        "movie": showtime.movie,
        "theater": theater,
        "address": address_of(theater),
        "screen": showtime.screen,
        "starts": starts,
        "ends": ends,
        "when": f"{_day(starts)}, {starts:%H:%M} to {ends:%H:%M} {starts:%Z}",
        "currency": theater.currency,
    }


def _day(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%b %Y}"


def address_of(theater) -> str:
    if theater.city and theater.city not in theater.location:
        return f"{theater.location}, {theater.city}"
    return theater.location


def one_line(text: str) -> str:
    """A header value: catalogue text with a line break would make Django refuse
    the whole message (header injection guard), so whitespace runs become one space."""
    return " ".join(text.split())


def _money(amount: Decimal | None, currency: str) -> str:
    return f"{amount if amount is not None else Decimal('0.00'):.2f} {currency}"


def confirmation_message(reservation_id: int) -> RelatedEmail:
    """The purchase confirmation: every ticket with its QR code, and the .ics."""
    reservation = _reservation(reservation_id)
    context = _showtime_context(reservation)
    ticket_types = {
        row.seat_id: row.ticket_type.name if row.ticket_type else "Adult"
        for row in reservation.reserved_seats.all()
    }
    tickets = [
        {
            "seat": ticket.seat.label,
            "ticket_type": ticket_types.get(ticket.seat_id, ""),
            "code": ticket.code,
            "cid": f"qr{n}.{reservation.code}@{UID_DOMAIN}",
        }
        for n, ticket in enumerate(reservation.tickets.all(), start=1)
        if not ticket.is_void
    ]
    context |= {
        "tickets": tickets,
        "paid": _money(reservation.amount_paid, context["currency"]),
    }
    subject = one_line(
        f"Your tickets: {context['movie'].title}, {_day(context['starts'])} "
        f"{context['starts']:%H:%M} ({reservation.code})"
    )
    message = RelatedEmail(
        subject=subject,
        body=render_to_string("notifications/confirmation.txt", context),
        to=[reservation.user.email],
        inline_images=[
            InlineImage(
                cid=t["cid"], png=qr_png(t["code"]), filename=f"ticket-{t['seat']}.png"
            )
            for t in tickets
        ],
    )
    message.attach_alternative(
        render_to_string("notifications/confirmation.html", context), "text/html"
    )
    message.attach(calendar_part(reservation, context))
    return message


def refund_message(reservation_id: int, details: dict) -> RelatedEmail:
    """What one refund gave back, as the booking recorded it (``details``: the
    triggering event's ``refund_amount``, ``seats``, ``status`` and ``fee`` if
    any): the amount, the currency and the seats. Nothing is recomputed here; a
    seat whose ticket was used is named apart, as it is never refunded."""
    reservation = _reservation(reservation_id)
    context = _showtime_context(reservation)
    seats = list(details.get("seats", []))
    used = {
        ticket.seat.label
        for ticket in reservation.tickets.all()
        if ticket.checked_in_at is not None and ticket.seat.label in seats
    }
    currency = context["currency"]
    amount = details.get("refund_amount", reservation.refund_amount)
    fee = details.get("fee")
    context |= {
        "seats": [label for label in seats if label not in used],
        "used_seats": sorted(used),
        "refunded": _money(
            Decimal(str(amount)) if amount is not None else None, currency
        ),
        "fee": _money(Decimal(str(fee)), currency)
        if fee and Decimal(str(fee))
        else None,
        "paid": _money(reservation.amount_paid, currency),
        "whole_booking": details.get("status", reservation.status)
        == ReservationStatus.CANCELLED,
        "showtime_cancelled": reservation.showtime.is_cancelled,
    }
    subject = one_line(
        f"Refund of {context['refunded']}: {context['movie'].title}, "
        f"{_day(context['starts'])} ({reservation.code})"
    )
    message = RelatedEmail(
        subject=subject,
        body=render_to_string("notifications/refund.txt", context),
        to=[reservation.user.email],
        inline_images=[],
    )
    message.attach_alternative(
        render_to_string("notifications/refund.html", context), "text/html"
    )
    return message


def calendar_part(reservation: Reservation, context: dict) -> MIMEBase:
    """The showtime as a one-event iCalendar file, in the theater's own time zone."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"reservation-{reservation.code}@{UID_DOMAIN}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", context["starts"])
    event.add("dtend", context["ends"])
    event.add("summary", f"{context['movie'].title} at {context['theater'].name}")
    event.add("location", f"{context['theater'].name}, {context['address']}")
    seats = ", ".join(t["seat"] for t in context["tickets"])
    event.add(
        "description",
        f"{context['screen'].name}, seats {seats}. Reservation {reservation.code}.",
    )
    calendar.add_component(event)
    # The VTIMEZONE the local times refer to, for clients that need it spelled out;
    # its rules for a year either side of the show are plenty (and keep it short).
    calendar.add_missing_timezones(
        first_date=context["starts"].date() - timedelta(days=366),
        last_date=context["ends"].date() + timedelta(days=366),
    )
    part = SafeMIMEText(calendar.to_ical().decode(), "calendar", "utf-8")
    part.set_param("method", "PUBLISH")
    part.add_header("Content-Disposition", "attachment", filename="showtime.ics")
    return part

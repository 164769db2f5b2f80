"""Ticket use cases: checking a ticket in at the door.

A ticket is used once. Two scanners reading the same ticket at the same moment must
not both let a person in, so the write is a conditional
``UPDATE ... SET checked_in_at = now WHERE pk = ... AND checked_in_at IS NULL AND
NOT is_void`` inside one transaction: on PostgreSQL the second UPDATE waits for the
first one's row lock, re-evaluates the WHERE clause after it commits and matches no
row; on SQLite the IMMEDIATE transactions queue. Exactly one caller sees one row
updated; every other caller reads the winner's time and gets ``AlreadyCheckedIn``.
The same condition makes a cancellation that voids the ticket meanwhile win cleanly.
No showtime lock is taken: check-in touches no seat. The check-in is appended to
the reservation's audit trail in the same transaction, so only the winner records it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from reservations.models import ReservationStatus, Ticket
from reservations.services import record_check_in

from .exceptions import (
    AlreadyCheckedIn,
    CheckInClosed,
    ShowtimeCancelled,
    TicketNotFound,
    TicketVoid,
)

if TYPE_CHECKING:
    from accounts.models import User

CHECK_IN_OPENS_BEFORE_START = timedelta(hours=2)


def check_in_window(showtime) -> tuple[datetime, datetime]:
    """When doors accept this showtime's tickets: [starts_at - 2 h, ends_at]."""
    return showtime.starts_at - CHECK_IN_OPENS_BEFORE_START, showtime.ends_at


def check_in_ticket(
    *, code: str, actor: User | None = None, now: datetime | None = None
) -> Ticket:
    """Mark the ticket with ``code`` as used, once. Returns it with its joins loaded.

    ``actor`` is the box-office user who scanned it, for the audit trail.

    Datetimes in the errors' details stay datetimes: the API's JSON renderer writes
    them in the same format as every other timestamp.
    """
    now = now or timezone.now()
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_related(
                "seat",
                "reservation__user",
                "reservation__showtime__movie",
                "reservation__showtime__screen__theater",
            )
            .filter(code=code)
            .first()
        )
        if ticket is None:
            raise TicketNotFound()
        reservation = ticket.reservation
        showtime = reservation.showtime
        if ticket.is_void or reservation.status != ReservationStatus.CONFIRMED:
            raise TicketVoid(reservation_status=reservation.status)
        if showtime.is_cancelled:
            raise ShowtimeCancelled(showtime=showtime.pk)
        if ticket.checked_in_at is not None:
            raise AlreadyCheckedIn(checked_in_at=ticket.checked_in_at)
        opens_at, closes_at = check_in_window(showtime)
        if not opens_at <= now <= closes_at:
            raise CheckInClosed(opens_at=opens_at, closes_at=closes_at)
        claimed = Ticket.objects.filter(
            pk=ticket.pk, checked_in_at__isnull=True, is_void=False
        ).update(checked_in_at=now)
        if not claimed:
            first = Ticket.objects.values_list("checked_in_at", flat=True).get(
                pk=ticket.pk
            )
            if first is None:
                raise TicketVoid()  # voided by a cancellation that committed first
            raise AlreadyCheckedIn(checked_in_at=first)
        record_check_in(ticket=ticket, actor=actor, now=now)
    ticket.checked_in_at = now
    return ticket

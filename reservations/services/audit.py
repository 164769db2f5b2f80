"""The audit trail: one ``ReservationEvent`` per state change, in its transaction.

Recording an event and bumping the seat-map version are separate steps: a use case
that changes seats calls ``bump_seats_version`` itself (a check-in changes none).

Each event built here is also counted (``movie_api.metrics``) and logged
(``movie_api.events``) once its transaction commits: an event that is rolled back
with its change was never made, so it is neither counted nor logged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import partial

from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from events.services import publish
from movie_api import metrics
from movie_api.logs import event_logger
from movie_api.middleware import current_request_id
from showtimes.models import Showtime, deadline_stamp

from ..models import (
    Reservation,
    ReservationAction,
    ReservationEvent,
    ReservedSeat,
    Ticket,
)
from ..signals import announce_seats_changed


def _plain(value):
    """Details as JSON would show them in the API (Decimal "25.50", UTC "...Z")."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def build_event(
    *,
    reservation: Reservation,
    action: str,
    actor,
    now: datetime,
    from_status: str,
    to_status: str,
    **details,
) -> ReservationEvent:
    """An unsaved audit row for one state change; ``actor`` None means the system.

    Call it inside the transaction that saves the row (``record_event``, or a
    ``bulk_create`` of these): the count and the log line wait for its commit.
    """
    event = ReservationEvent(
        reservation=reservation,
        reservation_code=reservation.code,
        action=action,
        actor=actor,
        actor_username=actor.get_username() if actor is not None else "",
        at=now,
        from_status=from_status,
        to_status=to_status,
        details={key: _plain(value) for key, value in details.items()},
        request_id=current_request_id(),
    )
    # robust: a failing counter or log handler must not turn a committed booking
    # into an error answer.
    transaction.on_commit(partial(_announce, event), robust=True)
    _publish(event)
    return event


# Audit action -> the outbox event type subscribers and webhooks see (events.types).
EVENT_TYPES = {
    ReservationAction.CREATED: "reservation.held",
    ReservationAction.SEATS_CHANGED: "reservation.seats_changed",
    ReservationAction.SEATS_SWAPPED: "reservation.seats_changed",
    ReservationAction.PURCHASED: "reservation.confirmed",
    ReservationAction.CANCELLED: "reservation.cancelled",
    ReservationAction.EXPIRED: "reservation.expired",
    ReservationAction.CHECKED_IN: "ticket.checked_in",
    ReservationAction.SEATS_CANCELLED: "reservation.seats_cancelled",
    ReservationAction.REFUNDED: "reservation.refunded",
}
# The audit details an event carries (ids and a few fields, nothing personal).
_EVENT_DETAILS = {
    "seats": "seats",
    "amount": "amount",
    "refund_amount": "refund_amount",
    "fee": "fee",
    "expires_at": "expires_at",
    "reason": "reason",
    "ticket": "ticket_id",
    "seat": "seat",
}


def _publish(event: ReservationEvent) -> None:
    """Write the outbox event for this audit row, in the same transaction.

    Called from ``build_event``, so ``bulk_create`` paths (expiry) publish too:
    their transaction saves both rows or neither.
    """
    type_ = EVENT_TYPES.get(event.action)
    if type_ is None:
        return
    reservation = event.reservation
    data = {
        "reservation_id": reservation.pk,
        "showtime_id": reservation.showtime_id,
        "status": event.to_status,
        "previous_status": event.from_status,
    }
    data.update(
        (name, event.details[key])
        for key, name in _EVENT_DETAILS.items()
        if key in event.details
    )
    publish(type_, data, now=event.at)


def _announce(event: ReservationEvent) -> None:
    """After commit: count the event and write its log line."""
    metrics.count_booking_event(event.action, event.details)
    reservation = event.reservation
    event_logger.info(
        "reservation %s %s (showtime %s)",
        event.reservation_code,
        event.action,
        reservation.showtime_id,
        extra={
            "data": {
                "event": event.action,
                "reservation_id": reservation.pk,
                "reservation_code": event.reservation_code,
                "showtime_id": reservation.showtime_id,
                "from_status": event.from_status,
                "to_status": event.to_status,
                "request_id": event.request_id or None,
            }
        },
    )


def record_event(**fields) -> ReservationEvent:
    """Save one audit row (``build_event``'s arguments)."""
    event = build_event(**fields)
    event.save()
    return event


def bump_seats_version(showtime_id: int) -> None:
    """Bump the version that keys the cached seat map (selectors.get_seat_map_json)
    and recount the showtime's claimed seats (``seat_counts``).

    Runs in the booking transaction, on the showtime row it already locks, so the
    new version and counts become visible exactly when the seat change commits.
    Every seat-changing use case calls it, so a new one keeps the counts right
    without knowing them.
    """
    Showtime.objects.filter(pk=showtime_id).update(
        seats_version=F("seats_version") + 1, **seat_counts(showtime_id)
    )
    announce_seats_changed(showtime_id)


def seat_counts(showtime_id: int) -> dict:
    """The showtime's denormalised seat counts, recounted from its active claims.

    A recount (one aggregate over at most a screen's seats, on the showtime's
    partial unique index) rather than +n/-n deltas: it cannot drift, whatever a
    use case changed. Lapsed holds still active are counted with their deadline,
    so readers add them back once it passes (``Showtime.available_seats_at``).
    """
    claimed, deadlines = 0, []
    for held_until, seats in (
        ReservedSeat.objects.filter(showtime_id=showtime_id, is_active=True)
        .order_by("held_until")
        .values("held_until")
        .annotate(seats=Count("pk"))
        .values_list("held_until", "seats")
    ):
        claimed += seats
        if held_until is not None:
            deadlines.append([deadline_stamp(held_until), seats])
    deadlines.sort()
    return {
        # Claims are never deleted while their showtime stands: once true, true.
        "has_claims": True if claimed else F("has_claims"),
        "seats_claimed": claimed,
        "hold_deadlines": deadlines,
        "holds_lapse_at": _parse_stamp(deadlines[0][0]) if deadlines else None,
    }


def _parse_stamp(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def record_check_in(
    *, ticket: Ticket, actor, now: datetime | None = None
) -> ReservationEvent:
    """Append a ticket's check-in to its reservation's history.

    For ``tickets.services.check_in_ticket``: call it inside that transaction, after
    the conditional UPDATE claimed the ticket, so the record commits with it. The
    reservation stays ``confirmed``; the event names the seat, not the ticket's
    code (a code is what lets a person in).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_check_in must run inside the check-in transaction")
    reservation = ticket.reservation
    return record_event(
        reservation=reservation,
        action=ReservationAction.CHECKED_IN,
        actor=actor,
        now=now or timezone.now(),
        from_status=reservation.status,
        to_status=reservation.status,
        ticket=ticket.pk,
        seat=ticket.seat.label,
    )

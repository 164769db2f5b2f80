"""Swapping seats of a purchase: same showtime, same price, new tickets."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings

from movie_api.db import retry_once_on_transaction_conflict

from ..exceptions import (
    InvalidSeatSelection,
    SwapClosed,
    SwapPriceDiffers,
    TicketUsed,
)
from ..models import (
    Reservation,
    ReservationAction,
    ReservationStatus,
    ReservedSeat,
    Ticket,
)
from . import locking, seats
from .audit import bump_seats_version, record_event
from .cancellation import lock_used_tickets

if TYPE_CHECKING:
    from accounts.models import User


def _pair(from_labels: list[str], to_labels: list[str], limit: int) -> tuple:
    """Clean both lists: as many seats each, none named on both sides."""
    old = seats.clean_labels(from_labels, limit=limit)
    new = seats.clean_labels(to_labels, limit=limit)
    if len(old) != len(new):
        raise InvalidSeatSelection(
            "Name as many seats to take (to) as to give up (from).",
            **{"from": old, "to": new},
        )
    both = sorted(set(old) & set(new))
    if both:
        raise InvalidSeatSelection(
            f"A seat cannot be given up and taken: {', '.join(both)}.", seats=both
        )
    return old, new


@retry_once_on_transaction_conflict
def swap_seats(
    *,
    reservation: Reservation,
    from_labels: list[str],
    to_labels: list[str],
    actor: User,
    accessible: bool = False,
) -> Reservation:
    """Move a confirmed reservation from ``from_labels`` to ``to_labels``, pairwise
    (the n-th seat given up for the n-th taken), before the cancellation cutoff.

    In one transaction under the showtime lock the new seats are claimed and the
    old ones freed; the old tickets are void and new ones issued with new codes.
    Each new seat must cost what the seat it replaces cost (same ticket type):
    there is no provider to charge or refund a difference (``SwapPriceDiffers``).
    A taken seat is ``SeatsUnavailable`` with nothing changed.
    """
    old_labels, new_labels = _pair(
        from_labels,
        to_labels,
        seats.seat_limit(group=bool(reservation.group_name)),
    )
    with locking.decide_on_showtime(reservation.showtime_id) as decision:
        showtime, now = decision.showtime, decision.now
        reservation = Reservation.objects.get(pk=reservation.pk)
        if reservation.status != ReservationStatus.CONFIRMED:
            raise SwapClosed(
                "Only a purchased reservation can swap seats.",
                status=reservation.status,
            )
        seats.ensure_open(showtime, now)
        cutoff = showtime.starts_at - timedelta(
            minutes=settings.CANCELLATION_CUTOFF_MINUTES
        )
        if now >= cutoff:
            raise SwapClosed(cutoff=cutoff.isoformat())
        current = {
            row.seat.label: row
            for row in reservation.reserved_seats.filter(is_active=True)
            .select_related("seat", "ticket_type")
            .order_by("seat_id")
        }
        foreign = [label for label in old_labels if label not in current]
        if foreign:
            raise InvalidSeatSelection(
                f"Not seats of this reservation: {', '.join(foreign)}.",
                seats=foreign,
            )
        used = lock_used_tickets(reservation)
        given_up = [current[label] for label in old_labels]
        checked_in = sorted(row.seat.label for row in given_up if row.seat_id in used)
        if checked_in:
            raise TicketUsed(seats=checked_in)
        by_label = {s.label: s for s in seats.seats_for(showtime, new_labels)}
        taken = [by_label[label] for label in new_labels]
        seats.ensure_free(showtime, taken, exclude=reservation)
        kept = [row.seat for label, row in current.items() if label not in old_labels]
        seats.ensure_access_rules(
            showtime, kept + taken, added=taken, accessible=accessible, now=now
        )
        rows = _priced_like(showtime, given_up, taken, reservation)
        # As when a hold changes seats: the reservation's rows are its seats (the
        # audit trail keeps the old ones), and the freed seats' claims go.
        ReservedSeat.objects.filter(pk__in=[row.pk for row in given_up]).delete()
        seats.insert_claims(rows)
        void, issued = _reissue(reservation, given_up, taken)
        record_event(
            reservation=reservation,
            action=ReservationAction.SEATS_SWAPPED,
            actor=actor,
            now=now,
            from_status=ReservationStatus.CONFIRMED,
            to_status=ReservationStatus.CONFIRMED,
            seats_before=sorted(current),
            seats_after=seats.labels_of(reservation),
            swapped=dict(zip(old_labels, new_labels, strict=True)),
            void_tickets=void,
            new_tickets=issued,
        )
        bump_seats_version(showtime.pk)
    return reservation


def _priced_like(showtime, given_up, taken, reservation) -> list[ReservedSeat]:
    """Claims for the new seats at the old seats' ticket types, prices, discounts;
    ``SwapPriceDiffers`` naming each pair whose price is not the same."""
    rows, differs = [], []
    for old, seat in zip(given_up, taken, strict=True):
        code = old.ticket_type.code if old.ticket_type else "adult"
        price = seats.price_of(showtime, seat, code)
        if price != old.price:
            differs.append(
                {
                    "from": old.seat.label,
                    "to": seat.label,
                    "price_from": str(old.price),
                    "price_to": str(price),
                }
            )
            continue
        rows.append(
            ReservedSeat(
                reservation=reservation,
                showtime=showtime,
                seat=seat,
                ticket_type=old.ticket_type,
                price=old.price,
                discount=old.discount,
                held_until=None,
            )
        )
    if differs:
        raise SwapPriceDiffers(pairs=differs)
    return rows


def _reissue(reservation, given_up, taken) -> tuple[int, int]:
    """Void the given-up seats' tickets and issue new ones (new codes).

    A seat the reservation had before keeps its (void) ticket row, which comes back
    with a new code: one ticket row per reservation and seat.
    """
    void = Ticket.objects.filter(
        reservation=reservation,
        seat_id__in=[row.seat_id for row in given_up],
        is_void=False,
    ).update(is_void=True)
    old = {t.seat_id: t for t in Ticket.objects.filter(reservation=reservation)}
    fresh = []
    for seat in taken:
        ticket = old.get(seat.pk)
        if ticket is not None:
            ticket.code, ticket.is_void = seats.generate_ticket_code(), False
            ticket.save(update_fields=["code", "is_void"])
        else:
            fresh.append(
                Ticket(
                    reservation=reservation,
                    seat=seat,
                    code=seats.generate_ticket_code(),
                )
            )
    Ticket.objects.bulk_create(fresh)
    return void, len(taken)

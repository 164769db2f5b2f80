"""Holding seats: create a hold, change its seats, expire lapsed holds."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from movie_api.db import retry_once_on_transaction_conflict
from showtimes.models import Showtime
from theaters.models import Seat

from ..exceptions import HoldExpired
from ..models import Reservation, ReservationAction, ReservationStatus, ReservedSeat
from . import locking, seats
from .audit import bump_seats_version, record_event
from .limits import check_hold_limit, check_seat_limit

if TYPE_CHECKING:
    from accounts.models import User


@retry_once_on_transaction_conflict
def create_reservation(
    *, user: User, showtime: Showtime, labels: list[str]
) -> Reservation:
    """Hold ``labels`` on ``showtime`` for ``user``: all of them, or none (409).

    Refused (409) when ``user`` already has RESERVATION_MAX_ACTIVE_HOLDS unexpired
    holds, or would hold more than RESERVATION_MAX_HELD_SEATS_PER_SHOWTIME seats
    on this showtime.
    """
    labels = seats.clean_labels(labels)
    with locking.decide_on_showtime(showtime.pk) as decision:
        showtime, now = decision.showtime, decision.now
        seats.ensure_open(showtime, now)
        wanted = seats.seats_for(showtime, labels)
        locking.lock_user(user.pk)
        check_hold_limit(user_id=user.pk, now=now)
        check_seat_limit(
            user_id=user.pk, showtime=showtime, requested=len(wanted), now=now
        )
        seats.ensure_free(showtime, wanted)
        expires_at = seats.hold_deadline(now)
        prices = {seat.pk: seats.price_of(showtime, seat) for seat in wanted}
        reservation = _create_with_unique_code(
            user=user,
            showtime=showtime,
            expires_at=expires_at,
            total_price=sum(prices.values(), Decimal("0.00")),
        )
        seats.insert_claims(
            [
                ReservedSeat(
                    reservation=reservation,
                    showtime=showtime,
                    seat=seat,
                    price=prices[seat.pk],
                    held_until=expires_at,
                )
                for seat in wanted
            ]
        )
        record_event(
            reservation=reservation,
            action=ReservationAction.CREATED,
            actor=user,
            now=now,
            from_status="",
            to_status=ReservationStatus.HELD,
            showtime=showtime.pk,
            seats=[seat.label for seat in wanted],
            total_price=reservation.total_price,
            expires_at=expires_at,
        )
        bump_seats_version(showtime.pk)
    return reservation


def _create_with_unique_code(**fields) -> Reservation:
    for _ in range(5):
        try:
            with transaction.atomic():
                return Reservation.objects.create(
                    code=seats.generate_reservation_code(), **fields
                )
        except IntegrityError:
            continue  # 31^8 codes: a clash is rare; try another
    raise RuntimeError("Could not allocate a unique reservation code")


@retry_once_on_transaction_conflict
def change_seats(
    *, reservation: Reservation, labels: list[str], actor: User | None = None
) -> Reservation:
    """Replace the seats of a held reservation. On any conflict it keeps its old seats.

    The hold's deadline does not move: editing cannot extend a hold. The owner's
    seats on the showtime stay within RESERVATION_MAX_HELD_SEATS_PER_SHOWTIME.
    ``actor`` (for the audit trail) defaults to the reservation's owner.
    """
    labels = seats.clean_labels(labels)
    with locking.decide_on_showtime(reservation.showtime_id) as decision:
        showtime, now = decision.showtime, decision.now
        reservation = Reservation.objects.get(pk=reservation.pk)
        try:
            seats.ensure_held(reservation, now)
        except HoldExpired as exc:
            locking.raise_after_commit(exc)  # keep the expiry just recorded
        seats.ensure_open(showtime, now)
        wanted = seats.seats_for(showtime, labels)
        check_seat_limit(
            user_id=reservation.user_id,
            showtime=showtime,
            requested=len(wanted),
            now=now,
            exclude=reservation,
        )
        before, total_before = _replace_seats(reservation, showtime, wanted)
        if before != [seat.label for seat in wanted]:
            record_event(
                reservation=reservation,
                action=ReservationAction.SEATS_CHANGED,
                actor=actor if actor is not None else reservation.user,
                now=now,
                from_status=ReservationStatus.HELD,
                to_status=ReservationStatus.HELD,
                seats_before=before,
                seats_after=[seat.label for seat in wanted],
                total_before=total_before,
                total_after=reservation.total_price,
            )
            bump_seats_version(showtime.pk)
    return reservation


def _replace_seats(
    reservation: Reservation, showtime: Showtime, wanted: list[Seat]
) -> tuple[list[str], Decimal]:
    """Claim ``wanted`` for the hold in place of its seats; re-total it.

    Returns the labels it had and its total before. Seats it keeps keep their price.
    """
    current = {
        row.seat_id: row
        for row in reservation.reserved_seats.filter(is_active=True)
        .select_related("seat")
        .order_by("seat_id")
    }
    wanted_ids = {seat.pk for seat in wanted}
    added = [seat for seat in wanted if seat.pk not in current]
    seats.ensure_free(showtime, added, exclude=reservation)
    ReservedSeat.objects.filter(
        reservation=reservation, seat_id__in=set(current) - wanted_ids
    ).delete()
    new_rows = [
        ReservedSeat(
            reservation=reservation,
            showtime=showtime,
            seat=seat,
            price=seats.price_of(showtime, seat),
            held_until=reservation.expires_at,
        )
        for seat in added
    ]
    seats.insert_claims(new_rows)
    kept = [row.price for pk, row in current.items() if pk in wanted_ids]
    total_before = reservation.total_price
    reservation.total_price = sum(
        [*kept, *(row.price for row in new_rows)], Decimal("0.00")
    )
    reservation.save(update_fields=["total_price"])
    before = [row.seat.label for row in current.values()]
    return before, total_before


@retry_once_on_transaction_conflict
def release_showtime_holds(*, showtime_id: int, now: datetime, trigger: str) -> int:
    """One showtime's lapsed holds, in a transaction of their own under its lock."""
    with locking.decide_on_showtime(showtime_id, now=now, trigger=trigger) as decision:
        return len(decision.released)


def expire_holds(*, now: datetime | None = None) -> int:
    """Sweep every showtime with lapsed holds (for cron); returns how many expired.

    One short transaction per showtime (each retried on its own after a deadlock),
    so a sweep never holds many showtime locks at once.
    """
    now = now or timezone.now()
    showtime_ids = (
        Reservation.objects.filter(status=ReservationStatus.HELD, expires_at__lte=now)
        .order_by("showtime_id")
        .values_list("showtime_id", flat=True)
        .distinct()
    )
    return sum(
        release_showtime_holds(showtime_id=showtime_id, now=now, trigger="sweep")
        for showtime_id in list(showtime_ids)
    )

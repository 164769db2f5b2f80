"""Hoarding limits (OWASP API6): holds per user, held seats per user and showtime."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings

from showtimes.models import Showtime

from ..exceptions import HoldLimitReached, SeatLimitReached
from ..models import Reservation, ReservationStatus, ReservedSeat


def check_hold_limit(*, user_id: int, now: datetime) -> None:
    """At most RESERVATION_MAX_ACTIVE_HOLDS unexpired holds per user."""
    limit = settings.RESERVATION_MAX_ACTIVE_HOLDS
    active = Reservation.objects.filter(
        user_id=user_id, status=ReservationStatus.HELD, expires_at__gt=now
    ).count()
    if active >= limit:
        raise HoldLimitReached(limit=limit, active_holds=active)


def check_seat_limit(
    *,
    user_id: int,
    showtime: Showtime,
    requested: int,
    now: datetime,
    exclude: Reservation | None = None,
) -> None:
    """Seats ``user_id`` would hold on ``showtime`` (lapsed holds and purchases aside)
    stay within RESERVATION_MAX_HELD_SEATS_PER_SHOWTIME."""
    limit = settings.RESERVATION_MAX_HELD_SEATS_PER_SHOWTIME
    held = ReservedSeat.objects.active().filter(
        showtime=showtime,
        held_until__gt=now,
        reservation__user_id=user_id,
        reservation__status=ReservationStatus.HELD,
    )
    if exclude is not None:
        held = held.exclude(reservation=exclude)
    already = held.count()
    if already + requested > limit:
        raise SeatLimitReached(limit=limit, held_seats=already, requested=requested)

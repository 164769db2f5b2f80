"""Showtime writes: derived end time and the no-overlap rule, checked under a lock.

On SQLite the IMMEDIATE transaction serialises writers, so "check then insert"
is safe; on PostgreSQL the screen row is locked for the same effect, and an
exclusion constraint (see migrations) is the backstop that the database enforces.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from movies.models import Movie
from theaters.models import Screen

from . import selectors
from .exceptions import ShowtimeHasReservations, ShowtimeOverlap
from .models import Showtime


def compute_ends_at(*, movie: Movie, starts_at: datetime) -> datetime:
    return starts_at + timedelta(
        minutes=movie.duration_minutes + settings.SHOWTIME_CLEANUP_MINUTES
    )


def _check_overlap(showtime: Showtime) -> None:
    if showtime.is_cancelled:
        return
    clash = (
        Showtime.objects.filter(
            screen_id=showtime.screen_id,
            is_cancelled=False,
            starts_at__lt=showtime.ends_at,
            ends_at__gt=showtime.starts_at,
        )
        .exclude(pk=showtime.pk)
        .values_list("pk", flat=True)
        .first()
    )
    if clash is not None:
        raise ShowtimeOverlap(showtime_id=clash)


def save_showtime(showtime: Showtime) -> Showtime:
    try:
        with transaction.atomic():
            Screen.objects.select_for_update().filter(pk=showtime.screen_id).first()
            _check_overlap(showtime)
            showtime.save()
    except IntegrityError as exc:
        if "overlap" in str(exc).lower() or "exclude" in str(exc).lower():
            raise ShowtimeOverlap() from exc
        raise
    return showtime


def create_showtime(
    *,
    movie: Movie,
    screen: Screen,
    starts_at: datetime,
    prices: dict,
    is_cancelled: bool = False,
) -> Showtime:
    showtime = Showtime(
        movie=movie,
        screen=screen,
        starts_at=starts_at,
        ends_at=compute_ends_at(movie=movie, starts_at=starts_at),
        prices=prices,
        is_cancelled=is_cancelled,
    )
    return save_showtime(showtime)


def update_showtime(*, showtime: Showtime, **changes) -> Showtime:
    """Apply ``changes``; a booked showtime keeps its movie and screen.

    Its tickets name that movie and that screen's seats, so moving them is a 409;
    an unbooked showtime may change both (the price and overlap rules still hold).
    The showtime row is locked first, the same lock bookings take, so no booking
    can slip in between the check and the save.
    """
    with transaction.atomic():
        showtime = Showtime.objects.select_for_update().get(pk=showtime.pk)
        moved = sorted(
            field
            for field in ("movie", "screen")
            if field in changes
            and changes[field].pk != getattr(showtime, f"{field}_id")
        )
        if moved and selectors.has_reservations(showtime):
            raise ShowtimeHasReservations(fields=moved)
        for field, value in changes.items():
            setattr(showtime, field, value)
        showtime.ends_at = compute_ends_at(
            movie=showtime.movie, starts_at=showtime.starts_at
        )
        return save_showtime(showtime)

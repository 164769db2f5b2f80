"""Read queries for showtimes, with the joins and the seat counts they need."""

from datetime import datetime

from django.db.models import F, QuerySet

from movie_api.business_day import local_time

from .models import Showtime


def list_showtimes() -> QuerySet[Showtime]:
    """Showtimes with their joins, capacity and, for ``?ordering=available_seats``,
    the seats free as of each show's last booking transaction (``available_seats``
    in SQL). The exact figure at this moment is ``Showtime.seats_available_now``:
    it also adds back holds that lapsed since (see Showtime.hold_deadlines)."""
    return (
        Showtime.objects.select_related("movie", "screen", "screen__theater")
        .annotate(
            capacity=F("screen__capacity"),
            available_seats=F("screen__capacity") - F("seats_claimed"),
        )
        .order_by("starts_at", "id")
    )


def has_reservations(showtime: Showtime) -> bool:
    """Whether any reservation (in any state: they are history) claims its seats.

    Kept on the row by the booking side (``Showtime.has_claims``): the catalogue
    does not read the booking tables.
    """
    return Showtime.objects.filter(pk=showtime.pk, has_claims=True).exists()


def local_starts_at(showtime: Showtime) -> datetime:
    """When ``showtime`` starts on its theater's clocks (aware, with the offset).

    No query when ``screen__theater`` is already joined, as list_showtimes does.
    Rules about "the local start" (a matinee before 17:00, weekday 0 = Monday)
    read this, never ``starts_at`` (UTC).
    """
    return local_time(showtime.starts_at, showtime.screen.theater.timezone)

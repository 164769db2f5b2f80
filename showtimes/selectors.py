"""Read queries for showtimes, with the joins and the live seat count they need."""

from datetime import datetime

from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from movie_api.business_day import local_time

from .models import Showtime


def _claims_model():
    # Booking state lives in the reservations app, which points at Showtime. The
    # catalogue never imports it: the model is reached through the reverse relation.
    return Showtime._meta.get_field("reserved_seats").related_model


def taken_seats_subquery():
    """Seats of a showtime that are sold or held by an unexpired hold, counted in SQL."""
    now = timezone.now()
    claims = (
        _claims_model()
        .objects.filter(showtime=OuterRef("pk"), is_active=True)
        .filter(Q(held_until__isnull=True) | Q(held_until__gt=now))
        .order_by()
        .values("showtime")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(claims, output_field=IntegerField()), Value(0))


def list_showtimes() -> QuerySet[Showtime]:
    return (
        Showtime.objects.select_related("movie", "screen", "screen__theater")
        .annotate(
            capacity=F("screen__capacity"),
            available_seats=F("screen__capacity") - taken_seats_subquery(),
        )
        .order_by("starts_at", "id")
    )


def has_reservations(showtime: Showtime) -> bool:
    """Whether any reservation (in any state: they are history) claims its seats."""
    return _claims_model().objects.filter(showtime_id=showtime.pk).order_by().exists()


def local_starts_at(showtime: Showtime) -> datetime:
    """When ``showtime`` starts on its theater's clocks (aware, with the offset).

    No query when ``screen__theater`` is already joined, as list_showtimes does.
    Rules about "the local start" (a matinee before 17:00, weekday 0 = Monday)
    read this, never ``starts_at`` (UTC).
    """
    return local_time(showtime.starts_at, showtime.screen.theater.timezone)

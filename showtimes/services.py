"""Showtime writes: derived end time and business date, and the no-overlap rule,
checked under a lock.

On SQLite the IMMEDIATE transaction serialises writers, so "check then insert"
is safe; on PostgreSQL the screen row is locked for the same effect, and an
exclusion constraint (see migrations) is the backstop that the database enforces.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from events.services import publish
from movie_api.business_day import business_date
from movies.models import Movie
from pricing.models import ADULT
from pricing.services import adult_prices, price_table_for
from theaters.models import Screen, Theater

from . import selectors
from .exceptions import ShowtimeHasReservations, ShowtimeOverlap
from .models import Showtime
from .signals import showtime_cancelled


def compute_ends_at(*, movie: Movie, starts_at: datetime) -> datetime:
    return starts_at + timedelta(
        minutes=movie.duration_minutes + settings.SHOWTIME_CLEANUP_MINUTES
    )


def check_overlap(showtime: Showtime, *, ignore: list[int] | None = None) -> None:
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
        .exclude(pk__in=ignore or [])
        .values_list("pk", flat=True)
        .first()
    )
    if clash is not None:
        raise ShowtimeOverlap(showtime_id=clash)


def follow_movie_duration(sender, instance: Movie, raw: bool = False, **kwargs) -> None:
    """``pre_save`` hook on Movie: upcoming showtimes end when the new duration says.

    Showtimes that have started keep the end they had (history). A longer film that
    would run into another showtime on a screen raises ShowtimeOverlap, so the
    movie is not saved either.
    """
    if raw or instance.pk is None:
        return
    old = (
        Movie.objects.filter(pk=instance.pk)
        .values_list("duration_minutes", flat=True)
        .first()
    )
    if old is None or old == instance.duration_minutes:
        return
    with transaction.atomic():
        upcoming = list(
            Showtime.objects.select_for_update()
            .filter(movie_id=instance.pk, starts_at__gt=timezone.now())
            .order_by("pk")
        )
        if not upcoming:
            return
        list(  # same lock as save_showtime, in a fixed order
            Screen.objects.select_for_update()
            .filter(pk__in={s.screen_id for s in upcoming})
            .order_by("pk")
        )
        for showtime in upcoming:
            showtime.ends_at = compute_ends_at(
                movie=instance, starts_at=showtime.starts_at
            )
        _check_moved_showtimes(upcoming)
        try:
            with transaction.atomic():
                Showtime.objects.bulk_update(upcoming, ["ends_at"])
        except IntegrityError as exc:  # PostgreSQL's exclusion constraint
            raise ShowtimeOverlap() from exc


def _check_moved_showtimes(moved: list[Showtime]) -> None:
    """Overlap check for showtimes moved together: against the rest, and each other."""
    live = [s for s in moved if not s.is_cancelled]
    for showtime in live:
        check_overlap(showtime, ignore=[s.pk for s in moved])
        for other in live:
            if (
                other.pk != showtime.pk
                and other.screen_id == showtime.screen_id
                and other.starts_at < showtime.ends_at
                and other.ends_at > showtime.starts_at
            ):
                raise ShowtimeOverlap(showtime_id=other.pk)


def save_showtime(showtime: Showtime) -> Showtime:
    """Check and save ``showtime`` under its screen's lock, with its business date.

    The theater's zone is read after the lock: a zone change locks the screens of
    its theater before it moves their showtimes (follow_theater_timezone), so a
    showtime saved meanwhile waits and then reads the new zone.
    """
    try:
        with transaction.atomic():
            Screen.objects.select_for_update().filter(pk=showtime.screen_id).first()
            zone_name = (
                Theater.objects.filter(screens=showtime.screen_id)
                .values_list("timezone", flat=True)
                .get()
            )
            showtime.business_date = business_date(showtime.starts_at, zone_name)
            check_overlap(showtime)
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
    prices: dict | None = None,
    price_table: dict | None = None,
    is_cancelled: bool = False,
    **details,
) -> Showtime:
    """Create a showtime; ``details`` are its descriptive fields (format,
    audio_language, subtitles and the accessibility columns).

    ``price_table`` (full form), or ``prices`` (adult prices), or neither: then the
    matching price card's table is copied (``PriceMissing`` if none matches)."""
    if price_table is None and prices is not None:
        price_table = {category: {ADULT: price} for category, price in prices.items()}
    if price_table is None:
        price_table = price_table_for(
            theater=screen.theater, starts_at=starts_at, categories=screen.categories()
        )
    prices = adult_prices(price_table)
    showtime = Showtime(
        movie=movie,
        screen=screen,
        starts_at=starts_at,
        ends_at=compute_ends_at(movie=movie, starts_at=starts_at),
        prices=prices,
        price_table=price_table,
        is_cancelled=is_cancelled,
        **details,
    )
    return save_showtime(showtime)


def update_showtime(*, showtime: Showtime, actor=None, **changes) -> Showtime:
    """Apply ``changes``; a booked showtime keeps its movie and screen.

    Its tickets name that movie and that screen's seats, so moving them is a 409;
    an unbooked showtime may change both (the price and overlap rules still hold).
    The showtime row is locked first, the same lock bookings take, so no booking
    can slip in between the check and the save. Cancelling it sends
    ``showtime_cancelled`` in the same transaction (the booking side frees its
    holds); ``actor`` is who did it, for their audit trail.
    """
    with transaction.atomic():
        showtime = Showtime.objects.select_for_update().get(pk=showtime.pk)
        was_cancelled = showtime.is_cancelled
        moved = sorted(
            field
            for field in ("movie", "screen")
            if field in changes
            and changes[field].pk != getattr(showtime, f"{field}_id")
        )
        if moved and selectors.has_reservations(showtime):
            raise ShowtimeHasReservations(fields=moved)
        if "price_table" in changes:
            changes["prices"] = adult_prices(changes["price_table"])
        for field, value in changes.items():
            setattr(showtime, field, value)
        showtime.ends_at = compute_ends_at(
            movie=showtime.movie, starts_at=showtime.starts_at
        )
        save_showtime(showtime)
        if showtime.is_cancelled and not was_cancelled:
            showtime_cancelled.send(sender=Showtime, showtime=showtime, actor=actor)
            publish_showtime_cancelled(showtime)
        return showtime


def publish_showtime_cancelled(showtime: Showtime) -> None:
    """Write ``showtime.cancelled`` to the outbox, in the cancelling transaction."""
    publish(
        "showtime.cancelled",
        {
            "showtime_id": showtime.pk,
            "movie_id": showtime.movie_id,
            "screen_id": showtime.screen_id,
            "starts_at": showtime.starts_at,
        },
    )


def follow_theater_timezone(sender, theater: Theater, **kwargs) -> None:
    """``theater_timezone_changed`` receiver: move its showtimes' business dates.

    Runs inside the theater's transaction, so the dates move with the zone or not
    at all. Past showtimes move too: the business date says which local day a
    show was on.
    """
    move_business_dates(theater=theater)


def move_business_dates(*, theater: Theater) -> int:
    """Set the business date of ``theater``'s showtimes from its zone; how many moved.

    Call inside a transaction. Locks in the order every showtime write takes
    them (showtime rows by pk, then screens by pk), then reads the showtimes
    again: once the screens are locked none can be added until commit.
    """
    of_theater = Showtime.objects.filter(screen__theater_id=theater.pk)
    list(of_theater.select_for_update().order_by("pk").values_list("pk", flat=True))
    list(
        Screen.objects.select_for_update()
        .filter(theater_id=theater.pk)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    moved = []
    for showtime in of_theater.only("pk", "starts_at", "business_date").order_by("pk"):
        day = business_date(showtime.starts_at, theater.timezone)
        if day != showtime.business_date:
            showtime.business_date = day
            moved.append(showtime)
    Showtime.objects.bulk_update(moved, ["business_date"], batch_size=1000)
    return len(moved)


def recompute_business_dates() -> int:
    """Recompute every showtime's business date, one theater per transaction (after
    BUSINESS_DAY_STARTS_AT changed); returns how many moved."""
    moved = 0
    for pk in Theater.objects.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            theater = Theater.objects.select_for_update().get(pk=pk)
            moved += move_business_dates(theater=theater)
    return moved

"""Theater and screen writes: a theater's new time zone reaches its showtimes; a
screen and its seats are created and re-laid out together."""

from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.db.models.deletion import Collector
from django.utils import timezone

from .exceptions import ScreenHasReservations, ShowtimePricesMissing
from .models import LAYOUT_MARKS, Screen, Seat, Theater
from .signals import theater_timezone_changed


def update_theater(*, theater: Theater, **changes) -> Theater:
    """Update a theater; a new ``timezone`` is announced in the same transaction.

    The showtimes app moves the business dates of the theater's showtimes on
    ``theater_timezone_changed``, so ``?date=`` keeps finding them on the right day.
    """
    with transaction.atomic():
        theater = Theater.objects.select_for_update().get(pk=theater.pk)
        old_timezone = theater.timezone
        for field, value in changes.items():
            setattr(theater, field, value)
        theater.save()
        if theater.timezone != old_timezone:
            theater_timezone_changed.send(
                sender=Theater, theater=theater, old_timezone=old_timezone
            )
    return theater


def layout_capacity(layout: list[dict]) -> int:
    return sum(row["seats"] for row in layout)


def build_seats(screen: Screen) -> list[Seat]:
    """The unsaved seats of ``screen``'s layout: rows in layout order, 1..n each."""
    return [
        Seat(
            screen=screen,
            row=row["row"],
            row_index=index,
            number=number,
            label=f"{row['row']}{number}",
            category=row["category"],
            **{mark: number in row.get(mark, ()) for mark in LAYOUT_MARKS},
        )
        for index, row in enumerate(screen.layout)
        for number in range(1, row["seats"] + 1)
    ]


def _shape(layout: list[dict]) -> list[tuple]:
    """What of a layout makes its seats: rows, seat counts and categories."""
    return [(row["row"], row["seats"], row["category"]) for row in layout]


def _mark_seats(screen: Screen) -> None:
    """Rewrite the feature columns of ``screen``'s seats from its layout, in place:
    a layout change that only moves features keeps the seats (and their bookings)."""
    by_label = {seat.label: seat for seat in build_seats(screen)}
    seats = list(screen.seats.all())
    for seat in seats:
        for mark in LAYOUT_MARKS:
            setattr(seat, mark, getattr(by_label[seat.label], mark))
    Seat.objects.bulk_update(seats, list(LAYOUT_MARKS))


def create_screen(*, theater: Theater, name: str, layout: list[dict]) -> Screen:
    with transaction.atomic():
        screen = Screen(theater=theater, name=name, layout=layout)
        screen.capacity = layout_capacity(layout)
        screen.save()
        Seat.objects.bulk_create(build_seats(screen))
    return screen


def check_layout_change(*, screen: Screen, layout: list[dict]) -> None:
    """Raise unless ``screen``'s seats may be replaced by ``layout``.

    Seats referenced by reservations (even cancelled ones: they are history) are
    protected by on_delete=RESTRICT on the booking side: ScreenHasReservations.
    Upcoming showtimes need a price for every category: ShowtimePricesMissing.
    Both relations are reached in reverse, so this app imports nothing from the
    apps that build on it. A change of seat features only keeps the seats: allowed.
    """
    if _shape(layout) == _shape(screen.layout):
        return
    try:
        Collector(using=screen._state.db or "default").collect(screen.seats.all())
    except (ProtectedError, RestrictedError) as exc:
        raise ScreenHasReservations(screen_id=screen.pk) from exc
    categories = {row["category"] for row in layout}
    unpriced: dict[int, set[str]] = {}
    upcoming = screen.showtimes.filter(is_cancelled=False, starts_at__gt=timezone.now())
    for showtime_id, prices in upcoming.order_by("pk").values_list("pk", "prices"):
        missing = categories - set(prices or {})
        if missing:
            unpriced[showtime_id] = missing
    if unpriced:
        raise ShowtimePricesMissing(
            categories=sorted(set().union(*unpriced.values())),
            showtimes=sorted(unpriced),
        )


def update_screen(*, screen: Screen, **changes) -> Screen:
    """Update a screen; a new layout replaces its seats (see check_layout_change)."""
    with transaction.atomic():
        screen = Screen.objects.select_for_update().get(pk=screen.pk)
        new_layout = changes.pop("layout", None)
        for field, value in changes.items():
            setattr(screen, field, value)
        if new_layout is not None and new_layout != screen.layout:
            if _shape(new_layout) == _shape(screen.layout):
                screen.layout = new_layout
                _mark_seats(screen)
                screen.save()
                return screen
            check_layout_change(screen=screen, layout=new_layout)
            try:  # a booking may have landed since the check (it locks the showtime)
                screen.seats.all().delete()
            except (ProtectedError, RestrictedError) as exc:
                raise ScreenHasReservations(screen_id=screen.pk) from exc
            screen.layout = new_layout
            screen.capacity = layout_capacity(new_layout)
            Seat.objects.bulk_create(build_seats(screen))
        screen.save()
    return screen

"""Screen writes: a screen and its seats are created and re-laid out together."""

from django.db import transaction

from .models import Screen, Seat, Theater


def _build_seats(screen: Screen) -> list[Seat]:
    return [
        Seat(
            screen=screen,
            row=row["row"],
            row_index=index,
            number=number,
            label=f"{row['row']}{number}",
            category=row["category"],
        )
        for index, row in enumerate(screen.layout)
        for number in range(1, row["seats"] + 1)
    ]


def create_screen(*, theater: Theater, name: str, layout: list[dict]) -> Screen:
    with transaction.atomic():
        screen = Screen(theater=theater, name=name, layout=layout)
        screen.capacity = sum(row["seats"] for row in layout)
        screen.save()
        Seat.objects.bulk_create(_build_seats(screen))
    return screen


def update_screen(*, screen: Screen, **changes) -> Screen:
    """Update a screen; a new layout replaces its seats.

    Seats referenced by reservations are protected (on_delete=PROTECT on the
    booking side), so re-laying out a screen with bookings raises ProtectedError,
    which the API answers with 409 and which rolls the whole change back.
    """
    with transaction.atomic():
        screen = Screen.objects.select_for_update().get(pk=screen.pk)
        new_layout = changes.pop("layout", None)
        for field, value in changes.items():
            setattr(screen, field, value)
        if new_layout is not None and new_layout != screen.layout:
            screen.seats.all().delete()
            screen.layout = new_layout
            screen.capacity = sum(row["seats"] for row in new_layout)
            Seat.objects.bulk_create(_build_seats(screen))
        screen.save()
    return screen

"""Read queries for tickets, and the best-available seat search over a seat map."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from django.db.models import QuerySet
from django.utils import timezone

from movie_api.permissions import can_see_all_reservations
from reservations.models import Ticket
from reservations.selectors import get_seat_map
from reservations.services import ensure_open
from showtimes.models import Showtime

from .exceptions import NoAdjacentSeats


def list_visible_tickets(*, user) -> QuerySet[Ticket]:
    """Tickets ``user`` may look at: their own, or every ticket for box office and staff."""
    queryset = Ticket.objects.select_related("reservation", "seat")
    if not can_see_all_reservations(user):
        queryset = queryset.filter(reservation__user=user)
    return queryset.order_by("pk")


def find_best_block(
    seat_map: Sequence[dict],
    *,
    count: int,
    category: str | None = None,
    accessible: bool = False,
) -> list[dict] | None:
    """The best run of ``count`` free adjacent seats in one row, or None.

    ``seat_map`` is what ``reservations.selectors.get_seat_map`` returns (rows in
    screen order, seats in number order). Rows are drawn centred on the screen's
    centre line, so a block's sideways distance from that line is the distance
    between its centre and its row's centre, in seat widths. Candidates are ranked
    by, in order:

    1. that sideways distance (closest to the centre line first);
    2. the distance of the row from the middle row(s) of the auditorium;
    3. how many single free seats the block would strand between itself and a
       taken seat or the row's end (0, 1 or 2): a lone seat is hard to sell, so an
       equally good block that strands none wins;
    4. the row further from the screen, then the lower seat numbers (stable ties).

    Seats are adjacent when their numbers are consecutive; every seat of the block
    must be available, priced, and, when ``category`` is given, of that category.

    Wheelchair spaces and companion seats are never proposed unless ``accessible``;
    then the block must hold a wheelchair space and, for two seats or more, a
    companion seat beside it.
    """
    if count < 1:
        return None
    rows = [list(seats) for _, seats in groupby(seat_map, key=lambda s: s["row"])]
    middle_row = (len(rows) - 1) / 2
    best_key: tuple | None = None
    best: list[dict] | None = None
    for row_index, seats in enumerate(rows):
        numbers = [seat["number"] for seat in seats]
        row_centre = (min(numbers) + max(numbers)) / 2
        for start in range(len(seats) - count + 1):
            block = seats[start : start + count]
            if not _is_free_run(block, category):
                continue
            if not _fits_access(block, accessible):
                continue
            centre = (block[0]["number"] + block[-1]["number"]) / 2
            key = (
                abs(centre - row_centre),
                abs(row_index - middle_row),
                _stranded(seats, start, start + count - 1),
                -row_index,
                block[0]["number"],
            )
            if best_key is None or key < best_key:
                best_key, best = key, block
    return best


def _is_free_run(block: list[dict], category: str | None) -> bool:
    for position, seat in enumerate(block):
        if seat["status"] != "available" or seat["price"] is None:
            return False
        if category is not None and seat["category"] != category:
            return False
        if position and seat["number"] != block[position - 1]["number"] + 1:
            return False
    return True


def _fits_access(block: list[dict], accessible: bool) -> bool:
    """Without ``accessible``: no wheelchair or companion place in the block. With
    it: a wheelchair space, with a companion seat beside it when count > 1."""
    if not accessible:
        return not any(
            "wheelchair" in seat["features"] or "companion" in seat["features"]
            for seat in block
        )
    for position, seat in enumerate(block):
        if "wheelchair" not in seat["features"]:
            continue
        if len(block) == 1:
            return True
        beside = (
            block[max(0, position - 1) : position] + block[position + 1 : position + 2]
        )
        if any("companion" in other["features"] for other in beside):
            return True
    return False


def _stranded(seats: list[dict], first: int, last: int) -> int:
    """Single free seats left between the block and a taken seat or the row's end."""

    def free(index: int) -> bool:
        if not 0 <= index < len(seats):
            return False
        neighbour = seats[index]
        return neighbour["status"] == "available"

    def adjacent(a: int, b: int) -> bool:
        return abs(seats[a]["number"] - seats[b]["number"]) == 1

    stranded = 0
    for step, edge in ((-1, first), (1, last)):
        lone = edge + step
        beyond = lone + step
        if (
            free(lone)
            and adjacent(edge, lone)
            and not (free(beyond) and adjacent(lone, beyond))
        ):
            stranded += 1
    return stranded


def get_best_seats(
    *,
    showtime: Showtime,
    count: int,
    category: str | None = None,
    accessible: bool = False,
) -> list[dict]:
    """The best block (seat-map entries) for ``showtime``: ``ShowtimeClosed`` once it
    has started or was cancelled (as for a hold), else ``NoAdjacentSeats`` if none."""
    ensure_open(showtime, timezone.now())
    block = find_best_block(
        get_seat_map(showtime=showtime),
        count=count,
        category=category,
        accessible=accessible,
    )
    if block is None:
        raise NoAdjacentSeats(count=count, category=category)
    return block

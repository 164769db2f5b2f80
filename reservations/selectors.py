"""Read queries for reservations and the live seat map."""

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from movie_api.permissions import can_see_all_reservations
from showtimes.models import Showtime
from theaters.models import SEAT_FEATURES, Seat

from .models import (
    Reservation,
    ReservationEvent,
    ReservationStatus,
    ReservedSeat,
    SeatBlock,
    Ticket,
)


def count_active_holds() -> int:
    """Holds not yet lapsed, over all showtimes (the metrics' active-holds gauge)."""
    return Reservation.objects.filter(
        status=ReservationStatus.HELD, expires_at__gt=timezone.now()
    ).count()


def list_reservation_rows(*, user) -> QuerySet[Reservation]:
    """Reservations ``user`` may see, as bare rows (no joins): their own, or all for
    box office and staff. For looking one up to authorise a change."""
    queryset = Reservation.objects.all()
    if not can_see_all_reservations(user):
        queryset = queryset.filter(user=user)
    return queryset.order_by("-created_at", "-id")


def list_reservation_events(*, reservation: Reservation) -> QuerySet[ReservationEvent]:
    """A reservation's audit trail, oldest first."""
    return ReservationEvent.objects.filter(reservation=reservation).order_by("at", "id")


def list_reservations_for_display(*, user) -> QuerySet[Reservation]:
    """The same reservations as ``list_reservation_rows``, with everything
    ``ReservationSerializer`` shows joined or prefetched."""
    queryset = (
        list_reservation_rows(user=user)
        .select_related(
            "showtime",
            "showtime__movie",
            "showtime__screen",
            "showtime__screen__theater",
            "voucher",
        )
        .prefetch_related(
            Prefetch(
                "reserved_seats",
                queryset=ReservedSeat.objects.select_related(
                    "seat", "ticket_type"
                ).order_by("seat__row_index", "seat__number"),
            ),
            Prefetch(
                "tickets",
                queryset=Ticket.objects.select_related("seat").order_by(
                    "seat__row_index", "seat__number"
                ),
            ),
        )
    )
    return queryset


def get_seat_map(*, showtime: Showtime) -> list[dict]:
    """Every seat of the showtime's screen with its price and live status.

    Three queries whatever the size: the seats, the active claims on them, and the
    seats blocked by an active block (the showtime's or its screen's). A hold whose
    deadline has passed counts as available (or blocked) at once, before any sweep.
    A seat's status is the first that applies of sold, held, blocked, available.
    """
    return _build_seat_map(showtime, showtime.prices)[0]


def list_seat_blocks(**scope) -> QuerySet[SeatBlock]:
    """Active seat blocks of a showtime (``showtime_id=``) or a screen
    (``screen_id=``), oldest first, with their seats."""
    return (
        SeatBlock.objects.active()
        .filter(**scope)
        .prefetch_related(Prefetch("seats", queryset=Seat.objects.order_by("pk")))
        .order_by("created_at", "id")
    )


def _build_seat_map(
    showtime: Showtime, prices: dict
) -> tuple[list[dict], datetime | None]:
    """The seat map, and the earliest moment it changes without a write (a hold's
    deadline), if any. ``showtime`` needs pk, screen_id, starts_at, business_date."""
    now = timezone.now()
    showtime_id, screen_id = showtime.pk, showtime.screen_id
    claims = dict(
        ReservedSeat.objects.filter(
            showtime_id=showtime_id, is_active=True
        ).values_list("seat_id", "held_until")
    )
    blocked = set(
        SeatBlock.seats.through.objects.filter(
            seatblock__in=SeatBlock.objects.applying_to(showtime)
        ).values_list("seat_id", flat=True)
    )
    next_change = min(
        (t for t in claims.values() if t is not None and t > now), default=None
    )
    seat_map = []
    for seat in (
        Seat.objects.filter(screen_id=screen_id)
        .order_by("row_index", "number")
        .values(
            "id",
            "label",
            "row",
            "number",
            "category",
            "wheelchair",
            "companion",
            "restricted_view",
            "aisle_after",
        )
    ):
        status = "available"
        if seat["id"] in claims:
            held_until = claims[seat["id"]]
            if held_until is None:
                status = "sold"
            elif held_until > now:
                status = "held"
        if status == "available" and seat["id"] in blocked:
            status = "blocked"
        seat_map.append(
            {
                "label": seat["label"],
                "row": seat["row"],
                "number": seat["number"],
                "category": seat["category"],
                "price": prices.get(seat["category"]),
                "status": status,
                "features": [name for name in SEAT_FEATURES if seat[name]],
                "aisle_after": seat["aisle_after"],
            }
        )
    return seat_map, next_change


@dataclass(frozen=True)
class RenderedSeatMap:
    body: bytes
    etag: str


def get_seat_map_json(*, showtime_id: int) -> RenderedSeatMap | None:
    """The seat map as JSON bytes, served from the cache while it is current.

    The key holds the showtime's ``seats_version``, which the booking service bumps
    in every transaction that changes a seat (inside its showtime lock), plus a
    digest of the prices and layout. A reader reads the version first and the seats
    after, so once a sale commits no reader can find the old map under the new key:
    a sold seat is never shown available after the sale's commit. Holds lapse
    without a write, so an entry is only used until the earliest hold deadline in it.
    One query (plus one cache read) when current; None for an unknown showtime.
    """
    row = (
        Showtime.objects.filter(pk=showtime_id)
        .values_list(
            "screen_id",
            "prices",
            "seats_version",
            "screen__layout",
            "starts_at",
            "business_date",
        )
        .first()
    )
    if row is None:
        return None
    screen_id, prices, version, layout, starts_at, business_date = row
    shape = hashlib.blake2b(
        # starts_at decides which screen blocks apply (a rescheduled show)
        json.dumps([prices, layout, str(starts_at)], sort_keys=True).encode(),
        digest_size=8,
    ).hexdigest()
    key = f"seatmap:{showtime_id}:{version}:{shape}"
    now = timezone.now()
    cached = cache.get(key)
    if cached is not None and (cached[2] is None or cached[2] > now):
        return RenderedSeatMap(body=cached[0], etag=cached[1])
    showtime = Showtime(
        pk=showtime_id,
        screen_id=screen_id,
        starts_at=starts_at,
        business_date=business_date,
    )
    seat_map, next_change = _build_seat_map(showtime, prices)
    body = json.dumps(seat_map, separators=(",", ":")).encode()
    etag = f'"sm{showtime_id}-{version}-{hashlib.blake2b(body, digest_size=8).hexdigest()}"'
    timeout = settings.SEAT_MAP_CACHE_SECONDS
    if next_change is not None:
        timeout = max(1, min(timeout, math.ceil((next_change - now).total_seconds())))
    cache.set(key, (body, etag, next_change), timeout=timeout)
    return RenderedSeatMap(body=body, etag=etag)

"""Seat rules shared by the use cases: labels, prices, availability, claims.

``taken_labels`` is the availability check every use case runs before it claims
seats; the race tests wrap it from the test side (to widen the window between the
check and the insert, or to switch the check off for a negative control).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from pricing.exceptions import (
    PriceMissing,
    TicketTypeNotAllowed,
    TicketTypeUnavailable,
)
from pricing.models import ADULT, TicketType
from showtimes.models import Showtime
from theaters.models import Seat

from ..exceptions import (
    HoldExpired,
    InvalidSeatSelection,
    ReservationNotHeld,
    SeatReservedForAccess,
    SeatsUnavailable,
    ShowtimeClosed,
    UnknownSeats,
)
from ..models import Reservation, ReservationStatus, ReservedSeat, SeatBlock

# No look-alikes (0/O, 1/I/L): booking references are read out at the box office.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def generate_reservation_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def generate_ticket_code() -> str:
    return secrets.token_urlsafe(18)  # 24 characters, 144 bits


def hold_deadline(
    now: datetime | None = None, *, group: bool = False, seconds: int | None = None
) -> datetime:
    if seconds is None:
        seconds = (
            settings.GROUP_HOLD_SECONDS if group else settings.RESERVATION_HOLD_SECONDS
        )
    return (now or timezone.now()) + timedelta(seconds=seconds)


def seat_limit(*, group: bool) -> int:
    """Seats one reservation may hold: GROUP_BOOKING_MAX for a group hold."""
    return settings.GROUP_BOOKING_MAX if group else settings.RESERVATION_MAX_SEATS


def clean_labels(labels: list[str], *, limit: int | None = None) -> list[str]:
    """Seat labels as the booking rules take them: trimmed, upper case, at least
    one, each once, at most ``limit`` (RESERVATION_MAX_SEATS). The API's input
    serializer and the services both apply this one rule."""
    labels = [str(label).strip().upper() for label in labels]
    if not labels:
        raise InvalidSeatSelection("Choose at least one seat.")
    limit = limit if limit is not None else settings.RESERVATION_MAX_SEATS
    if len(labels) > limit:
        raise InvalidSeatSelection(f"At most {limit} seats at once.", max_seats=limit)
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise InvalidSeatSelection(
            f"Each seat may be requested once; repeated: {', '.join(repeated)}.",
            repeated=repeated,
        )
    return labels


def seats_for(showtime: Showtime, labels: list[str]) -> list[Seat]:
    """The screen's seats with ``labels``, in seat-id order; ``UnknownSeats`` else."""
    seats = list(
        Seat.objects.filter(screen_id=showtime.screen_id, label__in=labels).order_by(
            "pk"
        )
    )
    if len(seats) != len(labels):
        unknown = sorted(set(labels) - {seat.label for seat in seats})
        raise UnknownSeats(seats=unknown)
    return seats


def ticket_types_for(showtime: Showtime, codes: set[str]) -> dict[str, TicketType]:
    """The ticket types named by ``codes``, each allowed for the showtime's film.

    ``TicketTypeUnavailable`` for a code that is no ticket type;
    ``TicketTypeNotAllowed`` for one whose ``max_age`` is below the film's
    ``min_age`` (a child ticket for a 15 film).
    """
    types = {t.code: t for t in TicketType.objects.filter(code__in=codes)}
    unknown = sorted(codes - set(types))
    if unknown:
        raise TicketTypeUnavailable(
            f"No ticket type {', '.join(unknown)}.", ticket_types=unknown
        )
    movie = showtime.movie
    refused = sorted(
        code
        for code, ticket_type in types.items()
        if ticket_type.max_age is not None and ticket_type.max_age < movie.min_age
    )
    if refused:
        certificate = movie.certificate or f"{movie.min_age}+"
        raise TicketTypeNotAllowed(
            f"{', '.join(refused)} tickets are not allowed for this film: it is rated "
            f"{certificate} (from age {movie.min_age}).",
            ticket_types=refused,
            certificate=movie.certificate,
            min_age=movie.min_age,
        )
    return types


def price_of(showtime: Showtime, seat: Seat, ticket_type: str = ADULT) -> Decimal:
    """The price of a ``ticket_type`` ticket for ``seat`` on ``showtime``."""
    row = showtime.ticket_prices.get(seat.category)
    if row is None:  # a layout changed after the showtime was priced
        raise PriceMissing(
            f"Seat {seat.label} ({seat.category}) has no price for this showtime.",
            seat=seat.label,
            category=seat.category,
        )
    if ticket_type not in row:
        raise TicketTypeUnavailable(
            f"This showtime has no {ticket_type} price for {seat.category} seats "
            f"({seat.label}).",
            seat=seat.label,
            category=seat.category,
            ticket_type=ticket_type,
        )
    return Decimal(row[ticket_type])


def ensure_open(showtime: Showtime, now: datetime) -> None:
    """Raise ShowtimeClosed once a showtime has started or was cancelled."""
    if showtime.is_cancelled or showtime.starts_at <= now:
        raise ShowtimeClosed(showtime_id=showtime.pk)


def ensure_held(reservation: Reservation, now: datetime) -> None:
    """Raise unless ``reservation`` is a hold that has not lapsed."""
    if reservation.status == ReservationStatus.EXPIRED:
        raise HoldExpired(reservation=reservation.code)
    if reservation.status != ReservationStatus.HELD:
        raise ReservationNotHeld(status=reservation.status)
    if reservation.expires_at <= now:
        raise HoldExpired(reservation=reservation.code)


def access_release(showtime: Showtime) -> datetime:
    """When wheelchair spaces and companion seats go on general sale."""
    return showtime.starts_at - timedelta(minutes=settings.WHEELCHAIR_RELEASE_MINUTES)


def ensure_access_rules(
    showtime: Showtime,
    wanted: list[Seat],
    *,
    added: list[Seat],
    accessible: bool,
    now: datetime,
) -> None:
    """Until the access release, a wheelchair space is held only with the
    customer's ``accessible`` declaration, and a companion seat only together with
    an adjacent wheelchair space in the same reservation (``wanted``: all its seats
    afterwards; ``added``: the ones it newly claims). ``SeatReservedForAccess``
    naming the seats otherwise."""
    if now >= access_release(showtime):
        return
    wheelchair = {(s.row_index, s.number) for s in wanted if s.wheelchair}
    refused = sorted(
        seat.label
        for seat in wanted
        if (seat.wheelchair and not accessible and seat in added)
        or (
            seat.companion
            and not {
                (seat.row_index, seat.number - 1),
                (seat.row_index, seat.number + 1),
            }
            & wheelchair
        )
    )
    if refused:
        raise SeatReservedForAccess(
            seats=refused, release_at=access_release(showtime).isoformat()
        )


def taken_labels(
    showtime: Showtime, seats: list[Seat], *, exclude: Reservation | None = None
) -> list[str]:
    """Labels of ``seats`` actively claimed on ``showtime`` (by others than
    ``exclude``)."""
    claims = ReservedSeat.objects.active().filter(showtime=showtime, seat__in=seats)
    if exclude is not None:
        claims = claims.exclude(reservation=exclude)
    return sorted(claims.values_list("seat__label", flat=True))


def blocked_labels(showtime: Showtime, seats: list[Seat]) -> list[str]:
    """Labels of ``seats`` withdrawn from ``showtime`` by an active seat block (its
    own or its screen's)."""
    return sorted(
        Seat.objects.filter(
            pk__in=[seat.pk for seat in seats],
            blocks__in=SeatBlock.objects.applying_to(showtime),
        )
        .distinct()
        .values_list("label", flat=True)
    )


def ensure_free(
    showtime: Showtime, seats: list[Seat], *, exclude: Reservation | None = None
) -> None:
    """The availability check: ``SeatsUnavailable`` naming the seats that are taken
    (actively claimed by others than ``exclude``) or blocked."""
    unavailable = set(taken_labels(showtime, seats, exclude=exclude))
    unavailable |= set(blocked_labels(showtime, seats))
    if unavailable:
        raise SeatsUnavailable(seats=sorted(unavailable))


def insert_claims(rows: list[ReservedSeat]) -> None:
    """Insert seat claims in seat-id order; the unique index's refusal is a 409."""
    if not rows:
        return
    rows.sort(key=lambda row: row.seat_id)  # fixed order: no deadlocks on PostgreSQL
    try:
        with transaction.atomic():  # savepoint: the unique index is the backstop
            ReservedSeat.objects.bulk_create(rows)
    except IntegrityError as exc:
        # The competing claim is committed by now (that is when the index says no),
        # so the rows that beat us can be named, as the checked path does.
        first = rows[0]
        seats = [row.seat for row in rows]
        taken = taken_labels(first.showtime, seats, exclude=first.reservation)
        raise SeatsUnavailable(
            seats=taken or sorted(seat.label for seat in seats)
        ) from exc


def labels_of(reservation: Reservation, seat_ids: set[int] | None = None) -> list[str]:
    """Labels of the reservation's active seats (of ``seat_ids`` only, if given)."""
    rows = reservation.reserved_seats.filter(is_active=True)
    if seat_ids is not None:
        rows = rows.filter(seat_id__in=seat_ids)
    return list(rows.order_by("seat_id").values_list("seat__label", flat=True))

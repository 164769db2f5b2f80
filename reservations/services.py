"""Booking use cases: hold seats, change them, purchase, cancel, expire.

Locking rule
============
Every function here that decides about seats runs inside one ``transaction.atomic()``
and, in this order:

1. locks the ``Showtime`` row, and only that row (``SELECT ... FOR UPDATE`` on
   PostgreSQL; on SQLite ``select_for_update`` is a no-op, but the settings open
   every transaction with ``BEGIN IMMEDIATE``, which already holds the database's
   write lock, so writers queue behind each other);
2. releases this showtime's expired holds (status ``expired``, seats inactive), so a
   stale hold never blocks a seat and the unique index below no longer counts it;
3. re-reads the state it decides on (never trusts the instance it was given),
   checks the rules, and writes. Seat rows are inserted in seat-id order.

One lock per transaction, always on the same kind of row, means two bookings never
wait for each other in opposite orders, so they cannot deadlock. The database is
the backstop: the partial unique index ``uniq_reservedseat_showtime_seat``
(showtime, seat) WHERE is_active refuses a second active claim on a seat even if a
code path forgot the lock; its ``IntegrityError`` becomes ``SeatsUnavailable`` (409).

Payment gateways are called *outside* the lock (a slow gateway must not stall every
booking of a showtime): purchase checks the hold and the showtime, charges, then
re-checks both under the lock and refunds the charge if the hold was lost (expired,
cancelled, bought by a twin request) or the showtime closed meanwhile.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from showtimes.models import Showtime
from theaters.models import Seat

from .exceptions import (
    CancellationClosed,
    HoldExpired,
    InvalidSeatSelection,
    ReservationNotActive,
    ReservationNotHeld,
    SeatsUnavailable,
    ShowtimeClosed,
    UnknownSeats,
)
from .models import Reservation, ReservationStatus, ReservedSeat, Ticket
from .payments import Charge, get_gateway

# No look-alikes (0/O, 1/I/L): booking references are read out at the box office.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def generate_reservation_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def generate_ticket_code() -> str:
    return secrets.token_urlsafe(18)  # 24 characters, 144 bits


def hold_deadline(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) + timedelta(
        seconds=settings.RESERVATION_HOLD_SECONDS
    )


def _guard_enabled() -> bool:
    return not settings.BOOKING_GUARD_DISABLED


def _race_window() -> None:
    """Test-only: widen the gap between check and write (refused outside debug/tests)."""
    if settings.BOOKING_RACE_WINDOW_SECONDS:
        time.sleep(settings.BOOKING_RACE_WINDOW_SECONDS)


def _lock_showtime(showtime_id: int) -> Showtime:
    queryset = Showtime.objects.all()
    if _guard_enabled():
        queryset = queryset.select_for_update()
    return queryset.get(pk=showtime_id)


def _validate_labels(labels: list[str]) -> list[str]:
    labels = [str(label).strip().upper() for label in labels]
    if not labels:
        raise InvalidSeatSelection("Choose at least one seat.")
    if len(set(labels)) != len(labels):
        raise InvalidSeatSelection("Each seat may be requested only once.")
    if len(labels) > settings.RESERVATION_MAX_SEATS:
        raise InvalidSeatSelection(
            f"At most {settings.RESERVATION_MAX_SEATS} seats per reservation.",
            max_seats=settings.RESERVATION_MAX_SEATS,
        )
    return labels


def _seats_for(showtime: Showtime, labels: list[str]) -> list[Seat]:
    seats = list(
        Seat.objects.filter(screen_id=showtime.screen_id, label__in=labels).order_by(
            "pk"
        )
    )
    if len(seats) != len(labels):
        unknown = sorted(set(labels) - {seat.label for seat in seats})
        raise UnknownSeats(seats=unknown)
    return seats


def _price_of(showtime: Showtime, seat: Seat) -> Decimal:
    try:
        return Decimal(showtime.prices[seat.category])
    except KeyError as exc:  # a layout changed after the showtime was priced
        raise ShowtimeClosed(
            f"Seat {seat.label} ({seat.category}) has no price for this showtime."
        ) from exc


def _ensure_open(showtime: Showtime, now: datetime) -> None:
    if showtime.is_cancelled or showtime.starts_at <= now:
        raise ShowtimeClosed(showtime_id=showtime.pk)


def _taken_labels(
    showtime: Showtime, seats: list[Seat], *, exclude: Reservation | None = None
):
    claims = ReservedSeat.objects.active().filter(showtime=showtime, seat__in=seats)
    if exclude is not None:
        claims = claims.exclude(reservation=exclude)
    return sorted(claims.values_list("seat__label", flat=True))


def _insert_claims(rows: list[ReservedSeat]) -> None:
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
        taken = _taken_labels(first.showtime, seats, exclude=first.reservation)
        raise SeatsUnavailable(
            seats=taken or sorted(seat.label for seat in seats)
        ) from exc


def release_expired_holds(
    *, showtime_id: int, now: datetime | None = None
) -> list[int]:
    """Mark this showtime's lapsed holds expired and free their seats.

    Call it with the showtime locked (every service below does), or through
    ``expire_holds``. Returns the ids of the reservations it expired.
    """
    now = now or timezone.now()
    stale = list(
        Reservation.objects.filter(
            showtime_id=showtime_id, status=ReservationStatus.HELD, expires_at__lte=now
        ).values_list("pk", flat=True)
    )
    if stale:
        Reservation.objects.filter(pk__in=stale, status=ReservationStatus.HELD).update(
            status=ReservationStatus.EXPIRED
        )
        ReservedSeat.objects.filter(reservation_id__in=stale, is_active=True).update(
            is_active=False
        )
    return stale


def create_reservation(*, user, showtime: Showtime, labels: list[str]) -> Reservation:
    """Hold ``labels`` on ``showtime`` for ``user``: all of them, or none (409)."""
    labels = _validate_labels(labels)
    with transaction.atomic():
        showtime = _lock_showtime(showtime.pk)
        now = timezone.now()
        _ensure_open(showtime, now)
        seats = _seats_for(showtime, labels)
        release_expired_holds(showtime_id=showtime.pk, now=now)
        if _guard_enabled():
            taken = _taken_labels(showtime, seats)
            if taken:
                raise SeatsUnavailable(seats=taken)
        _race_window()
        expires_at = hold_deadline(now)
        prices = {seat.pk: _price_of(showtime, seat) for seat in seats}
        reservation = _create_with_unique_code(
            user=user,
            showtime=showtime,
            expires_at=expires_at,
            total_price=sum(prices.values(), Decimal("0.00")),
        )
        _insert_claims(
            [
                ReservedSeat(
                    reservation=reservation,
                    showtime=showtime,
                    seat=seat,
                    price=prices[seat.pk],
                    held_until=expires_at,
                )
                for seat in seats
            ]
        )
    return reservation


def _create_with_unique_code(**fields) -> Reservation:
    for _ in range(5):
        try:
            with transaction.atomic():
                return Reservation.objects.create(
                    code=generate_reservation_code(), **fields
                )
        except IntegrityError:
            continue  # 31^8 codes: a clash is rare; try another
    raise RuntimeError("Could not allocate a unique reservation code")


def _held_or_raise(reservation: Reservation, now: datetime) -> None:
    if reservation.status == ReservationStatus.EXPIRED:
        raise HoldExpired(reservation=reservation.code)
    if reservation.status != ReservationStatus.HELD:
        raise ReservationNotHeld(status=reservation.status)
    if reservation.expires_at <= now:
        raise HoldExpired(reservation=reservation.code)


def change_seats(*, reservation: Reservation, labels: list[str]) -> Reservation:
    """Replace the seats of a held reservation. On any conflict it keeps its old seats.

    The hold's deadline does not move: editing cannot extend a hold.
    """
    labels = _validate_labels(labels)
    expired: HoldExpired | None = None
    with transaction.atomic():
        showtime = _lock_showtime(reservation.showtime_id)
        now = timezone.now()
        release_expired_holds(showtime_id=showtime.pk, now=now)
        reservation = Reservation.objects.get(pk=reservation.pk)
        try:
            _held_or_raise(reservation, now)
        except HoldExpired as exc:
            expired = exc  # raised after commit, so the expiry above is kept
        if expired is None:
            _ensure_open(showtime, now)
            seats = _seats_for(showtime, labels)
            current = {
                row.seat_id: row
                for row in reservation.reserved_seats.filter(is_active=True)
            }
            wanted = {seat.pk: seat for seat in seats}
            added = [seat for pk, seat in wanted.items() if pk not in current]
            if _guard_enabled():
                taken = _taken_labels(showtime, added, exclude=reservation)
                if taken:
                    raise SeatsUnavailable(seats=taken)
            _race_window()
            ReservedSeat.objects.filter(
                reservation=reservation, seat_id__in=set(current) - set(wanted)
            ).delete()
            new_rows = [
                ReservedSeat(
                    reservation=reservation,
                    showtime=showtime,
                    seat=seat,
                    price=_price_of(showtime, seat),
                    held_until=reservation.expires_at,
                )
                for seat in added
            ]
            _insert_claims(new_rows)
            kept = [row.price for pk, row in current.items() if pk in wanted]
            reservation.total_price = sum(
                [*kept, *(row.price for row in new_rows)], Decimal("0.00")
            )
            reservation.save(update_fields=["total_price"])
    if expired is not None:
        raise expired
    return reservation


def purchase_reservation(
    *, reservation: Reservation, payment_token: str | None = None
) -> Reservation:
    """Confirm a held, unexpired reservation: charge, then issue one ticket per seat.

    Purchasing an already confirmed reservation returns it unchanged (no second
    charge, no second set of tickets).
    """
    reservation = Reservation.objects.get(pk=reservation.pk)
    if reservation.status == ReservationStatus.CONFIRMED:
        return reservation
    now = timezone.now()
    if reservation.status == ReservationStatus.HELD and reservation.expires_at <= now:
        with transaction.atomic():
            _lock_showtime(reservation.showtime_id)
            release_expired_holds(showtime_id=reservation.showtime_id, now=now)
        raise HoldExpired(reservation=reservation.code)
    _held_or_raise(reservation, now)
    _ensure_open(reservation.showtime, now)

    gateway = get_gateway()
    charge = gateway.charge(
        amount=reservation.total_price,
        token=payment_token,
        description=f"Reservation {reservation.code}",
    )
    try:
        return _confirm(reservation=reservation, charge=charge)
    except _AlreadyConfirmed:
        # A concurrent purchase of the same reservation won: refund this charge.
        gateway.refund(reference=charge.reference, amount=charge.amount)
        return Reservation.objects.get(pk=reservation.pk)
    except BaseException:
        gateway.refund(reference=charge.reference, amount=charge.amount)
        raise


def _confirm(*, reservation: Reservation, charge: Charge) -> Reservation:
    lost: Exception | None = None
    with transaction.atomic():
        showtime = _lock_showtime(reservation.showtime_id)
        now = timezone.now()
        release_expired_holds(showtime_id=showtime.pk, now=now)
        reservation = Reservation.objects.get(pk=reservation.pk)
        if reservation.status == ReservationStatus.CONFIRMED:
            lost = _AlreadyConfirmed()
        else:
            try:
                _held_or_raise(reservation, now)
                _ensure_open(showtime, now)
            except (HoldExpired, ReservationNotHeld, ShowtimeClosed) as exc:
                lost = exc
        if lost is None:
            reservation.status = ReservationStatus.CONFIRMED
            reservation.confirmed_at = now
            reservation.payment_reference = charge.reference
            reservation.save(
                update_fields=["status", "confirmed_at", "payment_reference"]
            )
            seat_ids = list(
                reservation.reserved_seats.filter(is_active=True)
                .order_by("seat_id")
                .values_list("seat_id", flat=True)
            )
            ReservedSeat.objects.filter(reservation=reservation, is_active=True).update(
                held_until=None
            )
            Ticket.objects.bulk_create(
                [
                    Ticket(
                        reservation=reservation,
                        seat_id=seat_id,
                        code=generate_ticket_code(),
                    )
                    for seat_id in seat_ids
                ]
            )
    if lost is not None:
        raise lost  # after commit, so the expiry released above is kept
    return reservation


class _AlreadyConfirmed(Exception):
    """Internal: another request confirmed this reservation first."""


def cancel_reservation(*, reservation: Reservation, actor) -> Reservation:
    """Cancel: a hold frees its seats at once; a purchase is refunded within policy.

    Owners may cancel a confirmed reservation until CANCELLATION_CUTOFF_MINUTES
    before the show; staff may cancel at any time.
    """
    inactive: ReservationNotActive | None = None
    with transaction.atomic():
        showtime = _lock_showtime(reservation.showtime_id)
        now = timezone.now()
        release_expired_holds(showtime_id=showtime.pk, now=now)
        reservation = Reservation.objects.get(pk=reservation.pk)
        was_paid = reservation.status == ReservationStatus.CONFIRMED
        if reservation.status == ReservationStatus.HELD:
            reservation.refund_amount = Decimal("0.00")
        elif was_paid:
            cutoff = showtime.starts_at - timedelta(
                minutes=settings.CANCELLATION_CUTOFF_MINUTES
            )
            if now >= cutoff and not (actor.is_staff or actor.is_superuser):
                raise CancellationClosed(cutoff=cutoff.isoformat())
            reservation.refund_amount = reservation.total_price
            reservation.tickets.update(is_void=True)
        else:
            # raised after commit, so an expiry released above is kept
            inactive = ReservationNotActive(status=reservation.status)
        if inactive is None:
            reservation.status = ReservationStatus.CANCELLED
            reservation.cancelled_at = now
            reservation.save(update_fields=["status", "cancelled_at", "refund_amount"])
            ReservedSeat.objects.filter(reservation=reservation, is_active=True).update(
                is_active=False
            )
        if was_paid and reservation.refund_amount:
            reference, amount = reservation.payment_reference, reservation.refund_amount
            transaction.on_commit(
                lambda: get_gateway().refund(reference=reference, amount=amount)
            )
    if inactive is not None:
        raise inactive
    return reservation


def expire_holds(*, now: datetime | None = None) -> int:
    """Sweep every showtime with lapsed holds (for cron); returns how many expired."""
    now = now or timezone.now()
    showtime_ids = (
        Reservation.objects.filter(status=ReservationStatus.HELD, expires_at__lte=now)
        .order_by("showtime_id")
        .values_list("showtime_id", flat=True)
        .distinct()
    )
    expired = 0
    for showtime_id in list(showtime_ids):
        with transaction.atomic():
            _lock_showtime(showtime_id)
            expired += len(release_expired_holds(showtime_id=showtime_id, now=now))
    return expired

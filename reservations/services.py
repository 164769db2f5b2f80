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
   checks the rules, and writes. Seat rows are inserted in seat-id order, and a
   change of seat state bumps ``Showtime.seats_version`` on the locked row, which
   keys the cached seat map (``selectors.get_seat_map_json``).

``create_reservation`` alone takes a second lock, after step 2: the user's row
(``FOR NO KEY UPDATE``), because the limit on active holds per user spans showtimes,
so the showtime lock cannot serialise two holds of one user on different showtimes.
It is always taken after a showtime lock and never before one, and nothing else
locks user rows while holding a showtime lock, so no two transactions can wait for
each other in opposite orders. ``NO KEY`` keeps it from blocking the foreign-key
checks of rows that merely point at the user (tokens, idempotency keys, audit rows).

One showtime lock per transaction, always on the same kind of row, means two
bookings never wait for each other in opposite orders, so they cannot deadlock. The
database is the backstop: the partial unique index ``uniq_reservedseat_showtime_seat``
(showtime, seat) WHERE is_active refuses a second active claim on a seat even if a
code path forgot the lock; its ``IntegrityError`` becomes ``SeatsUnavailable`` (409).

Every state change appends a ``ReservationEvent`` (the audit trail) in the same
transaction, so a change and its record commit or roll back together. A deadlock or
serialization failure on PostgreSQL is retried once
(``retry_once_on_transaction_conflict``) by the functions that own a transaction.

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
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from movie_api.db import retry_once_on_transaction_conflict
from movie_api.middleware import current_request_id
from showtimes.models import Showtime
from theaters.models import Seat

from .exceptions import (
    CancellationClosed,
    HoldExpired,
    HoldLimitReached,
    InvalidSeatSelection,
    ReservationChanged,
    ReservationNotActive,
    ReservationNotHeld,
    SeatLimitReached,
    SeatsUnavailable,
    ShowtimeClosed,
    TicketUsed,
    UnknownSeats,
)
from .models import (
    Reservation,
    ReservationAction,
    ReservationEvent,
    ReservationStatus,
    ReservedSeat,
    Ticket,
)
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


def ensure_open(showtime: Showtime, now: datetime) -> None:
    """Raise ShowtimeClosed once a showtime has started or was cancelled."""
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


# --- audit trail -------------------------------------------------------------------


def _plain(value):
    """Details as JSON would show them in the API (Decimal "25.50", UTC "...Z")."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _event(
    *,
    reservation: Reservation,
    action: str,
    actor,
    now: datetime,
    from_status: str,
    to_status: str,
    **details,
) -> ReservationEvent:
    """An unsaved audit row for one state change; ``actor`` None means the system."""
    return ReservationEvent(
        reservation=reservation,
        reservation_code=reservation.code,
        action=action,
        actor=actor,
        actor_username=actor.get_username() if actor is not None else "",
        at=now,
        from_status=from_status,
        to_status=to_status,
        details={key: _plain(value) for key, value in details.items()},
        request_id=current_request_id(),
    )


def _record(**fields) -> ReservationEvent:
    event = _event(**fields)
    event.save()
    if event.action != ReservationAction.CHECKED_IN:
        _seats_changed(event.reservation.showtime_id)
    return event


def _seats_changed(showtime_id: int) -> None:
    """Bump the version that keys the cached seat map (selectors.get_seat_map_json).

    Runs in the booking transaction, on the showtime row it already locks, so the
    new version becomes visible exactly when the seat change commits.
    """
    Showtime.objects.filter(pk=showtime_id).update(seats_version=F("seats_version") + 1)


def _labels_of(reservation: Reservation, seat_ids: set[int] | None = None) -> list[str]:
    """Labels of the reservation's active seats (of ``seat_ids`` only, if given)."""
    rows = reservation.reserved_seats.filter(is_active=True)
    if seat_ids is not None:
        rows = rows.filter(seat_id__in=seat_ids)
    return list(rows.order_by("seat_id").values_list("seat__label", flat=True))


def record_check_in(
    *, ticket: Ticket, actor, now: datetime | None = None
) -> ReservationEvent:
    """Append a ticket's check-in to its reservation's history.

    For ``tickets.services.check_in_ticket``: call it inside that transaction, after
    the conditional UPDATE claimed the ticket, so the record commits with it. The
    reservation stays ``confirmed``; the event names the seat, not the ticket's
    code (a code is what lets a person in).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_check_in must run inside the check-in transaction")
    reservation = ticket.reservation
    return _record(
        reservation=reservation,
        action=ReservationAction.CHECKED_IN,
        actor=actor,
        now=now or timezone.now(),
        from_status=reservation.status,
        to_status=reservation.status,
        ticket=ticket.pk,
        seat=ticket.seat.label,
    )


# --- hoarding limits (OWASP API6) ---------------------------------------------------


def _lock_user(user) -> None:
    """The second lock of ``create_reservation`` (see the locking rule above)."""
    if _guard_enabled():
        list(
            get_user_model()
            .objects.select_for_update(no_key=True)
            .filter(pk=user.pk)
            .values_list("pk", flat=True)
        )


def _check_hold_limit(*, user, now: datetime) -> None:
    limit = settings.RESERVATION_MAX_ACTIVE_HOLDS
    active = Reservation.objects.filter(
        user=user, status=ReservationStatus.HELD, expires_at__gt=now
    ).count()
    if active >= limit:
        raise HoldLimitReached(limit=limit, active_holds=active)


def _check_seat_limit(
    *,
    user,
    showtime: Showtime,
    requested: int,
    now: datetime,
    exclude: Reservation | None = None,
) -> None:
    """Seats ``user`` would hold on ``showtime`` (lapsed holds and purchases aside)."""
    limit = settings.RESERVATION_MAX_HELD_SEATS_PER_SHOWTIME
    held = ReservedSeat.objects.active().filter(
        showtime=showtime,
        held_until__gt=now,
        reservation__user=user,
        reservation__status=ReservationStatus.HELD,
    )
    if exclude is not None:
        held = held.exclude(reservation=exclude)
    already = held.count()
    if already + requested > limit:
        raise SeatLimitReached(limit=limit, held_seats=already, requested=requested)


# --- use cases --------------------------------------------------------------------


def release_expired_holds(
    *, showtime_id: int, now: datetime | None = None, trigger: str = "lazy"
) -> list[int]:
    """Mark this showtime's lapsed holds expired, free their seats, record each.

    Call it with the showtime locked (every service below does), or through
    ``expire_holds``. Returns the ids of the reservations it expired. The events
    have no actor (the system expires holds) but carry the request id of whatever
    booking released them; ``trigger`` says which path did ("lazy" or "sweep").
    """
    now = now or timezone.now()
    return _end_holds(
        Reservation.objects.filter(
            showtime_id=showtime_id, status=ReservationStatus.HELD, expires_at__lte=now
        ),
        showtime_id=showtime_id,
        status=ReservationStatus.EXPIRED,
        action=ReservationAction.EXPIRED,
        actor=None,
        now=now,
        trigger=trigger,
    )


def cancel_holds_of_cancelled_showtime(
    *, showtime_id: int, actor=None, now: datetime | None = None
) -> list[int]:
    """Free every hold of a showtime that was just cancelled; returns their ids.

    Runs in the transaction that cancels the showtime, under its lock (a receiver of
    ``showtimes.signals.showtime_cancelled``). Lapsed holds are recorded as expired,
    the others as cancelled by ``actor`` (the manager) with nothing to refund.
    Purchases stay confirmed: their buyers (or box office) cancel them for a full
    refund whatever the cutoff, and their tickets are refused at the door.
    """
    now = now or timezone.now()
    release_expired_holds(showtime_id=showtime_id, now=now)
    return _end_holds(
        Reservation.objects.filter(
            showtime_id=showtime_id, status=ReservationStatus.HELD
        ),
        showtime_id=showtime_id,
        status=ReservationStatus.CANCELLED,
        action=ReservationAction.CANCELLED,
        actor=actor,
        now=now,
        reason="showtime_cancelled",
    )


def on_showtime_cancelled(sender, *, showtime: Showtime, actor=None, **kwargs) -> None:
    """Receiver of ``showtimes.signals.showtime_cancelled``."""
    cancel_holds_of_cancelled_showtime(showtime_id=showtime.pk, actor=actor)


def _end_holds(
    holds, *, showtime_id: int, status: str, action: str, actor, now: datetime, **extra
) -> list[int]:
    """Move ``holds`` (held reservations of one locked showtime) to ``status``.

    Frees their seats, appends one ``action`` event each (with ``extra`` details),
    and bumps the seat-map version once.
    """
    ended = list(holds.order_by("pk"))
    if not ended:
        return []
    ids = [reservation.pk for reservation in ended]
    labels: dict[int, list[str]] = {pk: [] for pk in ids}
    for reservation_id, label in (
        ReservedSeat.objects.filter(reservation_id__in=ids, is_active=True)
        .order_by("reservation_id", "seat_id")
        .values_list("reservation_id", "seat__label")
    ):
        labels[reservation_id].append(label)
    changes = {"status": status}
    if status == ReservationStatus.CANCELLED:
        changes.update(cancelled_at=now, refund_amount=Decimal("0.00"))
    Reservation.objects.filter(pk__in=ids, status=ReservationStatus.HELD).update(
        **changes
    )
    ReservedSeat.objects.filter(reservation_id__in=ids, is_active=True).update(
        is_active=False
    )
    ReservationEvent.objects.bulk_create(
        [
            _event(
                reservation=reservation,
                action=action,
                actor=actor,
                now=now,
                from_status=ReservationStatus.HELD,
                to_status=status,
                seats=labels[reservation.pk],
                expires_at=reservation.expires_at,
                **extra,
            )
            for reservation in ended
        ]
    )
    _seats_changed(showtime_id)
    return ids


@retry_once_on_transaction_conflict
def create_reservation(*, user, showtime: Showtime, labels: list[str]) -> Reservation:
    """Hold ``labels`` on ``showtime`` for ``user``: all of them, or none (409).

    Refused (409) when ``user`` already has RESERVATION_MAX_ACTIVE_HOLDS unexpired
    holds, or would hold more than RESERVATION_MAX_HELD_SEATS_PER_SHOWTIME seats
    on this showtime.
    """
    labels = _validate_labels(labels)
    with transaction.atomic():
        showtime = _lock_showtime(showtime.pk)
        now = timezone.now()
        ensure_open(showtime, now)
        seats = _seats_for(showtime, labels)
        release_expired_holds(showtime_id=showtime.pk, now=now)
        _lock_user(user)
        _check_hold_limit(user=user, now=now)
        _check_seat_limit(user=user, showtime=showtime, requested=len(seats), now=now)
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
        _record(
            reservation=reservation,
            action=ReservationAction.CREATED,
            actor=user,
            now=now,
            from_status="",
            to_status=ReservationStatus.HELD,
            showtime=showtime.pk,
            seats=[seat.label for seat in seats],
            total_price=reservation.total_price,
            expires_at=expires_at,
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


@retry_once_on_transaction_conflict
def change_seats(
    *, reservation: Reservation, labels: list[str], actor=None
) -> Reservation:
    """Replace the seats of a held reservation. On any conflict it keeps its old seats.

    The hold's deadline does not move: editing cannot extend a hold. The owner's
    seats on the showtime stay within RESERVATION_MAX_HELD_SEATS_PER_SHOWTIME.
    ``actor`` (for the audit trail) defaults to the reservation's owner.
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
            ensure_open(showtime, now)
            seats = _seats_for(showtime, labels)
            current = {
                row.seat_id: row
                for row in reservation.reserved_seats.filter(is_active=True)
                .select_related("seat")
                .order_by("seat_id")
            }
            wanted = {seat.pk: seat for seat in seats}
            added = [seat for pk, seat in wanted.items() if pk not in current]
            _check_seat_limit(
                user=reservation.user_id,
                showtime=showtime,
                requested=len(seats),
                now=now,
                exclude=reservation,
            )
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
            total_before = reservation.total_price
            reservation.total_price = sum(
                [*kept, *(row.price for row in new_rows)], Decimal("0.00")
            )
            reservation.save(update_fields=["total_price"])
            if set(current) != set(wanted):
                _record(
                    reservation=reservation,
                    action=ReservationAction.SEATS_CHANGED,
                    actor=actor if actor is not None else reservation.user,
                    now=now,
                    from_status=ReservationStatus.HELD,
                    to_status=ReservationStatus.HELD,
                    seats_before=[row.seat.label for row in current.values()],
                    seats_after=[seat.label for seat in seats],
                    total_before=total_before,
                    total_after=reservation.total_price,
                )
    if expired is not None:
        raise expired
    return reservation


def _quote(reservation: Reservation) -> tuple[tuple[tuple[int, Decimal], ...], Decimal]:
    """The seats a purchase pays for and their total, read in one query.

    Purchase charges this before it takes the lock and confirms only if the same
    quote still stands under the lock, so what is confirmed is what was charged.
    """
    seats = tuple(
        reservation.reserved_seats.filter(is_active=True)
        .order_by("seat_id")
        .values_list("seat_id", "price")
    )
    return seats, sum((price for _, price in seats), Decimal("0.00"))


def purchase_reservation(
    *, reservation: Reservation, payment_token: str | None = None, actor=None
) -> Reservation:
    """Confirm a held, unexpired reservation: charge, then issue one ticket per seat.

    Purchasing an already confirmed reservation returns it unchanged (no second
    charge, no second set of tickets). If the seats change between the charge and
    the confirmation (a racing PATCH), the charge is refunded and the purchase is
    refused with ``ReservationChanged``: nothing is confirmed that was not paid for.
    ``actor`` (for the audit trail) defaults to the reservation's owner.
    """
    reservation = Reservation.objects.select_related("user").get(pk=reservation.pk)
    if reservation.status == ReservationStatus.CONFIRMED:
        return reservation
    now = timezone.now()
    if reservation.status == ReservationStatus.HELD and reservation.expires_at <= now:
        _release_showtime_holds(
            showtime_id=reservation.showtime_id, now=now, trigger="lazy"
        )
        raise HoldExpired(reservation=reservation.code)
    _held_or_raise(reservation, now)
    ensure_open(reservation.showtime, now)

    seats, amount = _quote(reservation)
    gateway = get_gateway()
    charge = gateway.charge(
        amount=amount,
        token=payment_token,
        description=f"Reservation {reservation.code}",
    )
    try:
        return _confirm(
            reservation=reservation,
            charge=charge,
            seats=seats,
            actor=actor if actor is not None else reservation.user,
        )
    except _AlreadyConfirmed:
        # A concurrent purchase of the same reservation won: refund this charge.
        gateway.refund(reference=charge.reference, amount=charge.amount)
        return Reservation.objects.get(pk=reservation.pk)
    except BaseException:
        gateway.refund(reference=charge.reference, amount=charge.amount)
        raise


@retry_once_on_transaction_conflict
def _confirm(
    *,
    reservation: Reservation,
    charge: Charge,
    seats: tuple[tuple[int, Decimal], ...],
    actor,
) -> Reservation:
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
                ensure_open(showtime, now)
            except (HoldExpired, ReservationNotHeld, ShowtimeClosed) as exc:
                lost = exc
        if lost is None and (
            _quote(reservation) != (seats, charge.amount)
            or reservation.total_price != charge.amount
        ):
            lost = ReservationChanged(
                charged=str(charge.amount), total_price=str(reservation.total_price)
            )
        if lost is None:
            reservation.status = ReservationStatus.CONFIRMED
            reservation.confirmed_at = now
            reservation.amount_paid = charge.amount
            reservation.payment_reference = charge.reference
            reservation.save(
                update_fields=[
                    "status",
                    "confirmed_at",
                    "amount_paid",
                    "payment_reference",
                ]
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
                    for seat_id, _ in seats
                ]
            )
            _record(
                reservation=reservation,
                action=ReservationAction.PURCHASED,
                actor=actor,
                now=now,
                from_status=ReservationStatus.HELD,
                to_status=ReservationStatus.CONFIRMED,
                seats=_labels_of(reservation),
                amount=charge.amount,
                payment_reference=charge.reference,
                tickets=len(seats),
            )
    if lost is not None:
        raise lost  # after commit, so the expiry released above is kept
    return reservation


class _AlreadyConfirmed(Exception):
    """Internal: another request confirmed this reservation first."""


def may_cancel_any_time(*, actor, showtime: Showtime) -> bool:
    """Whether ``actor`` may cancel a purchase on ``showtime`` past the owner's cutoff.

    Staff always may; anyone allowed to cancel at all may once the showtime itself
    was cancelled (its buyers and box office must not be stranded by the cutoff).
    """
    return showtime.is_cancelled or actor.is_staff or actor.is_superuser


@retry_once_on_transaction_conflict
def cancel_reservation(*, reservation: Reservation, actor) -> Reservation:
    """Cancel: a hold frees its seats at once; a purchase is refunded within policy.

    Owners may cancel a confirmed reservation until CANCELLATION_CUTOFF_MINUTES
    before the show, and not once one of its tickets was checked in
    (``TicketUsed``); staff may cancel at any time, and anyone may once the
    showtime was cancelled. The refund is what was paid (``amount_paid``), less the
    price of every seat whose ticket was used: a used ticket is never refunded, and
    its seat stays claimed so that it is never sold again for this showtime. A
    cancelled showtime refunds everything paid.
    """
    inactive: ReservationNotActive | None = None
    with transaction.atomic():
        showtime = _lock_showtime(reservation.showtime_id)
        now = timezone.now()
        release_expired_holds(showtime_id=showtime.pk, now=now)
        reservation = Reservation.objects.get(pk=reservation.pk)
        was_paid = reservation.status == ReservationStatus.CONFIRMED
        used_seat_ids: set[int] = set()
        if reservation.status == ReservationStatus.HELD:
            reservation.refund_amount = Decimal("0.00")
        elif was_paid:
            anytime = may_cancel_any_time(actor=actor, showtime=showtime)
            cutoff = showtime.starts_at - timedelta(
                minutes=settings.CANCELLATION_CUTOFF_MINUTES
            )
            if now >= cutoff and not anytime:
                raise CancellationClosed(cutoff=cutoff.isoformat())
            used_seat_ids = _lock_used_tickets(reservation)
            if used_seat_ids and not anytime:
                raise TicketUsed(seats=_labels_of(reservation, used_seat_ids))
            # A cancelled show was not seen, used ticket or not: all of it goes back.
            reservation.refund_amount = _refundable(
                reservation, set() if showtime.is_cancelled else used_seat_ids
            )
            reservation.tickets.filter(checked_in_at__isnull=True).update(is_void=True)
        else:
            # raised after commit, so an expiry released above is kept
            inactive = ReservationNotActive(status=reservation.status)
        if inactive is None:
            from_status = reservation.status
            seats = _labels_of(reservation)
            reservation.status = ReservationStatus.CANCELLED
            reservation.cancelled_at = now
            reservation.save(update_fields=["status", "cancelled_at", "refund_amount"])
            ReservedSeat.objects.filter(
                reservation=reservation, is_active=True
            ).exclude(seat_id__in=used_seat_ids).update(is_active=False)
            details = {"refund_amount": reservation.refund_amount}
            if used_seat_ids:
                details["used_seats"] = _labels_of(reservation, used_seat_ids)
            _record(
                reservation=reservation,
                action=ReservationAction.CANCELLED,
                actor=actor,
                now=now,
                from_status=from_status,
                to_status=ReservationStatus.CANCELLED,
                seats=seats,
                **details,
            )
        if was_paid and reservation.refund_amount:
            reference, amount = reservation.payment_reference, reservation.refund_amount
            transaction.on_commit(
                lambda: get_gateway().refund(reference=reference, amount=amount)
            )
    if inactive is not None:
        raise inactive
    return reservation


def _lock_used_tickets(reservation: Reservation) -> set[int]:
    """Seat ids of the reservation's checked-in tickets, with its tickets locked.

    Check-in takes no showtime lock; it claims a ticket with a conditional UPDATE.
    Locking the tickets here (FOR UPDATE reads the latest committed row on
    PostgreSQL; SQLite's IMMEDIATE transactions queue) means a check-in either
    committed before this read, and is seen, or waits and then finds the ticket
    void: a ticket is never both used and refunded.
    """
    tickets = Ticket.objects.filter(reservation=reservation).order_by("pk")
    if _guard_enabled():
        tickets = tickets.select_for_update()
    return {
        seat_id
        for seat_id, checked_in_at in tickets.values_list("seat_id", "checked_in_at")
        if checked_in_at is not None
    }


def _refundable(reservation: Reservation, used_seat_ids: set[int]) -> Decimal:
    """What was paid, less the seats whose tickets were used (never below zero)."""
    paid = reservation.amount_paid
    if paid is None:  # confirmed before amount_paid existed and not migrated
        paid = reservation.total_price
    used = sum(
        reservation.reserved_seats.filter(seat_id__in=used_seat_ids).values_list(
            "price", flat=True
        ),
        Decimal("0.00"),
    )
    return max(paid - used, Decimal("0.00"))


@retry_once_on_transaction_conflict
def _release_showtime_holds(*, showtime_id: int, now: datetime, trigger: str) -> int:
    """One showtime's lapsed holds, in a transaction of their own under its lock."""
    with transaction.atomic():
        _lock_showtime(showtime_id)
        return len(
            release_expired_holds(showtime_id=showtime_id, now=now, trigger=trigger)
        )


def expire_holds(*, now: datetime | None = None) -> int:
    """Sweep every showtime with lapsed holds (for cron); returns how many expired.

    One short transaction per showtime (each retried on its own after a deadlock),
    so a sweep never holds many showtime locks at once.
    """
    now = now or timezone.now()
    showtime_ids = (
        Reservation.objects.filter(status=ReservationStatus.HELD, expires_at__lte=now)
        .order_by("showtime_id")
        .values_list("showtime_id", flat=True)
        .distinct()
    )
    return sum(
        _release_showtime_holds(showtime_id=showtime_id, now=now, trigger="sweep")
        for showtime_id in list(showtime_ids)
    )

"""Holding seats: create a hold, change its seats, expire lapsed holds."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from movie_api.db import retry_once_on_transaction_conflict
from movie_api.permissions import can_book_groups
from pricing.models import ADULT, Voucher
from showtimes.models import Showtime
from theaters.models import Seat

from ..exceptions import GroupBookingNotAllowed, HoldExpired
from ..models import Reservation, ReservationAction, ReservationStatus, ReservedSeat
from . import locking, seats, vouchers
from .audit import bump_seats_version, record_event
from .limits import check_hold_limit, check_seat_limit

if TYPE_CHECKING:
    from accounts.models import User


# ``change_seats(voucher=KEEP)``: the hold keeps the voucher it has.
KEEP = object()


def _ticket_codes(labels: list[str], ticket_types: dict[str, str] | None) -> dict:
    """Label -> ticket type code; a seat named without one is an adult ticket."""
    chosen = {
        str(label).strip().upper(): code for label, code in (ticket_types or {}).items()
    }
    return {label: chosen.get(label, ADULT) for label in labels}


def _priced_rows(
    showtime: Showtime, wanted: list[Seat], codes: dict[str, str]
) -> list[ReservedSeat]:
    """Unsaved claims for ``wanted``, each with its ticket type and price."""
    types = seats.ticket_types_for(showtime, set(codes.values()))
    return [
        ReservedSeat(
            showtime=showtime,
            seat=seat,
            ticket_type=types[codes[seat.label]],
            price=seats.price_of(showtime, seat, codes[seat.label]),
        )
        for seat in wanted
    ]


def _tickets(rows: list[ReservedSeat]) -> list[dict]:
    """What the audit trail records of each claim."""
    return [
        {
            "seat": row.seat.label,
            "ticket_type": row.ticket_type.code if row.ticket_type else ADULT,
            "price": row.price,
            "discount": row.discount,
        }
        for row in sorted(rows, key=lambda row: row.seat_id)
    ]


@retry_once_on_transaction_conflict
def create_reservation(
    *,
    user: User,
    showtime: Showtime,
    labels: list[str],
    ticket_types: dict[str, str] | None = None,
    voucher: str | None = None,
    accessible: bool = False,
    group_name: str = "",
    hold_seconds: int | None = None,
) -> Reservation:
    """Hold ``labels`` on ``showtime`` for ``user``: all of them, or none (409).

    ``ticket_types`` maps a label to a ticket type code (default ``adult``); prices
    and discounts are fixed on the hold now. ``voucher`` is a code: it must be
    usable here (``VoucherInvalid`` otherwise) and the hold takes one use of it.
    Refused (409) when ``user`` already has RESERVATION_MAX_ACTIVE_HOLDS unexpired
    holds, or would hold more than RESERVATION_MAX_HELD_SEATS_PER_SHOWTIME seats
    on this showtime. ``accessible`` is the customer's declaration that they need a
    wheelchair space (see ``seats.ensure_access_rules``). A ``group_name`` makes a
    group hold (box office and staff only, else ``GroupBookingNotAllowed``): up to
    GROUP_BOOKING_MAX seats, for GROUP_HOLD_SECONDS, outside the hoarding limits.
    ``hold_seconds`` replaces the hold's length (a waiting list's offer).
    """
    group = bool(group_name)
    if group and not can_book_groups(user):
        raise GroupBookingNotAllowed()
    labels = seats.clean_labels(labels, limit=seats.seat_limit(group=group))
    codes = _ticket_codes(labels, ticket_types)
    with locking.decide_on_showtime(showtime.pk) as decision:
        showtime, now = decision.showtime, decision.now
        seats.ensure_open(showtime, now)
        wanted = seats.seats_for(showtime, labels)
        rows = _priced_rows(showtime, wanted, codes)
        if not group:
            locking.lock_user(user.pk)
            check_hold_limit(user_id=user.pk, now=now)
            check_seat_limit(
                user_id=user.pk, showtime=showtime, requested=len(wanted), now=now
            )
        seats.ensure_free(showtime, wanted)
        seats.ensure_access_rules(
            showtime, wanted, added=wanted, accessible=accessible, now=now
        )
        chosen = vouchers.claim_for_hold(
            voucher, user_id=user.pk, showtime=showtime, rows=rows, now=now
        )
        total, discount = vouchers.totals(rows)
        expires_at = seats.hold_deadline(now, group=group, seconds=hold_seconds)
        reservation = _create_with_unique_code(
            group_name=group_name,
            user=user,
            showtime=showtime,
            expires_at=expires_at,
            total_price=total,
            discount_total=discount,
            voucher=chosen,
        )
        for row in rows:
            row.reservation, row.held_until = reservation, expires_at
        seats.insert_claims(rows)
        _record_created(reservation, rows, chosen, actor=user, now=now)
        bump_seats_version(showtime.pk)
    return reservation


def _record_created(
    reservation: Reservation,
    rows: list[ReservedSeat],
    voucher: Voucher | None,
    *,
    actor: User,
    now: datetime,
) -> None:
    record_event(
        reservation=reservation,
        action=ReservationAction.CREATED,
        actor=actor,
        now=now,
        from_status="",
        to_status=ReservationStatus.HELD,
        showtime=reservation.showtime_id,
        seats=[row.seat.label for row in sorted(rows, key=lambda row: row.seat_id)],
        total_price=reservation.total_price,
        expires_at=reservation.expires_at,
        **({"group_name": reservation.group_name} if reservation.group_name else {}),
        **_pricing_details(rows, voucher),
    )


def _pricing_details(rows: list[ReservedSeat], voucher: Voucher | None) -> dict:
    """The audit trail's record of tickets and voucher (left out when plain adult)."""
    details: dict = {}
    if any(row.ticket_type.code != ADULT for row in rows if row.ticket_type):
        details["tickets"] = _tickets(rows)
    if voucher is not None:
        details["tickets"] = _tickets(rows)
        details["voucher"] = voucher.code
        details["discount_total"] = vouchers.totals(rows)[1]
    return details


def _create_with_unique_code(**fields) -> Reservation:
    for _ in range(5):
        try:
            with transaction.atomic():
                return Reservation.objects.create(
                    code=seats.generate_reservation_code(), **fields
                )
        except IntegrityError:
            continue  # 31^8 codes: a clash is rare; try another
    raise RuntimeError("Could not allocate a unique reservation code")


@retry_once_on_transaction_conflict
def change_seats(
    *,
    reservation: Reservation,
    labels: list[str],
    ticket_types: dict[str, str] | None = None,
    voucher=KEEP,
    actor: User | None = None,
    accessible: bool = False,
) -> Reservation:
    """Replace the seats (and ticket types) of a held reservation, or its voucher.

    On any conflict it keeps its old seats. Seats it keeps with the same ticket type
    keep their price. ``voucher``: ``KEEP`` (default) keeps the hold's voucher,
    ``None`` or ``""`` removes it (its use comes back), a code replaces it. The hold's
    deadline does not move: editing cannot extend a hold. The owner's seats on the
    showtime stay within RESERVATION_MAX_HELD_SEATS_PER_SHOWTIME. ``actor`` (for the
    audit trail) defaults to the reservation's owner. A wheelchair space it adds
    needs ``accessible``, as on create.
    """
    group = bool(reservation.group_name)  # fixed when the hold was made
    labels = seats.clean_labels(labels, limit=seats.seat_limit(group=group))
    codes = _ticket_codes(labels, ticket_types)
    with locking.decide_on_showtime(reservation.showtime_id) as decision:
        showtime, now = decision.showtime, decision.now
        reservation = Reservation.objects.select_related("voucher").get(
            pk=reservation.pk
        )
        try:
            seats.ensure_held(reservation, now)
        except HoldExpired as exc:
            locking.raise_after_commit(exc)  # keep the expiry just recorded
        seats.ensure_open(showtime, now)
        wanted_rows = _priced_rows(showtime, seats.seats_for(showtime, labels), codes)
        if not group:
            check_seat_limit(
                user_id=reservation.user_id,
                showtime=showtime,
                requested=len(wanted_rows),
                now=now,
                exclude=reservation,
            )
        held = set(
            reservation.reserved_seats.filter(is_active=True).values_list(
                "seat_id", flat=True
            )
        )
        wanted = [row.seat for row in wanted_rows]
        seats.ensure_access_rules(
            showtime,
            wanted,
            added=[seat for seat in wanted if seat.pk not in held],
            accessible=accessible,
            now=now,
        )
        before = _snapshot(reservation)
        rows = _replace_seats(reservation, showtime, wanted_rows)
        _switch_voucher(reservation, voucher, showtime=showtime, rows=rows, now=now)
        vouchers.retotal(reservation, rows)
        after = _snapshot(reservation)
        if before != after:
            _record_change(reservation, before, after, actor=actor, now=now)
            bump_seats_version(showtime.pk)
    return reservation


def _record_change(
    reservation: Reservation, before: tuple, after: tuple, *, actor, now: datetime
) -> None:
    record_event(
        reservation=reservation,
        action=ReservationAction.SEATS_CHANGED,
        actor=actor if actor is not None else reservation.user,
        now=now,
        from_status=ReservationStatus.HELD,
        to_status=ReservationStatus.HELD,
        seats_before=before[0],
        seats_after=after[0],
        total_before=before[2],
        total_after=reservation.total_price,
        **_change_details(before, after),
    )


def _snapshot(reservation: Reservation) -> tuple:
    """(labels, tickets, total, voucher code) of a hold, to tell what changed."""
    rows = list(
        reservation.reserved_seats.filter(is_active=True)
        .select_related("seat", "ticket_type")
        .order_by("seat_id")
    )
    voucher = reservation.voucher.code if reservation.voucher_id else None
    return (
        [row.seat.label for row in rows],
        _tickets(rows),
        reservation.total_price,
        voucher,
    )


def _change_details(before: tuple, after: tuple) -> dict:
    """Tickets and vouchers in a change's record, when they are more than adult
    tickets at full price (the seats and totals are always recorded)."""
    details: dict = {}
    plain = all(
        line["ticket_type"] == ADULT and not line["discount"]
        for line in [*before[1], *after[1]]
    )
    if before[1] != after[1] and not plain:
        details.update(tickets_before=before[1], tickets_after=after[1])
    if before[3] != after[3]:
        details.update(voucher_before=before[3], voucher_after=after[3])
    return details


def _switch_voucher(
    reservation: Reservation,
    code,
    *,
    showtime: Showtime,
    rows: list[ReservedSeat],
    now: datetime,
) -> None:
    """Keep, remove or replace the hold's voucher (unsaved); uses follow."""
    if code is KEEP:
        return
    current = reservation.voucher
    chosen = vouchers.find_voucher(code) if code else None
    if chosen is not None and current is not None and chosen.pk == current.pk:
        return
    if chosen is not None:
        locking.lock_user(reservation.user_id)  # the per-user count, as on create
        vouchers.check_voucher(
            chosen,
            user_id=reservation.user_id,
            showtime=showtime,
            ticket_type_ids={row.ticket_type_id for row in rows},
            now=now,
            exclude=reservation,
        )
    # Voucher rows in id order (a fixed lock order between transactions).
    ops = sorted(
        [(v.pk, "take", v) for v in [chosen] if v is not None]
        + [(v.pk, "give", v) for v in [current] if v is not None]
    )
    for _, op, voucher in ops:
        if op == "take":
            vouchers.take_use(voucher)
        else:
            vouchers.release_uses([voucher.pk])
    reservation.voucher = chosen


def _replace_seats(
    reservation: Reservation, showtime: Showtime, wanted: list[ReservedSeat]
) -> list[ReservedSeat]:
    """Claim the ``wanted`` rows for the hold in place of its seats.

    Returns the hold's active rows afterwards. A seat it keeps with the same ticket
    type keeps its row and price; with another type it is repriced in place.
    """
    current = {
        row.seat_id: row
        for row in reservation.reserved_seats.filter(is_active=True)
        .select_related("seat", "ticket_type")
        .order_by("seat_id")
    }
    wanted_ids = {row.seat_id for row in wanted}
    added = [row for row in wanted if row.seat_id not in current]
    seats.ensure_free(showtime, [row.seat for row in added], exclude=reservation)
    ReservedSeat.objects.filter(
        reservation=reservation, seat_id__in=set(current) - wanted_ids
    ).delete()
    kept = []
    for row in wanted:
        old = current.get(row.seat_id)
        if old is None:
            continue
        if old.ticket_type_id != row.ticket_type_id:
            old.ticket_type, old.price = row.ticket_type, row.price
            old.discount = Decimal("0.00")  # re-applied by the caller
            old.save(update_fields=["ticket_type", "price", "discount"])
        kept.append(old)
    for row in added:
        row.reservation, row.held_until = reservation, reservation.expires_at
    seats.insert_claims(added)
    return sorted([*kept, *added], key=lambda row: row.seat_id)


@retry_once_on_transaction_conflict
def release_showtime_holds(*, showtime_id: int, now: datetime, trigger: str) -> int:
    """One showtime's lapsed holds, in a transaction of their own under its lock."""
    with locking.decide_on_showtime(showtime_id, now=now, trigger=trigger) as decision:
        return len(decision.released)


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
        release_showtime_holds(showtime_id=showtime_id, now=now, trigger="sweep")
        for showtime_id in list(showtime_ids)
    )

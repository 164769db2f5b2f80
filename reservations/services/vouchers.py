"""Vouchers on holds: is a code usable here, take and give back a use, discounts.

A hold takes one use of its voucher, in the booking transaction, with a conditional
UPDATE (``uses < max_uses``): the database decides between racers on different
showtimes, whose showtime locks do not serialise them. On PostgreSQL the UPDATE
takes the voucher's row lock and re-reads the row after a racer commits; on SQLite
the IMMEDIATE transaction already serialises writers. The lock is taken last (see
the locking rule in ``reservations.services``). The use comes back when the hold
ends without a purchase: it lapses (lazily, by the sweep, or with its cancelled
showtime), it is cancelled, or its voucher is replaced or removed. A purchase keeps
its use, also when it is cancelled later.

``claim_use`` is a module function on purpose: the race tests replace it from the
test side (negative controls).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db.models import F, Q
from django.db.models.functions import Lower

from pricing.exceptions import VoucherInvalid
from pricing.models import Voucher
from pricing.services import discount_for
from showtimes.models import Showtime

from ..models import Reservation, ReservationStatus, ReservedSeat

REASONS = {
    "unknown": "There is no voucher with this code.",
    "not_yet_valid": "This voucher is not valid yet.",
    "expired": "This voucher has expired.",
    "exhausted": "This voucher has been used up.",
    "out_of_scope": "This voucher does not apply to this showtime or these tickets.",
    "per_user_limit": "You have used this voucher as often as one customer may.",
}


def invalid(reason: str, **details) -> VoucherInvalid:
    return VoucherInvalid(REASONS[reason], reason=reason, **details)


def find_voucher(code: str) -> Voucher:
    """The voucher with ``code``, in any case; comps cannot be entered as codes."""
    voucher = (
        Voucher.objects.alias(lower=Lower("code"))
        .filter(lower=code.strip().lower(), is_comp=False)
        .first()
    )
    if voucher is None:
        raise invalid("unknown")
    return voucher


def check_voucher(
    voucher: Voucher,
    *,
    user_id: int,
    showtime: Showtime,
    ticket_type_ids: set[int],
    now: datetime,
    exclude: Reservation | None = None,
) -> None:
    """``VoucherInvalid`` (with a ``reason``) unless ``voucher`` may be used here.

    Run under the user lock: the per-user count cannot change underneath. Whether a
    use is left is decided by ``claim_use``.
    """
    if voucher.valid_from is not None and now < voucher.valid_from:
        raise invalid("not_yet_valid", valid_from=voucher.valid_from.isoformat())
    if voucher.valid_until is not None and now >= voucher.valid_until:
        raise invalid("expired", valid_until=voucher.valid_until.isoformat())
    movies = set(voucher.movies.values_list("pk", flat=True))
    theaters = set(voucher.theaters.values_list("pk", flat=True))
    types = eligible_types(voucher)
    if (
        (movies and showtime.movie_id not in movies)
        or (theaters and showtime.screen.theater_id not in theaters)
        or (types and not types & ticket_type_ids)
    ):
        raise invalid("out_of_scope")
    if voucher.per_user_limit is not None:
        used = Reservation.objects.filter(voucher=voucher, user_id=user_id).filter(
            Q(status=ReservationStatus.HELD, expires_at__gt=now)
            | Q(confirmed_at__isnull=False)
        )
        if exclude is not None:
            used = used.exclude(pk=exclude.pk)
        if used.count() >= voucher.per_user_limit:
            raise invalid("per_user_limit", per_user_limit=voucher.per_user_limit)


def eligible_types(voucher: Voucher) -> set[int]:
    """Ticket type ids the voucher discounts; empty means every type."""
    return set(voucher.ticket_types.values_list("pk", flat=True))


def claim_use(voucher_id: int) -> bool:
    """Take one use if one is left (one conditional UPDATE); False if none is."""
    return bool(
        Voucher.objects.filter(pk=voucher_id)
        .filter(Q(max_uses__isnull=True) | Q(uses__lt=F("max_uses")))
        .update(uses=F("uses") + 1)
    )


def take_use(voucher: Voucher) -> None:
    if not claim_use(voucher.pk):
        raise invalid("exhausted")


def claim_for_hold(
    code: str | None,
    *,
    user_id: int,
    showtime: Showtime,
    rows: list[ReservedSeat],
    now: datetime,
) -> Voucher | None:
    """The voucher ``code`` names, checked for this hold and one use of it taken
    (the voucher's row lock: the last lock of a hold); discounts applied to
    ``rows``. None and no discount without a code."""
    chosen = None
    if code:
        chosen = find_voucher(code)
        check_voucher(
            chosen,
            user_id=user_id,
            showtime=showtime,
            ticket_type_ids={row.ticket_type_id for row in rows},
            now=now,
        )
        take_use(chosen)
    apply_discounts(rows, chosen)
    return chosen


def release_uses(voucher_ids: Iterable[int | None]) -> None:
    """Give back one use per id (None skipped), in id order (a fixed lock order)."""
    counts = Counter(pk for pk in voucher_ids if pk is not None)
    for pk in sorted(counts):
        Voucher.objects.filter(pk=pk, uses__gte=counts[pk]).update(
            uses=F("uses") - counts[pk]
        )


def apply_discounts(rows: list[ReservedSeat], voucher: Voucher | None) -> None:
    """Set each row's ``discount`` (unsaved): the voucher's, on eligible tickets."""
    types = eligible_types(voucher) if voucher is not None else set()
    for row in rows:
        eligible = voucher is not None and (not types or row.ticket_type_id in types)
        row.discount = (
            discount_for(kind=voucher.kind, value=voucher.value, price=row.price)
            if eligible
            else Decimal("0.00")
        )


def retotal(reservation: Reservation, rows: list[ReservedSeat]) -> None:
    """Apply the hold's voucher to its seats; save their discounts and its totals."""
    apply_discounts(rows, reservation.voucher)
    ReservedSeat.objects.bulk_update(rows, ["discount"])
    reservation.total_price, reservation.discount_total = totals(rows)
    reservation.save(update_fields=["total_price", "discount_total", "voucher"])


def totals(rows: list[ReservedSeat]) -> tuple[Decimal, Decimal]:
    """(what is to be paid, the discount in it)."""
    discount = sum((row.discount for row in rows), Decimal("0.00"))
    price = sum((row.price for row in rows), Decimal("0.00"))
    return price - discount, discount

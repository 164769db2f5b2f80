"""Comps: box office gives a held reservation away (a 100% voucher for it alone)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from movie_api.db import retry_once_on_transaction_conflict
from pricing.models import Voucher, VoucherKind

from ..exceptions import HoldExpired
from ..models import Reservation, ReservationAction, ReservationStatus
from . import locking, seats, vouchers
from .audit import record_event

if TYPE_CHECKING:
    from accounts.models import User


@retry_once_on_transaction_conflict
def comp_reservation(
    *, reservation: Reservation, actor: User, reason: str = ""
) -> Reservation:
    """Make every seat of a held reservation free, audited with who and why.

    Issues a one-use 100% voucher (``is_comp``, code ``COMP-<reservation code>``)
    bound to this reservation: it cannot be entered as a code elsewhere. A voucher
    the hold had gives its use back. The hold is then purchased as usual (for
    0.00). Comping a comped hold changes nothing.
    """
    with locking.decide_on_showtime(reservation.showtime_id) as decision:
        reservation = Reservation.objects.select_related("voucher").get(
            pk=reservation.pk
        )
        try:
            seats.ensure_held(reservation, decision.now)
        except HoldExpired as exc:
            locking.raise_after_commit(exc)
        seats.ensure_open(decision.showtime, decision.now)
        if reservation.voucher is not None and reservation.voucher.is_comp:
            return reservation
        before, previous = reservation.total_price, reservation.voucher
        comp = Voucher.objects.create(
            code=f"COMP-{reservation.code}",
            kind=VoucherKind.PERCENT,
            value=Decimal(100),
            max_uses=1,
            uses=1,
            per_user_limit=1,
            is_comp=True,
            note=reason,
        )
        if previous is not None:
            vouchers.release_uses([previous.pk])
        reservation.voucher = comp
        vouchers.retotal(
            reservation, list(reservation.reserved_seats.filter(is_active=True))
        )
        record_event(
            reservation=reservation,
            action=ReservationAction.COMPED,
            actor=actor,
            now=decision.now,
            from_status=ReservationStatus.HELD,
            to_status=ReservationStatus.HELD,
            voucher=comp.code,
            voucher_before=previous.code if previous is not None else None,
            reason=reason,
            total_before=before,
            total_after=reservation.total_price,
        )
    return reservation

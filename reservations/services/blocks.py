"""Seat blocks: the cinema withdraws seats from sale on a showtime or on a screen.

A block is decided like a hold, under the showtime lock (``locking``), so a block
and a hold racing for one seat cannot both win: whichever takes the lock second
finds the other's row (``seats.ensure_free`` refuses blocked seats as it refuses
claimed ones). There is no database backstop here (a unique index cannot span
claims and blocks), so the lock is the guard. A screen block locks every showtime
it touches, in id order, which is the order no other transaction inverts (the
others lock one showtime). Every block and removal bumps ``seats_version`` of the
showtimes it changes, so the cached seat map changes when it commits.

The ``SeatBlock`` row is the audit trail: who and when on creation, and removal is
a soft delete recording who and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from movie_api.db import retry_once_on_transaction_conflict
from showtimes.models import Showtime
from theaters.models import Screen, Seat

from ..exceptions import BlockNotFound, UnknownSeats
from ..models import ReservedSeat, SeatBlock
from ..signals import announce_seats_changed
from . import locking, seats
from .audit import bump_seats_version

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class ScreenBlockResult:
    """A screen block and what it did to each showtime it found."""

    block: SeatBlock
    blocked: list[dict]  # [{"showtime": id, "seats": [labels]}]
    skipped: list[dict]  # [{"showtime": id, "seats": [labels], "reason": ...}]


def _username(user) -> str:
    return user.get_username() if user is not None else ""


def _new_block(*, actor, now: datetime, wanted: list[Seat], **fields) -> SeatBlock:
    block = SeatBlock.objects.create(
        starts_from=now,
        created_at=now,
        created_by=actor,
        created_by_username=_username(actor),
        **fields,
    )
    block.seats.set(wanted)
    return block


def _remove(block: SeatBlock, *, actor, now: datetime) -> None:
    block.removed_at, block.removed_by = now, actor
    block.removed_by_username = _username(actor)
    block.save(update_fields=["removed_at", "removed_by", "removed_by_username"])


@retry_once_on_transaction_conflict
def block_seats(
    *,
    showtime: Showtime,
    labels: list[str],
    reason: str,
    note: str = "",
    actor: User,
) -> SeatBlock:
    """Withdraw ``labels`` from ``showtime``: all of them, or none.

    ``SeatsUnavailable`` (409) naming the seats that are held, sold or already
    blocked; ``UnknownSeats`` (400) for labels not on the screen.
    """
    with locking.decide_on_showtime(showtime.pk) as decision:
        showtime = decision.showtime
        wanted = seats.seats_for(showtime, labels)
        seats.ensure_free(showtime, wanted)
        block = _new_block(
            actor=actor,
            now=decision.now,
            wanted=wanted,
            showtime=showtime,
            reason=reason,
            note=note,
        )
        bump_seats_version(showtime.pk)
    return block


@retry_once_on_transaction_conflict
def remove_block(*, block: SeatBlock, actor: User) -> None:
    """Put a showtime block's seats back on sale (the row stays, marked removed)."""
    with locking.decide_on_showtime(block.showtime_id) as decision:
        block = SeatBlock.objects.active().filter(pk=block.pk).first()
        if block is None:
            raise BlockNotFound()
        _remove(block, actor=actor, now=decision.now)
        bump_seats_version(block.showtime_id)


def _lock_showtimes(ids: list[int]) -> None:
    """The showtime locks of a screen block, in id order, lapsed holds released."""
    for showtime_id in sorted(ids):
        with locking.decide_on_showtime(showtime_id):
            pass  # the row lock is kept until the outer transaction ends


def _bump_all(ids: list[int]) -> None:
    Showtime.objects.filter(pk__in=ids).update(seats_version=F("seats_version") + 1)
    for showtime_id in ids:
        announce_seats_changed(showtime_id)


@retry_once_on_transaction_conflict
def block_screen_seats(
    *,
    screen: Screen,
    labels: list[str],
    reason: str,
    note: str = "",
    until: date | None = None,
    actor: User,
) -> ScreenBlockResult:
    """Withdraw ``labels`` from every showtime of ``screen`` from now on.

    The block applies to showtimes starting from now whose business date is on or
    before ``until`` (inclusive; no end when None), including showtimes created
    later. A seat that is held or sold on a showtime keeps its holder: the answer
    lists it under ``skipped`` (the block takes it once it is freed). Unknown
    labels: ``UnknownSeats`` (400), nothing blocked.
    """
    wanted = list(Seat.objects.filter(screen=screen, label__in=labels).order_by("pk"))
    if len(wanted) != len(labels):
        raise UnknownSeats(seats=sorted(set(labels) - {s.label for s in wanted}))
    with transaction.atomic():
        now = timezone.now()
        showtimes = Showtime.objects.filter(screen=screen, starts_at__gte=now)
        if until is not None:
            showtimes = showtimes.filter(business_date__lte=until)
        ids = list(showtimes.order_by("pk").values_list("pk", flat=True))
        _lock_showtimes(ids)
        block = _new_block(
            actor=actor,
            now=now,
            wanted=wanted,
            screen=screen,
            reason=reason,
            note=note,
            until=until,
        )
        claims: dict[int, dict[str, list[str]]] = {}
        for showtime_id, label, held_until in (
            ReservedSeat.objects.active()
            .filter(showtime_id__in=ids, seat__in=wanted)
            .order_by("showtime_id", "seat_id")
            .values_list("showtime_id", "seat__label", "held_until")
        ):
            kind = "sold" if held_until is None else "held"
            claims.setdefault(showtime_id, {}).setdefault(kind, []).append(label)
        all_labels = [seat.label for seat in wanted]
        blocked, skipped = [], []
        for showtime_id in ids:
            taken = claims.get(showtime_id, {})
            free = [
                label
                for label in all_labels
                if label not in taken.get("held", []) + taken.get("sold", [])
            ]
            if free:
                blocked.append({"showtime": showtime_id, "seats": free})
            for kind in ("held", "sold"):
                if kind in taken:
                    skipped.append(
                        {"showtime": showtime_id, "seats": taken[kind], "reason": kind}
                    )
        _bump_all(ids)
    return ScreenBlockResult(block=block, blocked=blocked, skipped=skipped)


@retry_once_on_transaction_conflict
def remove_screen_block(*, block: SeatBlock, actor: User) -> None:
    """Put a screen block's seats back on sale on every showtime it covers."""
    with transaction.atomic():
        now = timezone.now()
        showtimes = Showtime.objects.filter(
            screen_id=block.screen_id, starts_at__gte=block.starts_from
        )
        if block.until is not None:
            showtimes = showtimes.filter(business_date__lte=block.until)
        ids = list(showtimes.order_by("pk").values_list("pk", flat=True))
        _lock_showtimes(ids)
        block = SeatBlock.objects.active().filter(pk=block.pk).first()
        if block is None:
            raise BlockNotFound()
        _remove(block, actor=actor, now=now)
        _bump_all(ids)

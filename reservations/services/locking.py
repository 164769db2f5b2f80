"""The one way a use case takes the showtime lock and decides under it.

Every seat decision runs inside ``decide_on_showtime(showtime_id)``: it opens the
transaction, locks the showtime row, releases its lapsed holds, and hands the use
case the fresh showtime and the time of the decision. An error that must not undo
what was written so far (typically ``HoldExpired``, which is *about* the expiry the
block just recorded) is raised through ``raise_after_commit``; anything else raised
inside the block rolls the whole transaction back.

``lock_showtime`` and ``lock_user`` are module functions on purpose: the race tests
replace them from the test side (negative controls), so they are the only places
where the locks are taken.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from showtimes.models import Showtime

from .expiry import release_expired_holds


def lock_showtime(showtime_id: int) -> Showtime:
    """The showtime row, locked ``FOR UPDATE`` (a no-op on SQLite, see the rule)."""
    return Showtime.objects.select_for_update().get(pk=showtime_id)


def lock_user(user_id: int) -> None:
    """The second lock of ``create_reservation`` (see the locking rule)."""
    list(
        get_user_model()
        .objects.select_for_update(no_key=True)
        .filter(pk=user_id)
        .values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class Decision:
    """What a use case decides on: the locked showtime, as of ``now``."""

    showtime: Showtime
    now: datetime
    released: list[int]  # ids of the lapsed holds released on the way in


class _CommitThenRaise(Exception):
    def __init__(self, error: Exception):
        super().__init__(error)
        self.error = error


def raise_after_commit(error: Exception) -> NoReturn:
    """Leave the ``decide_on_showtime`` block, commit what it wrote, raise ``error``."""
    raise _CommitThenRaise(error)


@contextmanager
def decide_on_showtime(
    showtime_id: int, *, now: datetime | None = None, trigger: str = "lazy"
) -> Iterator[Decision]:
    """One booking transaction under the showtime lock, with lapsed holds released.

    ``now`` (default: the time the lock was taken) is the moment of the decision;
    ``trigger`` names the path in the expiry events ("lazy" or "sweep").
    """
    deferred: Exception | None = None
    with transaction.atomic():
        showtime = lock_showtime(showtime_id)
        now = now or timezone.now()
        released = release_expired_holds(
            showtime_id=showtime_id, now=now, trigger=trigger
        )
        try:
            yield Decision(showtime=showtime, now=now, released=released)
        except _CommitThenRaise as exc:
            deferred = exc.error
    if deferred is not None:
        raise deferred

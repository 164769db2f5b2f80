"""Signals the booking side sends, so that other apps react without being known.

``seats_changed(sender=Showtime, showtime_id)`` is sent after the commit of every
transaction that changed the seats of a showtime (held, sold, freed, blocked or
unblocked): ``audit.bump_seats_version`` and the screen blocks announce it. It is
sent once per bump, so a transaction may announce one showtime more than once;
receivers must be idempotent. A receiver that fails is logged and skipped: the
booking has committed and its answer must not become an error.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.dispatch import Signal

from showtimes.models import Showtime

seats_changed = Signal()


def announce_seats_changed(showtime_id: int) -> None:
    """Send ``seats_changed`` for ``showtime_id`` once the current transaction
    commits (at once outside a transaction)."""
    transaction.on_commit(
        partial(seats_changed.send_robust, sender=Showtime, showtime_id=showtime_id),
        robust=True,
    )

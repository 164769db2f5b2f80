"""Test-side seams into the booking services, so production code carries no hooks.

Race tests need two things the services must never do in production: a wider
window between the availability check and the insert (so racers really overlap
there), and, for the negative controls, the guards switched off (no showtime or
user lock, no check, no ticket lock), which must then let a double booking
through. Both are installed here by replacing the services' public seams
(``locking.lock_showtime``, ``locking.lock_user``, ``seats.ensure_free``,
``cancellation.lock_used_tickets``) from the test side.

In-process tests call ``widen_race_window`` / ``switch_guards_off`` with pytest's
``monkeypatch``. Gunicorn workers started by ``tests.live.live_gunicorn(seams=...)``
serve ``tests.seams_wsgi:application``, which installs the same seams from the
environment (``SEAM_RACE_WINDOW_SECONDS``, ``SEAM_GUARDS_OFF``) before loading
the real WSGI application.
"""

from __future__ import annotations

import os
import time

from django.db.models import QuerySet


class _Setter:
    """``monkeypatch.setattr`` for processes with no pytest around (gunicorn)."""

    @staticmethod
    def setattr(target, name, value):
        setattr(target, name, value)


def widen_race_window(monkeypatch, seconds: float) -> None:
    """Sleep ``seconds`` after every availability check, before the insert."""
    from reservations.services import seats

    check = seats.ensure_free

    def check_then_wait(*args, **kwargs):
        check(*args, **kwargs)
        time.sleep(seconds)

    monkeypatch.setattr(seats, "ensure_free", check_then_wait)


def switch_guards_off(monkeypatch, *, window_seconds: float = 0) -> None:
    """No lock, no availability check: only the database's unique index is left.

    ``window_seconds`` still sleeps where the check was.
    """
    from reservations.models import Ticket
    from reservations.services import cancellation, locking, seats
    from showtimes.models import Showtime

    def no_check(*args, **kwargs):
        if window_seconds:
            time.sleep(window_seconds)

    def unlocked_tickets(reservation) -> set[int]:
        rows: QuerySet = Ticket.objects.filter(
            reservation=reservation, checked_in_at__isnull=False
        )
        return set(rows.values_list("seat_id", flat=True))

    monkeypatch.setattr(
        locking, "lock_showtime", lambda pk: Showtime.objects.get(pk=pk)
    )
    monkeypatch.setattr(locking, "lock_user", lambda user_id: None)
    monkeypatch.setattr(seats, "ensure_free", no_check)
    monkeypatch.setattr(cancellation, "lock_used_tickets", unlocked_tickets)


def install_from_environment() -> None:
    """Install the seams named by ``SEAM_*`` variables (see tests.seams_wsgi)."""
    window = float(os.environ.get("SEAM_RACE_WINDOW_SECONDS", "0") or 0)
    if os.environ.get("SEAM_GUARDS_OFF") == "1":
        switch_guards_off(_Setter, window_seconds=window)
    elif window:
        widen_race_window(_Setter, window)


def widen_voucher_window(monkeypatch, seconds: float) -> None:
    """Sleep ``seconds`` before every voucher claim (after the seat checks)."""
    from reservations.services import vouchers

    claim = vouchers.claim_use

    def wait_then_claim(voucher_id: int) -> bool:
        time.sleep(seconds)
        return claim(voucher_id)

    monkeypatch.setattr(vouchers, "claim_use", wait_then_claim)


def switch_voucher_guard_off(
    monkeypatch, *, check: bool = True, window_seconds: float = 0
) -> None:
    """Replace the conditional UPDATE that claims a voucher use: the negative
    controls of ``max_uses``.

    ``check=True``: read the count, sleep ``window_seconds``, check it in Python,
    write what was read plus one, so racers that read the same count all pass
    (PostgreSQL at READ COMMITTED; SQLite's IMMEDIATE transactions serialise it).
    ``check=False``: no check at all, every claim succeeds (the harness must then
    see more uses than ``max_uses`` on either database).
    """
    from pricing.models import Voucher
    from reservations.services import vouchers

    def read_check_write(voucher_id: int) -> bool:
        uses, max_uses = Voucher.objects.values_list("uses", "max_uses").get(
            pk=voucher_id
        )
        if window_seconds:
            time.sleep(window_seconds)
        if check and max_uses is not None and uses >= max_uses:
            return False
        Voucher.objects.filter(pk=voucher_id).update(uses=uses + 1)
        return True

    monkeypatch.setattr(vouchers, "claim_use", read_check_write)

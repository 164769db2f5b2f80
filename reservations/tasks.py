"""Background jobs of the booking side: the periodic hold-expiry sweep, payment
reconciliation, and refunding a cancelled showtime (with its periodic resume)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django_tasks import task

from events.periodic import register_periodic

from . import services
from .services import cancelled_showtimes, reconciliation


@task()
def expire_holds() -> int:
    """Expire every lapsed hold and free its seats; returns how many.

    Correctness does not depend on it (every booking decision releases its
    showtime's lapsed holds first); it frees seats of shows nobody is booking and
    announces ``reservation.expired`` soon after the hold lapses.
    """
    return services.expire_holds()


@task()
def reconcile_payments() -> dict[str, int]:
    """Make payments and bookings agree (``manage.py reconcile_payments``): send
    pending refunds again, settle payments that succeeded without tickets, end
    confirmed reservations never paid. Returns what it fixed, by kind."""
    return dict(reconciliation.reconcile_payments())


@task()
def refund_cancelled_showtime(showtime_id: int, actor_id: int | None = None) -> int:
    """Cancel and refund a cancelled showtime's purchases (one per transaction)."""
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    return cancelled_showtimes.refund_cancelled_showtime(
        showtime_id=showtime_id, actor=actor
    )


@task()
def resume_cancelled_showtimes() -> int:
    """Periodic: enqueue the refunds again for every cancelled showtime a crash
    left with confirmed reservations; returns how many showtimes."""
    showtime_ids = cancelled_showtimes.cancelled_showtimes_to_refund()
    for showtime_id in showtime_ids:
        refund_cancelled_showtime.enqueue(showtime_id)
    return len(showtime_ids)


register_periodic(expire_holds, every=60, name="expire_holds")
register_periodic(reconcile_payments, every=300, name="reconcile_payments")
register_periodic(
    resume_cancelled_showtimes, every=300, name="showtime_cancellation_refunds"
)

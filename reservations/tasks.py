"""Background jobs of the booking side: the periodic hold-expiry sweep."""

from django_tasks import task

from events.periodic import register_periodic

from . import services


@task()
def expire_holds() -> int:
    """Expire every lapsed hold and free its seats; returns how many.

    Correctness does not depend on it (every booking decision releases its
    showtime's lapsed holds first); it frees seats of shows nobody is booking and
    announces ``reservation.expired`` soon after the hold lapses.
    """
    return services.expire_holds()


register_periodic(expire_holds, every=60, name="expire_holds")

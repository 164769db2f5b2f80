"""The outbox's tasks: dispatch one event, and the periodic sweep."""

from django_tasks import task

from . import services
from .periodic import register_periodic


@task()
def dispatch_event(event_id: str) -> bool:
    """Hand one event to its subscribers (``services.dispatch``); True when done."""
    event = services.dispatch(event_id)
    return event is not None and event.dispatched_at is not None


@task()
def sweep_outbox() -> int:
    """Enqueue every event left undispatched (``services.sweep_outbox``)."""
    return services.sweep_outbox()


register_periodic(sweep_outbox, every=60, name="outbox_sweep")

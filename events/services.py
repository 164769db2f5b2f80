"""Publish events, subscribe to them, and dispatch them (the outbox).

The outbox pattern: ``publish`` saves the event in the caller's transaction, so it
exists exactly when the change it announces does, and enqueues ``dispatch`` once
that transaction commits. A crash between the commit and the enqueue leaves the
event undispatched; ``sweep_outbox`` (a periodic job) enqueues it again. Delivery
is therefore at least once, and ``Event.id`` is the same every time.

Subscribers run inside the dispatch transaction, which holds the event's row lock,
each in its own savepoint: a handler should write rows and enqueue its own task
(``enqueue_on_commit``) rather than do slow I/O itself. A handler that raises is
rolled back alone and retried with the next dispatch; the others are not called
again (``Event.handled``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from .models import Event

logger = logging.getLogger("movie_api.events")

Handler = Callable[[Event], Any]

# After this many failed dispatches an event is left for a person (admin) to look at.
MAX_DISPATCH_ATTEMPTS = 10
# An event younger than this is still on its way from on_commit; the sweep leaves it.
SWEEP_GRACE = timedelta(seconds=30)


class _Encoder(DjangoJSONEncoder):
    """Django's JSON, but datetimes to the microsecond (as the API writes them)."""

    def default(self, o):
        if isinstance(o, datetime):
            return o.isoformat().replace("+00:00", "Z")
        return super().default(o)


_subscribers: dict[str, dict[str, Handler]] = {}


def subscribe(type: str, handler: Handler, *, name: str | None = None) -> None:
    """Call ``handler(event)`` for every event of ``type`` ("*": every type).

    Register from an ``AppConfig.ready()`` so that web, worker and scheduler
    processes all know it. ``name`` (default: the handler's dotted path) is what
    ``Event.handled`` records; registering the same name twice replaces it.
    """
    name = name or f"{handler.__module__}.{handler.__qualname__}"
    _subscribers.setdefault(type, {})[name] = handler


def unsubscribe(type: str, name: str) -> None:
    """Remove the handler registered under ``name`` for ``type`` (tests use it)."""
    _subscribers.get(type, {}).pop(name, None)


def subscribers_for(type: str) -> dict[str, Handler]:
    """The handlers of ``type`` by name: those of the type, then those of "*"."""
    return {**_subscribers.get(type, {}), **_subscribers.get("*", {})}


def publish(type: str, data: dict, *, now: datetime | None = None) -> Event:
    """Save an event in the current transaction; dispatch it once that commits.

    ``data`` must be JSON (ids and a few fields; no personal data). Outside a
    transaction the event is saved and enqueued at once.
    """
    # As JSON now (Decimal "25.50", UTC "...Z"), so the saved and the returned
    # event say the same.
    data = json.loads(json.dumps(data, cls=_Encoder))
    event = Event.objects.create(type=type, data=data, created=now or timezone.now())
    # robust: a queue that is down must not turn a committed booking into an
    # error answer; the sweep enqueues the event later.
    transaction.on_commit(partial(enqueue_dispatch, event.pk), robust=True)
    return event


def enqueue_dispatch(event_id) -> None:
    """Put one event's dispatch on the queue."""
    from .tasks import dispatch_event

    dispatch_event.enqueue(str(event_id))


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Enqueue ``task`` when the current transaction commits (for handlers).

    A rolled-back dispatch then enqueues nothing, on every backend: the database
    queue would roll its row back anyway, Redis would not.
    """
    transaction.on_commit(partial(task.enqueue, *args, **kwargs), robust=True)


def dispatch(event_id, *, now: datetime | None = None) -> Event | None:
    """Hand one event to its subscribers; returns it, or None if there was nothing to do.

    Locks the event row (another worker dispatching it at the same moment skips
    it on PostgreSQL; SQLite runs one writer at a time), calls each subscriber
    that has not taken it yet in a savepoint, and marks it dispatched when all
    have. A worker killed halfway rolls everything back: the event stays
    undispatched for the sweep.
    """
    with transaction.atomic():
        event = (
            Event.objects.select_for_update(skip_locked=True)
            .filter(pk=event_id, dispatched_at__isnull=True)
            .first()
        )
        if event is None:
            return None
        errors = []
        for name, handler in subscribers_for(event.type).items():
            if name in event.handled:
                continue
            try:
                with transaction.atomic():
                    handler(event)
            except Exception as exc:
                logger.exception("event %s: subscriber %s failed", event.pk, name)
                errors.append(f"{name}: {exc!r}")
            else:
                event.handled = [*event.handled, name]
        event.attempts += 1
        event.last_error = "\n".join(errors)
        if not errors:
            event.dispatched_at = now or timezone.now()
        event.save(update_fields=["handled", "attempts", "last_error", "dispatched_at"])
        return event


def sweep_outbox(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Enqueue the dispatch of events left undispatched; returns how many.

    Catches a crash between a commit and its enqueue, a worker killed while
    dispatching, and a subscriber that failed (retried up to
    ``MAX_DISPATCH_ATTEMPTS`` times, one sweep apart).
    """
    now = now or timezone.now()
    ids = list(
        Event.objects.filter(
            dispatched_at__isnull=True,
            attempts__lt=MAX_DISPATCH_ATTEMPTS,
            created__lte=now - SWEEP_GRACE,
        )
        .order_by("created")
        .values_list("pk", flat=True)[:limit]
    )
    for event_id in ids:
        enqueue_dispatch(event_id)
    return len(ids)

"""Two workers given the same event at once: its subscribers hear it once."""

import threading
import time

import pytest

from events import services
from events.models import Event
from tests.reservations.helpers import run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_dispatches_of_one_event_call_each_subscriber_once():
    calls = []
    lock = threading.Lock()

    def slow(event):
        with lock:
            calls.append(event.pk)
        time.sleep(0.3)  # the other dispatch arrives while this one holds the event

    services.subscribe("reservation.held", slow, name="tests.slow")
    try:
        event = services.publish("reservation.held", {"reservation_id": 1})
        calls.clear()  # publishing outside a transaction dispatched it at once
        Event.objects.filter(pk=event.pk).update(
            dispatched_at=None, handled=[], attempts=0
        )

        results = run_in_threads(4, lambda _i: services.dispatch(event.pk))
    finally:
        services.unsubscribe("reservation.held", "tests.slow")

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert calls == [event.pk]
    assert sum(r is not None for r in results) == 1
    event.refresh_from_db()
    assert event.dispatched_at is not None
    assert event.attempts == 1

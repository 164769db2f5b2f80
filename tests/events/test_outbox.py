"""The outbox: events commit with their change, are dispatched after, and are swept."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from events import services
from events.models import Event
from events.periodic import periodic_jobs

pytestmark = pytest.mark.django_db


def test_a_published_event_is_dispatched_once_its_transaction_commits(
    recorder, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        transaction.atomic(),
    ):
        event = services.publish("showtime.cancelled", {"showtime_id": 7})
        assert recorder.calls == []  # not before the commit

    assert len(callbacks) == 1
    assert recorder.calls == [("showtime.cancelled", str(event.id), {"showtime_id": 7})]
    event.refresh_from_db()
    assert event.dispatched_at is not None
    assert event.attempts == 1
    assert event.handled == [recorder.name]


def test_a_rolled_back_change_leaves_no_event_and_enqueues_nothing(
    recorder, django_capture_on_commit_callbacks
):
    def change_that_fails():
        with transaction.atomic():
            services.publish("showtime.cancelled", {"showtime_id": 7})
            raise ZeroDivisionError  # the change fails after publishing

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ZeroDivisionError),
    ):
        change_that_fails()

    assert callbacks == []
    assert not Event.objects.exists()
    assert recorder.calls == []


def test_data_is_stored_as_json(recorder):
    when = timezone.now().replace(microsecond=0)
    event = services.publish(
        "x.y", {"at": when, "amount": __import__("decimal").Decimal("2.50")}
    )

    assert event.data == {
        "at": when.isoformat().replace("+00:00", "Z"),
        "amount": "2.50",
    }
    event.refresh_from_db()
    assert event.data["amount"] == "2.50"


def test_only_the_subscribers_of_its_type_and_of_every_type_are_called(recorder):
    seen = []
    services.subscribe("reservation.confirmed", seen.append, name="tests.confirmed")
    try:
        held = services.publish("reservation.held", {"reservation_id": 1})
        confirmed = services.publish("reservation.confirmed", {"reservation_id": 1})
        services.dispatch(held.pk)
        services.dispatch(confirmed.pk)
    finally:
        services.unsubscribe("reservation.confirmed", "tests.confirmed")

    assert [event.pk for event in seen] == [confirmed.pk]
    assert recorder.types == ["reservation.held", "reservation.confirmed"]


def test_a_failing_subscriber_is_retried_alone_and_the_others_not_called_again(
    recorder,
):
    flaky_calls = []

    def flaky(event):
        flaky_calls.append(event.pk)
        Event.objects.filter(pk=event.pk).update(type="written-by-flaky")  # rolled back
        if len(flaky_calls) == 1:
            raise ConnectionError("smtp down")

    services.subscribe("*", flaky, name="tests.flaky")
    try:
        event = services.publish("reservation.cancelled", {"reservation_id": 3})
        first = services.dispatch(event.pk)
        assert first.dispatched_at is None
        assert first.attempts == 1
        assert "tests.flaky: ConnectionError('smtp down')" in first.last_error
        assert Event.objects.get(pk=event.pk).type == "reservation.cancelled"

        second = services.dispatch(event.pk)
    finally:
        services.unsubscribe("*", "tests.flaky")

    assert second.dispatched_at is not None
    assert second.attempts == 2
    assert second.last_error == ""
    assert len(flaky_calls) == 2
    assert recorder.types == [
        "reservation.cancelled"
    ]  # called on the first attempt only


def test_dispatching_a_dispatched_event_again_does_nothing(recorder):
    event = services.publish("reservation.held", {"reservation_id": 1})
    services.dispatch(event.pk)

    assert services.dispatch(event.pk) is None
    assert services.dispatch("00000000-0000-0000-0000-000000000000") is None
    assert len(recorder.calls) == 1


def test_the_sweep_enqueues_events_left_behind_and_only_those(recorder):
    """A crash between commit and enqueue: the sweep delivers the event, same id."""
    now = timezone.now()
    old = now - services.SWEEP_GRACE - timedelta(seconds=1)
    left = Event.objects.create(type="reservation.held", data={"n": 1}, created=old)
    young = Event.objects.create(type="reservation.held", data={"n": 2}, created=now)
    done = Event.objects.create(
        type="reservation.held", data={"n": 3}, created=old, dispatched_at=old
    )
    given_up = Event.objects.create(
        type="reservation.held",
        data={"n": 4},
        created=old,
        attempts=services.MAX_DISPATCH_ATTEMPTS,
    )

    assert services.sweep_outbox(now=now) == 1  # the immediate backend runs it

    assert recorder.calls == [("reservation.held", str(left.pk), {"n": 1})]
    left.refresh_from_db()
    assert left.dispatched_at is not None
    for event in (young, done, given_up):
        event.refresh_from_db()
    assert young.dispatched_at is None
    assert given_up.dispatched_at is None
    assert services.sweep_outbox(now=now) == 0


def test_the_sweep_is_a_registered_periodic_job():
    job = periodic_jobs()["outbox_sweep"]
    assert job.every == timedelta(seconds=60)
    assert job.task.module_path == "events.tasks.sweep_outbox"

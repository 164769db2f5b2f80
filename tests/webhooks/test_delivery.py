"""Delivering events: signed POSTs, retries with backoff, giving up, deactivation, SSRF."""

import json
from datetime import timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from events import services as events
from events.models import Event
from reservations import services as booking
from tests.factories import ShowtimeFactory
from webhooks import services
from webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus, Endpoint

from .receiver import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def publish(django_capture_on_commit_callbacks):
    """Publish an event and run what its commit sets off (the immediate backend)."""

    def publish(type_="reservation.held", data=None):
        with django_capture_on_commit_callbacks(execute=True):
            return events.publish(type_, data or {"reservation_id": 1})

    return publish


def retry_due(clock, **delta):
    clock.advance(**delta)
    return services.enqueue_due_deliveries()


def test_a_booking_reaches_the_endpoint_signed_with_its_secret(
    user, endpoint, receiver, django_capture_on_commit_callbacks
):
    showtime = ShowtimeFactory()
    with django_capture_on_commit_callbacks(execute=True):
        reservation = booking.create_reservation(
            user=user, showtime=showtime, labels=["A1"]
        )

    ((headers, body),) = receiver.requests
    event = Event.objects.get(type="reservation.held")
    payload = Webhook(endpoint.secret).verify(body, headers)
    assert payload == {
        "id": str(event.pk),
        "type": "reservation.held",
        "created": event.created.isoformat().replace("+00:00", "Z"),
        "data": event.data,
    }
    assert payload["data"]["reservation_id"] == reservation.pk
    assert headers["webhook-id"] == str(event.pk)
    assert headers["content-type"] == "application/json"
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    (attempt,) = DeliveryAttempt.objects.all()
    assert (attempt.status_code, attempt.error, attempt.next_retry_at) == (
        200,
        "",
        None,
    )


def test_a_wrong_secret_or_a_changed_body_does_not_verify(publish, endpoint, receiver):
    publish()
    ((headers, body),) = receiver.requests
    from standardwebhooks.webhooks import WebhookVerificationError

    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 32).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(body.replace(b"1", b"2"), headers)


def test_only_subscribed_types_go_to_active_endpoints(publish, receiver, endpoint):
    services.create_endpoint(
        url=receiver.url, events=["reservation.held"], active=False
    )
    publish("reservation.confirmed")
    publish("showtime.cancelled", {"showtime_id": 3})

    assert [json.loads(body)["type"] for _, body in receiver.requests] == [
        "showtime.cancelled"
    ]
    assert Delivery.objects.count() == 1


def test_an_event_dispatched_twice_is_delivered_once_per_endpoint(
    endpoint, receiver, django_capture_on_commit_callbacks
):
    """At least once upstream (a retried dispatch) is still one delivery here."""
    with django_capture_on_commit_callbacks(execute=True):
        event = events.publish("reservation.held", {"reservation_id": 1})
        services.on_event(event)
        events.dispatch(event.pk)
        services.on_event(event)

    assert Delivery.objects.count() == 1
    assert len(receiver.requests) == 1


def test_failures_are_retried_with_backoff_until_the_receiver_succeeds(
    publish, endpoint, receiver, clock
):
    receiver.statuses = [500, 503, 200]
    publish()

    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.next_attempt_at == clock.now + timedelta(seconds=5)
    assert retry_due(clock, seconds=4) == 0  # not due yet
    assert retry_due(clock, seconds=1) == 1
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == clock.now + timedelta(minutes=5)
    assert retry_due(clock, minutes=5) == 1

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 3
    assert [a.status_code for a in DeliveryAttempt.objects.order_by("number")] == [
        500,
        503,
        200,
    ]
    assert [a.error for a in DeliveryAttempt.objects.order_by("number")] == [
        "HTTP 500",
        "HTTP 503",
        "",
    ]
    ids = {headers["webhook-id"] for headers, _ in receiver.requests}
    bodies = {body for _, body in receiver.requests}
    assert len(receiver.requests) == 3
    assert len(ids) == len(bodies) == 1  # the same event, the same id, every time
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None
    assert retry_due(clock, hours=30) == 0


def test_the_deliveries_route_shows_the_retry_schedule(
    publish, staff_client, endpoint, receiver, clock
):
    receiver.statuses = [500, 200]
    event = publish()

    rows = staff_client.get(f"/api/webhooks/{endpoint.pk}/deliveries/").json()[
        "results"
    ]
    assert len(rows) == 1
    assert rows[0]["event_id"] == str(event.pk)
    assert rows[0]["status_code"] == 500
    assert rows[0]["delivery_status"] == "pending"
    assert rows[0]["next_retry_at"] is not None
    assert rows[0]["duration_ms"] >= 0


def test_attempts_are_bounded_then_the_delivery_fails(
    publish, endpoint, receiver, clock
):
    receiver.statuses = [500]
    publish()
    for delay in services.RETRY_DELAYS:
        assert retry_due(clock, seconds=delay.total_seconds()) == 1

    delivery = Delivery.objects.get()
    assert delivery.attempts == services.MAX_ATTEMPTS == 8
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.next_attempt_at is None
    assert DeliveryAttempt.objects.latest("number").next_retry_at is None
    assert sum(services.RETRY_DELAYS, timedelta()) > timedelta(hours=24)
    assert retry_due(clock, days=2) == 0
    assert len(receiver.requests) == 8


def test_a_timeout_is_a_failure(publish, settings, endpoint, clock):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    with Receiver(delay=2) as slow:
        Endpoint.objects.filter(pk=endpoint.pk).update(url=slow.url)
        publish()

    (attempt,) = DeliveryAttempt.objects.all()
    assert attempt.status_code is None
    assert attempt.error == "timed out after 1 s"
    assert 900 <= attempt.duration_ms < 1900
    assert attempt.next_retry_at is not None


def test_a_closed_port_is_a_failure(publish, endpoint, clock):
    with Receiver() as gone:
        url = gone.url
    Endpoint.objects.filter(pk=endpoint.pk).update(url=url)
    publish()

    (attempt,) = DeliveryAttempt.objects.all()
    assert attempt.error.startswith("ConnectionRefusedError")


def test_an_endpoint_failing_for_a_day_is_deactivated_with_a_reason(
    publish, staff_client, endpoint, receiver, clock
):
    receiver.statuses = [500]
    start = clock.now
    publish()
    clock.advance(hours=12)
    publish()  # a second event, its first attempt: still failing
    endpoint.refresh_from_db()
    assert endpoint.active
    assert endpoint.failing_since == start

    clock.advance(hours=12)
    services.enqueue_due_deliveries()

    endpoint.refresh_from_db()
    assert not endpoint.active
    shown = staff_client.get(f"/api/webhooks/{endpoint.pk}/").json()
    assert shown["active"] is False
    assert "every delivery has failed since" in shown["disabled_reason"]
    assert "HTTP 500" in shown["disabled_reason"]
    sent = len(receiver.requests)
    publish()  # nothing new is owed to an inactive endpoint
    retry_due(clock, days=1)  # and what was pending fails without a POST
    assert len(receiver.requests) == sent
    assert not Delivery.objects.filter(status=DeliveryStatus.PENDING).exists()


def test_a_success_in_between_resets_the_failing_clock(
    publish, endpoint, receiver, clock
):
    receiver.statuses = [500, 200, 500]
    publish()
    retry_due(clock, seconds=5)  # succeeds
    clock.advance(hours=23)
    publish()  # fails again: a new run begins now
    endpoint.refresh_from_db()
    assert endpoint.failing_since == clock.now
    retry_due(clock, hours=2)
    endpoint.refresh_from_db()
    assert endpoint.active


def test_a_private_destination_is_refused_again_at_delivery(
    publish, endpoint, receiver, settings
):
    """The endpoint passed when private addresses were allowed; now they are not."""
    settings.WEBHOOK_ALLOW_PRIVATE = False
    publish()

    assert receiver.requests == []
    (attempt,) = DeliveryAttempt.objects.all()
    assert attempt.status_code is None
    assert attempt.error.startswith(
        "refused: The host '127.0.0.1' resolves to 127.0.0.1"
    )


def test_a_name_is_checked_after_resolving_it_at_delivery(
    publish, endpoint, receiver, settings
):
    """A name that passed (say, public then) and now resolves to loopback is refused."""
    Endpoint.objects.filter(pk=endpoint.pk).update(
        url=f"http://localhost:{receiver.port}/hooks"
    )
    settings.WEBHOOK_ALLOW_PRIVATE = False
    publish()

    assert receiver.requests == []
    (attempt,) = DeliveryAttempt.objects.all()
    assert "'localhost' resolves to" in attempt.error
    assert "public addresses" in attempt.error


def test_a_receiver_that_is_down_never_affects_the_booking(
    user, endpoint, django_capture_on_commit_callbacks
):
    Endpoint.objects.filter(pk=endpoint.pk).update(url="http://127.0.0.1:1/")
    with django_capture_on_commit_callbacks(execute=True):
        reservation = booking.create_reservation(
            user=user, showtime=ShowtimeFactory(), labels=["A1"]
        )

    reservation.refresh_from_db()
    assert reservation.status == "held"
    assert DeliveryAttempt.objects.get().error

"""Webhook endpoints and their deliveries: create, fan out, attempt, retry.

An outbox event (``events``) reaches ``on_event``, a subscriber of every type,
inside its dispatch transaction: one ``Delivery`` per active endpoint that wants
the type, each attempted by a task once the dispatch commits. An attempt that
gets no 2xx within ``WEBHOOK_TIMEOUT_SECONDS`` is retried after ``RETRY_DELAYS``
(exponential, 8 attempts over about 28 hours), then the delivery is failed. An
endpoint whose attempts have all failed for ``FAILING_LIMIT`` is deactivated, with
the reason on the endpoint for staff to read.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from events.models import Event
from events.services import enqueue_on_commit

from . import destinations, signing
from .models import Delivery, DeliveryAttempt, DeliveryStatus, Endpoint

# After attempt n fails, attempt n + 1 waits RETRY_DELAYS[n - 1]; 8 attempts in all.
RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# An endpoint failing this long (no 2xx in between) is deactivated.
FAILING_LIMIT = timedelta(days=1)
# A running attempt holds its delivery this long; a killed worker's is retried after.
LEASE = timedelta(seconds=60)


def create_endpoint(
    *, url: str, events: list[str], active: bool = True, description: str = ""
) -> Endpoint:
    """A new endpoint with a fresh secret (the caller shows it once)."""
    return Endpoint.objects.create(
        url=url,
        events=events,
        active=active,
        description=description,
        secret=signing.new_secret(),
    )


def update_endpoint(*, endpoint: Endpoint, **changes) -> Endpoint:
    """Apply ``changes``; turning an endpoint back on clears why it was turned off."""
    with transaction.atomic():
        endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        if changes.get("active") and not endpoint.active:
            endpoint.failing_since = None
            endpoint.disabled_reason = ""
        for field, value in changes.items():
            setattr(endpoint, field, value)
        endpoint.save()
    return endpoint


def on_event(event: Event) -> None:
    """Outbox subscriber ("*"): owe the event to every endpoint that wants it.

    Runs in the dispatch transaction; a dispatch repeated after a crash finds the
    deliveries already there (unique per endpoint and event) and adds none.
    """
    from .tasks import deliver_webhook

    now = timezone.now()
    for endpoint in Endpoint.objects.filter(active=True).order_by("pk"):
        if event.type not in endpoint.events:
            continue
        delivery, created = Delivery.objects.get_or_create(
            endpoint=endpoint, event=event, defaults={"next_attempt_at": now}
        )
        if created:
            enqueue_on_commit(deliver_webhook, delivery.pk)


def payload(event: Event) -> bytes:
    """The POST body: {id, type, created, data}."""
    return json.dumps(
        {
            "id": str(event.pk),
            "type": event.type,
            "created": event.created.isoformat().replace("+00:00", "Z"),
            "data": event.data,
        },
        separators=(",", ":"),
    ).encode()


def attempt_delivery(
    delivery_id: int, *, now: datetime | None = None
) -> DeliveryAttempt | None:
    """POST one due delivery once and record the outcome; None if it was not due.

    Claims the attempt with a conditional UPDATE (pending and due), which pushes
    ``next_attempt_at`` one lease ahead: a second worker given the same delivery
    finds it not due and does nothing. The POST runs outside any transaction.
    """
    now = now or timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + LEASE, attempts=F("attempts") + 1)
    if not claimed:
        return None
    delivery = Delivery.objects.select_related("endpoint", "event").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.active:
        response = destinations.Response(None, 0, "the endpoint is inactive")
    else:
        body = payload(delivery.event)
        response = destinations.post(
            endpoint.url,
            body=body,
            headers=signing.headers(
                secret=endpoint.secret,
                msg_id=str(delivery.event_id),
                timestamp=int(time.time()),
                body=body,
            ),
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
        )
    return _record(delivery, response, now=now)


def _record(
    delivery: Delivery, response: destinations.Response, *, now: datetime
) -> DeliveryAttempt:
    """Save one attempt's outcome, schedule the next or settle the delivery."""
    succeeded = not response.error
    with transaction.atomic():
        endpoint = Endpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        number = delivery.attempts
        next_retry_at = None
        if succeeded:
            status = DeliveryStatus.SUCCEEDED
            endpoint.failing_since = None
        elif number >= MAX_ATTEMPTS or not endpoint.active:
            status = DeliveryStatus.FAILED
        else:
            status = DeliveryStatus.PENDING
            next_retry_at = now + RETRY_DELAYS[number - 1]
        if not succeeded and endpoint.active:
            endpoint.failing_since = endpoint.failing_since or now
            if now - endpoint.failing_since >= FAILING_LIMIT:
                endpoint.active = False
                endpoint.disabled_reason = (
                    f"Deactivated at {now.isoformat()}: every delivery has failed since "
                    f"{endpoint.failing_since.isoformat()} (last: {response.error})"
                )[:500]
        endpoint.save(update_fields=["failing_since", "active", "disabled_reason"])
        Delivery.objects.filter(pk=delivery.pk).update(
            status=status, next_attempt_at=next_retry_at
        )
        return DeliveryAttempt.objects.create(
            delivery=delivery,
            number=number,
            at=now,
            status_code=response.status_code,
            duration_ms=response.duration_ms,
            error=response.error[:500],
            next_retry_at=next_retry_at,
        )


def enqueue_due_deliveries(*, now: datetime | None = None, limit: int = 500) -> int:
    """Enqueue the attempts that are due (retries, and any a crash left); returns how many."""
    from .tasks import deliver_webhook

    now = now or timezone.now()
    ids = list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for delivery_id in ids:
        deliver_webhook.enqueue(delivery_id)
    return len(ids)

"""Two workers given the same delivery at once: one POST, one attempt recorded."""

import pytest

from events.models import Event
from tests.reservations.helpers import run_in_threads
from webhooks import services
from webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus

from .receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_attempts_of_one_delivery_post_once(allow_private):
    with Receiver(delay=0.3) as receiver:
        endpoint = services.create_endpoint(
            url=receiver.url, events=["reservation.held"]
        )
        event = Event.objects.create(
            type="reservation.held", data={"reservation_id": 1}
        )
        delivery = Delivery.objects.create(
            endpoint=endpoint, event=event, next_attempt_at=event.created
        )

        results = run_in_threads(4, lambda _i: services.attempt_delivery(delivery.pk))

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(r is not None for r in results) == 1
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 1
    assert DeliveryAttempt.objects.count() == 1

"""Webhook tasks: one delivery attempt, and the periodic retry sweep."""

from django_tasks import task

from events.periodic import register_periodic

from . import services


@task()
def deliver_webhook(delivery_id: int) -> int | None:
    """Attempt one delivery if it is due; returns the HTTP status (None: none)."""
    attempt = services.attempt_delivery(delivery_id)
    return attempt.status_code if attempt else None


@task()
def retry_webhooks() -> int:
    """Enqueue every delivery attempt that is due."""
    return services.enqueue_due_deliveries()


register_periodic(retry_webhooks, every=30, name="webhook_retries")

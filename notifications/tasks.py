"""Background tasks of notifications (Django's Tasks API, the django-tasks backport)."""

from django_tasks import task

from events.periodic import register_periodic

from . import services


@task()
def send_email_task(email_id: int) -> str:
    """Send one queued booking email (notifications.services.send_email)."""
    return services.send_email(email_id=email_id)


@task()
def send_pending_emails() -> int:
    """Enqueue the pending emails whose task was lost (services.enqueue_stalled_emails)."""
    return services.enqueue_stalled_emails()


register_periodic(send_pending_emails, every=300, name="pending_emails")

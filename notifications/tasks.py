"""Background tasks of notifications (Django's Tasks API, the django-tasks backport)."""

from django_tasks import task

from . import services


@task()
def send_email_task(email_id: int) -> str:
    """Send one queued booking email (notifications.services.send_email)."""
    return services.send_email(email_id=email_id)

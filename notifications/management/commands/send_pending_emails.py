"""Enqueue booking emails whose sending task was lost (run from cron or the queue's
scheduler; every few minutes)."""

from django.core.management.base import BaseCommand

from notifications.services import enqueue_stalled_emails


class Command(BaseCommand):
    help = (
        "Enqueue pending booking emails that no worker holds and none has scheduled "
        "(their task was lost in a crash between commit and enqueue)."
    )

    def handle(self, *args, **options):
        count = enqueue_stalled_emails()
        self.stdout.write(f"Enqueued {count} pending email(s).")

"""Finish refunding cancelled showtimes (run every few minutes; resumes after a crash)."""

from django.core.management.base import BaseCommand

from reservations.services.cancelled_showtimes import resume_cancelled_showtimes


class Command(BaseCommand):
    help = (
        "Cancel and refund the confirmed reservations still left on cancelled "
        "showtimes (one per transaction; safe to run again)."
    )

    def handle(self, *args, **options):
        count = resume_cancelled_showtimes()
        self.stdout.write(f"Cancelled and refunded {count} reservation(s).")

"""Offer freed seats to waiting lists, settle and lapse offers (run every minute)."""

from django.core.management.base import BaseCommand

from waitlist.services import process_waitlists


class Command(BaseCommand):
    help = (
        "Offer free seats to every open waiting list in order, record bought, "
        "lapsed and declined offers, and close the lists of started showtimes."
    )

    def handle(self, *args, **options):
        offered = process_waitlists()
        self.stdout.write(f"Made {offered} waiting-list offer(s).")

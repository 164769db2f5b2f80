"""Mark lapsed holds expired and free their seats (run from cron; correctness does not depend on it)."""

from django.core.management.base import BaseCommand

from reservations.services import expire_holds


class Command(BaseCommand):
    help = "Expire held reservations whose hold has lapsed and free their seats."

    def handle(self, *args, **options):
        count = expire_holds()
        self.stdout.write(f"Expired {count} hold(s).")

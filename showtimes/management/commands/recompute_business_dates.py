"""Recompute every showtime's business date: run after changing BUSINESS_DAY_STARTS_AT."""

from django.core.management.base import BaseCommand

from showtimes.services import recompute_business_dates


class Command(BaseCommand):
    help = (
        "Recompute the stored business date of every showtime from its theater's "
        "time zone and BUSINESS_DAY_STARTS_AT (run after changing that setting)."
    )

    def handle(self, *args, **options) -> None:
        moved = recompute_business_dates()
        self.stdout.write(f"{moved} showtime(s) moved to another business date.")

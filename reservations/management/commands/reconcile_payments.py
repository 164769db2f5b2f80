"""Make payments and bookings agree (run periodically; see services/reconciliation.py)."""

from django.core.management.base import BaseCommand

from reservations.services.reconciliation import reconcile_payments


class Command(BaseCommand):
    help = (
        "Send pending refunds again, settle payments that succeeded without "
        "tickets, and end confirmed reservations that were never paid."
    )

    def handle(self, *args, **options):
        done = reconcile_payments()
        summary = ", ".join(f"{kind}: {n}" for kind, n in sorted(done.items()))
        self.stdout.write(f"Reconciled payments ({summary or 'nothing to fix'}).")

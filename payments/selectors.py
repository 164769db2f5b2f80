"""Read queries for payments."""

from django.db.models import QuerySet

from reservations.models import Reservation

from .models import Payment


def list_payments(*, reservation: Reservation) -> QuerySet[Payment]:
    """The reservation's payments, oldest first, with their refunds (two queries)."""
    return (
        Payment.objects.filter(reservation=reservation)
        .prefetch_related("refunds")
        .order_by("created_at", "id")
    )

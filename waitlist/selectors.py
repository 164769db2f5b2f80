"""Read queries for waiting lists: one's own entries with their place in the queue."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery

from reservations.models import ReservationStatus

from .models import WaitlistEntry, WaitlistStatus


def list_entries(*, user) -> QuerySet[WaitlistEntry]:
    """``user``'s entries, newest first, each waiting one with its ``position``
    (1 = next to be offered seats that fit), with the offer's reservation."""
    ahead = (
        WaitlistEntry.objects.filter(
            showtime_id=OuterRef("showtime_id"),
            status=WaitlistStatus.WAITING,
            pk__lte=OuterRef("pk"),
        )
        .order_by()
        .values("showtime_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        WaitlistEntry.objects.filter(user=user)
        .select_related("reservation", "showtime")
        .annotate(queue_position=Subquery(ahead, output_field=IntegerField()))
        .order_by("-pk")
    )


def current_status(entry: WaitlistEntry, now: datetime) -> str:
    """The entry's status as of ``now``: an offer whose hold ended (bought, lapsed,
    cancelled) shows its outcome before a run has recorded it."""
    from .services import offer_outcome

    if entry.status != WaitlistStatus.OFFERED:
        return entry.status
    reservation = entry.reservation
    if reservation.status == ReservationStatus.HELD and reservation.expires_at > now:
        return WaitlistStatus.OFFERED
    status = reservation.status
    if status == ReservationStatus.HELD:  # lapsed, not yet released
        status = ReservationStatus.EXPIRED
    return offer_outcome(status, showtime_cancelled=entry.showtime.is_cancelled)

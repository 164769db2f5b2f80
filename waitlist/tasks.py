"""Background work of the waiting lists: offering freed seats, and the offer email."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django_tasks import task

from events.periodic import register_periodic
from reservations.models import ReservationStatus
from reservations.services.seats import labels_of

from .models import WaitlistEntry, WaitlistStatus


@task()
def process_showtime_waitlist(showtime_id: int) -> int:
    """Offer a showtime's free seats down its waiting list; returns offers made."""
    from .services import process_showtime

    return len(process_showtime(showtime_id=showtime_id))


@task()
def process_all_waitlists() -> int:
    """Periodic: enqueue a run for every showtime with open entries; returns how
    many (see ``services.process_waitlists``)."""
    from .services import showtimes_with_open_entries

    showtime_ids = showtimes_with_open_entries()
    for showtime_id in showtime_ids:
        process_showtime_waitlist.enqueue(showtime_id)
    return len(showtime_ids)


register_periodic(process_all_waitlists, every=60, name="waitlist_offers")


@task()
def send_offer_email(entry_id: int) -> bool:
    """Tell the customer which seats are held for them and until when.

    Sent only while the offer stands (not after it lapsed or was bought) and to an
    account with an address; returns whether an email went out.
    """
    entry = WaitlistEntry.objects.select_related(
        "user", "reservation", "showtime__movie", "showtime__screen__theater"
    ).get(pk=entry_id)
    reservation = entry.reservation
    if (
        entry.status != WaitlistStatus.OFFERED
        or reservation.status != ReservationStatus.HELD
        or not entry.user.email
    ):
        return False
    showtime = entry.showtime
    theater = showtime.screen.theater
    zone = ZoneInfo(theater.timezone)
    starts = showtime.starts_at.astimezone(zone)
    until = reservation.expires_at.astimezone(zone)
    seats = ", ".join(labels_of(reservation))
    minutes = settings.WAITLIST_OFFER_SECONDS // 60
    body = (
        f"Hello {entry.user.get_username()},\n\n"
        f"Seats came free for {showtime.movie.title} at {theater.name} on "
        f"{starts:%A %d %B %Y at %H:%M} ({theater.timezone}).\n\n"
        f"We are holding {entry.seats} seat(s) for you: {seats}.\n"
        f"Reservation {reservation.code} (id {reservation.pk}) is held until "
        f"{until:%H:%M} ({minutes} minutes). Buy it with "
        f"POST /api/reservations/{reservation.pk}/purchase/ before then; "
        f"after that the seats go to the next person waiting.\n"
    )
    send_mail(
        subject=f"Seats held for you: {showtime.movie.title}, {starts:%d %b %H:%M}",
        message=body,
        from_email=None,
        recipient_list=[entry.user.email],
    )
    return True

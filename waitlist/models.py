"""Waiting lists: a customer's place in the queue for seats on a sold-out showtime."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from reservations.models import Reservation
from showtimes.models import Showtime


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    OFFERED = "offered", "Offered"  # seats are held for the customer (the offer)
    PURCHASED = "purchased", "Purchased"  # the offer was bought
    LAPSED = "lapsed", "Lapsed"  # the offer expired unclaimed
    DECLINED = "declined", "Declined"  # the customer let the offer go
    LEFT = "left", "Left"  # the customer left the list while waiting
    CLOSED = "closed", "Closed"  # the showtime started or was cancelled


#: An entry in these states still counts: waiting, or holding an offer.
OPEN_STATUSES = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)


class WaitlistEntry(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="waitlist_entries",
    )
    showtime = models.ForeignKey(
        Showtime, on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    seats = models.PositiveSmallIntegerField()
    status = models.CharField(
        max_length=10, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The offer: a hold made for the customer when enough seats were freed.
    reservation = models.OneToOneField(
        Reservation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="waitlist_entry",
    )
    offered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = "waitlist entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(seats__gte=1), name="waitlistentry_seats_positive"
            ),
            # One open entry per customer and showtime (the join's backstop).
            models.UniqueConstraint(
                fields=["user", "showtime"],
                condition=Q(status__in=["waiting", "offered"]),
                name="uniq_waitlistentry_user_showtime_open",
            ),
            models.CheckConstraint(
                condition=~Q(status="offered") | Q(reservation__isnull=False),
                name="waitlistentry_offer_has_reservation",
            ),
        ]
        indexes = [
            # The queue: a showtime's entries in a state, in arrival (pk) order.
            models.Index(
                fields=["showtime", "status", "id"], name="waitlistentry_queue_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} waits for {self.seats} on {self.showtime_id}"

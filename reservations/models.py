"""Reservations (holds and purchases), the seats they claim, tickets, their audit
trail, seat blocks and idempotency keys."""

from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import ProtectedError, Q
from django.db.models.deletion import CASCADE
from django.utils import timezone

from pricing.models import TicketType, Voucher
from showtimes.models import Showtime
from theaters.models import Screen, Seat


class ReservationStatus(models.TextChoices):
    HELD = "held", "Held"
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


def live_reservations_q(now=None) -> Q:
    """Reservations that still claim seats: unexpired holds and purchases."""
    return Q(status=ReservationStatus.CONFIRMED) | Q(
        status=ReservationStatus.HELD, expires_at__gt=now or timezone.now()
    )


def protect_live_reservations(collector, field, sub_objs, using):
    """on_delete for ``Reservation.showtime``: refuse while any reservation is live.

    A showtime (and so its movie, screen or theater) with an unexpired hold or a
    purchase cannot be deleted (ProtectedError, answered 409). Cancelled and expired
    reservations, and holds that lapsed without a sweep, are history of a showtime
    that is going away: they are deleted with it, together with their seats and
    tickets (those point at the showtime and the seats with RESTRICT, so they can
    only go along with their reservation). Their audit events stay (SET_NULL).
    """
    live = list(sub_objs.filter(live_reservations_q()).order_by("pk")[:100])
    if live:
        raise ProtectedError(
            f"Cannot delete some instances of model "
            f"'{field.remote_field.model.__name__}' because they have active or "
            f"sold reservations: '{field.model.__name__}.{field.name}'",
            live,
        )
    CASCADE(collector, field, sub_objs, using)


class Reservation(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reservations"
    )
    showtime = models.ForeignKey(
        Showtime, on_delete=protect_live_reservations, related_name="reservations"
    )
    status = models.CharField(
        max_length=10, choices=ReservationStatus.choices, default=ReservationStatus.HELD
    )
    code = models.CharField(max_length=12, unique=True)
    total_price = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        help_text="What the purchase charges: the seats' prices less discount_total",
    )
    discount_total = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0.00")
    )
    voucher = models.ForeignKey(
        Voucher,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reservations",
        help_text="Holds one use of it while held; keeps it once purchased",
    )
    expires_at = models.DateTimeField()
    group_name = models.CharField(
        max_length=100,
        blank=True,
        default="",
        help_text="A group hold by box office or staff (school class, club): "
        "up to GROUP_BOOKING_MAX seats for GROUP_HOLD_SECONDS",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    refund_amount = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True
    )
    amount_paid = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="What the purchase charged; refunds are computed from it, never "
        "from total_price.",
    )
    fee = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        help_text="The cancellation fees kept so far (CANCELLATION_POLICY); "
        "refund_amount + fee never exceeds amount_paid",
    )
    payment_reference = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["user", "-created_at"], name="reservation_user_created_idx"
            ),
            models.Index(
                fields=["showtime", "status"], name="reservation_showtime_idx"
            ),
            models.Index(
                fields=["status", "expires_at"], name="reservation_status_exp_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_price__gte=0), name="reservation_total_nonneg"
            ),
            # Refunded never exceeds paid (NULLs pass: nothing paid or refunded yet).
            # Half a cent of slack: SQLite adds decimals as floats.
            models.CheckConstraint(
                condition=Q(
                    amount_paid__gt=models.F("refund_amount")
                    + models.F("fee")
                    - Decimal("0.005")
                ),
                name="reservation_refund_le_paid",
            ),
        ]
        permissions = [
            ("view_all_reservations", "Can see every customer's reservations"),
            ("issue_comp", "Can comp a held reservation"),
            ("book_groups", "Can hold seats for a named group"),
            ("refund_in_full", "Can refund a purchase in full at any time"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.status})"


class ReservedSeatQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class ReservedSeat(models.Model):
    """One seat claimed by one reservation.

    ``showtime`` is copied from the reservation on purpose: the partial unique index
    over (showtime, seat) where is_active makes the database refuse a second active
    claim on a seat. ``held_until`` copies the hold's deadline (NULL once sold), so
    seat state is read from this one table.
    """

    reservation = models.ForeignKey(
        Reservation, on_delete=models.CASCADE, related_name="reserved_seats"
    )
    showtime = models.ForeignKey(
        Showtime, on_delete=models.RESTRICT, related_name="reserved_seats"
    )
    seat = models.ForeignKey(
        Seat, on_delete=models.RESTRICT, related_name="reserved_seats"
    )
    ticket_type = models.ForeignKey(
        TicketType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reserved_seats",
        help_text="Empty only on rows from before ticket types (adult)",
    )
    price = models.DecimalField(
        max_digits=8, decimal_places=2, help_text="The ticket's price, before discount"
    )
    discount = models.DecimalField(
        max_digits=8, decimal_places=2, default=Decimal("0.00")
    )
    fee = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        default=Decimal("0.00"),
        help_text="The cancellation fee kept on this seat when it was given back",
    )
    is_active = models.BooleanField(default=True)
    held_until = models.DateTimeField(null=True, blank=True)

    objects = ReservedSeatQuerySet.as_manager()

    class Meta:
        ordering = ["reservation_id", "seat_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["showtime", "seat"],
                condition=Q(is_active=True),
                name="uniq_reservedseat_showtime_seat",
            ),
            models.CheckConstraint(
                condition=Q(discount__gte=0) & Q(discount__lte=models.F("price")),
                name="reservedseat_discount_0_price",
            ),
            models.CheckConstraint(
                condition=Q(fee__gte=0)
                # half a cent of slack: SQLite subtracts decimals as floats
                & Q(
                    fee__lt=models.F("price") - models.F("discount") + Decimal("0.005")
                ),
                name="reservedseat_fee_0_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.seat.label} for {self.reservation.code}"


class Ticket(models.Model):
    reservation = models.ForeignKey(
        Reservation, on_delete=models.CASCADE, related_name="tickets"
    )
    seat = models.ForeignKey(Seat, on_delete=models.RESTRICT, related_name="tickets")
    code = models.CharField(max_length=40, unique=True)
    is_void = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["reservation_id", "seat_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reservation", "seat"], name="uniq_ticket_reservation_seat"
            ),
        ]
        permissions = [("check_in_ticket", "Can check tickets in at the door")]

    def __str__(self) -> str:
        return self.code


class ReservationAction(models.TextChoices):
    CREATED = "created", "Created"
    SEATS_CHANGED = "seats_changed", "Seats changed"
    PURCHASED = "purchased", "Purchased"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"
    CHECKED_IN = "checked_in", "Checked in"
    COMPED = "comped", "Comped"
    SEATS_SWAPPED = "seats_swapped", "Seats swapped"
    SEATS_CANCELLED = "seats_cancelled", "Seats cancelled"
    REFUNDED = "refunded", "Refunded in full"


class ReservationEvent(models.Model):
    """One state change of a reservation, appended by the service that made it.

    Written inside the same transaction as the change, never edited afterwards. The
    reservation's code and the actor's username are copied so that the row still
    says what and who after either is deleted (both links are SET_NULL). ``actor``
    is empty for the system (hold expiry); ``request_id`` is the X-Request-ID of the
    request that caused the change ("" for cron and the shell).
    """

    reservation = models.ForeignKey(
        Reservation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
    )
    reservation_code = models.CharField(max_length=12, db_index=True)
    action = models.CharField(max_length=20, choices=ReservationAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reservation_events",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField()
    from_status = models.CharField(
        max_length=10, choices=ReservationStatus.choices, blank=True
    )
    to_status = models.CharField(max_length=10, choices=ReservationStatus.choices)
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["reservation", "at"], name="resevent_reservation_idx"),
            models.Index(fields=["at"], name="resevent_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reservation_code} {self.action} at {self.at:%Y-%m-%d %H:%M:%S}"


class IdempotencyKey(models.Model):
    """A client's Idempotency-Key and the first response to it, kept in the database."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="idempotency_keys",
    )
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    is_complete = models.BooleanField(default=False)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], name="uniq_idempotency_user_key"
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


class BlockReason(models.TextChoices):
    HOUSE = "house", "House seats"
    BROKEN = "broken", "Broken"
    TECHNICAL = "technical", "Technical"
    OTHER = "other", "Other"


class SeatBlockQuerySet(models.QuerySet):
    def active(self):
        return self.filter(removed_at__isnull=True)

    def applying_to(self, showtime: Showtime):
        """Active blocks that withdraw seats from ``showtime``: its own, and those of
        its screen made before it starts and lasting (``until``, inclusive, compared
        with the show's business date) up to its business date."""
        return self.active().filter(
            Q(showtime_id=showtime.pk)
            | Q(
                screen_id=showtime.screen_id,
                starts_from__lte=showtime.starts_at,
            )
            & (Q(until__isnull=True) | Q(until__gte=showtime.business_date))
        )


class SeatBlock(models.Model):
    """Seats withdrawn from sale by the cinema, on one showtime or on a screen.

    Exactly one of ``showtime`` and ``screen`` is set. A screen block applies to
    every showtime of the screen that starts at or after ``starts_from`` (when it
    was made) and whose business date is on or before ``until`` (inclusive; no end
    when empty), including showtimes created later: it is consulted when the seat
    map is built and when seats are held, never copied to each showtime.

    The row is its own audit trail: who made it and when, and a removal is a soft
    delete (``removed_at``/``removed_by``); usernames are copied so the row still
    says who after a user is deleted.
    """

    showtime = models.ForeignKey(
        Showtime,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="seat_blocks",
    )
    screen = models.ForeignKey(
        Screen,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="seat_blocks",
    )
    seats = models.ManyToManyField(Seat, related_name="blocks")
    reason = models.CharField(max_length=10, choices=BlockReason.choices)
    note = models.CharField(max_length=500, blank=True)
    starts_from = models.DateTimeField(
        help_text="A screen block applies to showtimes starting from then"
    )
    until = models.DateField(
        null=True,
        blank=True,
        help_text="A screen block's last business date (inclusive); empty: no end",
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="seat_blocks_created",
    )
    created_by_username = models.CharField(max_length=150, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="seat_blocks_removed",
    )
    removed_by_username = models.CharField(max_length=150, blank=True)

    objects = SeatBlockQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(showtime__isnull=True) ^ Q(screen__isnull=True),
                name="seatblock_showtime_xor_screen",
            ),
            models.CheckConstraint(
                condition=Q(reason__in=BlockReason.values),
                name="seatblock_reason_known",
            ),
        ]
        indexes = [
            models.Index(fields=["showtime", "removed_at"], name="seatblock_show_idx"),
            models.Index(fields=["screen", "removed_at"], name="seatblock_screen_idx"),
        ]
        permissions = [("block_seats", "Can block seats on showtimes and screens")]

    def __str__(self) -> str:
        scope = (
            f"showtime {self.showtime_id}"
            if self.showtime_id
            else (f"screen {self.screen_id}")
        )
        return f"{self.reason} block on {scope}"

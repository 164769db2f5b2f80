"""Ticket types, price cards and vouchers: what a seat costs and who pays less."""

from django.apps import apps as global_apps
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from movies.models import Movie
from theaters.models import Theater

# The ticket type of a seat booked by label alone, and the price every client that
# knows one price per category reads (Showtime.prices).
ADULT = "adult"

STANDARD_TICKET_TYPES = [
    # code, name, min_age, max_age, requires_id
    (ADULT, "Adult", 0, None, False),
    ("child", "Child", 0, 11, False),
    ("senior", "Senior", 65, None, True),
    ("student", "Student", 0, None, True),
]


def ensure_standard_ticket_types(apps=global_apps, **kwargs) -> None:
    """Create the standard ticket types that are missing (the seed migration and
    post_migrate, so they survive a test flush); existing rows are left as edited."""
    model = apps.get_model("pricing", "TicketType")
    for code, name, min_age, max_age, requires_id in STANDARD_TICKET_TYPES:
        model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "min_age": min_age,
                "max_age": max_age,
                "requires_id": requires_id,
            },
        )


class TicketType(models.Model):
    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=100)
    min_age = models.PositiveSmallIntegerField(default=0)
    max_age = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Oldest age the type is for (none: no limit)"
    )
    requires_id = models.BooleanField(
        default=False, help_text="Proof of age or status is checked at the door"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_age__isnull=True) | Q(max_age__gte=models.F("min_age")),
                name="tickettype_age_range",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class PriceCard(models.Model):
    """A price table that showtimes created without prices copy, by local start time.

    ``prices`` is the full form ``{category: {ticket_type: "10.00"}}``; ``rules``
    a list of ``{"weekdays": [0..6], "from": "HH:MM", "until": "HH:MM"}`` (weekday
    0 is Monday, from inclusive, until exclusive, "24:00" is the end of the day).
    """

    name = models.CharField(max_length=100)
    theater = models.ForeignKey(
        Theater,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="price_cards",
        help_text="Empty: every theater",
    )
    prices = models.JSONField()
    rules = models.JSONField()
    priority = models.IntegerField(default=0, help_text="Higher wins")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-priority", "id"]
        indexes = [
            models.Index(fields=["theater", "-priority"], name="pricecard_theater_idx")
        ]

    def __str__(self) -> str:
        return self.name


class VoucherKind(models.TextChoices):
    PERCENT = "percent", "Percent off"
    AMOUNT = "amount", "Amount off each ticket"
    FIXED_PRICE = "fixed_price", "Fixed price per ticket"


class Voucher(models.Model):
    """A discount code. ``uses`` counts live holds and purchases that took one.

    Only the booking service changes ``uses``, with a conditional UPDATE (see
    ``reservations.services.vouchers``). A comp (``is_comp``) is issued by box office
    for one reservation and cannot be entered as a code.
    """

    code = models.CharField(max_length=40)
    kind = models.CharField(max_length=12, choices=VoucherKind.choices)
    value = models.DecimalField(max_digits=8, decimal_places=2)
    max_uses = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: unlimited"
    )
    uses = models.PositiveIntegerField(default=0, editable=False)
    per_user_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: unlimited"
    )
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    movies = models.ManyToManyField(Movie, blank=True, related_name="vouchers")
    theaters = models.ManyToManyField(Theater, blank=True, related_name="vouchers")
    ticket_types = models.ManyToManyField(
        TicketType, blank=True, related_name="vouchers"
    )
    is_comp = models.BooleanField(default=False, editable=False)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(Lower("code"), name="uniq_voucher_code_ci"),
            models.CheckConstraint(
                condition=Q(value__gte=0), name="voucher_value_nonneg"
            ),
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(value__gte=1, value__lte=100),
                name="voucher_percent_1_100",
            ),
        ]

    def __str__(self) -> str:
        return self.code

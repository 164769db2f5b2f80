"""Theaters, their screens, and the seats of each screen."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class SeatCategory(models.TextChoices):
    STANDARD = "standard", "Standard"
    PREMIUM = "premium", "Premium"
    RECLINER = "recliner", "Recliner"
    ACCESSIBLE = "accessible", "Accessible"


def default_timezone() -> str:
    return settings.DEFAULT_THEATER_TIMEZONE


def default_currency() -> str:
    return settings.DEFAULT_CURRENCY


class Theater(models.Model):
    name = models.CharField(max_length=200)
    location = models.CharField(max_length=300, help_text="Street address")
    city = models.CharField(
        max_length=100,
        blank=True,
        db_index=True,
        help_text="Optional when the location already names the city",
    )
    timezone = models.CharField(
        max_length=64,
        default=default_timezone,
        help_text="IANA time zone of the theater, e.g. America/New_York",
    )
    currency = models.CharField(
        max_length=3,
        default=default_currency,
        help_text="ISO 4217 code of its prices, e.g. EUR",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.city or self.location})"


class Screen(models.Model):
    theater = models.ForeignKey(
        Theater, on_delete=models.CASCADE, related_name="screens"
    )
    name = models.CharField(max_length=100)
    layout = models.JSONField(
        help_text='[{"row": "A", "seats": 12, "category": "standard"}]'
    )
    capacity = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["theater_id", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["theater", "name"], name="uniq_screen_theater_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.theater.name} / {self.name}"

    def categories(self) -> set[str]:
        return {row["category"] for row in self.layout}


class Seat(models.Model):
    screen = models.ForeignKey(Screen, on_delete=models.CASCADE, related_name="seats")
    row = models.CharField(max_length=5)
    row_index = models.PositiveSmallIntegerField(
        help_text="Position of the row in the layout"
    )
    number = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=10)
    category = models.CharField(max_length=20, choices=SeatCategory.choices)
    wheelchair = models.BooleanField(
        default=False, help_text="A wheelchair space (kept for access until release)"
    )
    companion = models.BooleanField(
        default=False, help_text="A companion seat beside a wheelchair space"
    )
    restricted_view = models.BooleanField(default=False)
    aisle_after = models.BooleanField(
        default=False, help_text="An aisle follows this seat in its row"
    )

    class Meta:
        ordering = ["screen_id", "row_index", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["screen", "label"], name="uniq_seat_screen_label"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="seat_number_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def features(self) -> list[str]:
        """The seat's features as the seat map names them."""
        return [name for name in SEAT_FEATURES if getattr(self, name)]


# Seat features a layout row may name by seat number, in the seat map's order.
SEAT_FEATURES = ("wheelchair", "companion", "restricted_view")
# Features and drawing marks a layout row may carry: each a list of seat numbers.
LAYOUT_MARKS = (*SEAT_FEATURES, "aisle_after")

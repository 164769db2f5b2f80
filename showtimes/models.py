"""Showtimes: a movie on a screen at a time, with a price per seat category."""

from django.db import models
from django.db.models import F, Q

from movies.models import Movie
from theaters.models import Screen


class Showtime(models.Model):
    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="showtimes")
    screen = models.ForeignKey(
        Screen, on_delete=models.CASCADE, related_name="showtimes"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(
        help_text="starts_at + movie duration + SHOWTIME_CLEANUP_MINUTES (derived)"
    )
    prices = models.JSONField(help_text='{"standard": "10.00", "premium": "15.50"}')
    is_cancelled = models.BooleanField(default=False)
    seats_version = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Bumped by the booking service in every transaction that changes "
        "seat state; keys the cached seat map.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="showtime_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["starts_at", "id"], name="showtime_starts_idx"),
            models.Index(
                fields=["screen", "starts_at"], name="showtime_screen_starts_idx"
            ),
            models.Index(
                fields=["movie", "starts_at"], name="showtime_movie_starts_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.movie.title} @ {self.screen} {self.starts_at:%Y-%m-%d %H:%M}"

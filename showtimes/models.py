"""Showtimes: a movie on a screen at a time, with a price per seat category, in a
format, a language and with the accessibility it offers."""

from datetime import UTC, datetime

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from movies.models import Movie
from theaters.models import Screen


class ShowtimeFormat(models.TextChoices):
    TWO_D = "2D", "2D"
    THREE_D = "3D", "3D"
    IMAX = "IMAX", "IMAX"
    IMAX_3D = "IMAX_3D", "IMAX 3D"
    FOUR_DX = "4DX", "4DX"
    DOLBY_CINEMA = "DOLBY_CINEMA", "Dolby Cinema"


class Accessibility(models.TextChoices):
    """What a show may offer; the API lists them, one boolean column each."""

    CLOSED_CAPTIONS = "closed_captions", "Closed captions"
    AUDIO_DESCRIPTION = "audio_description", "Audio description"
    RELAXED = "relaxed", "Relaxed screening"


# The column that records each Accessibility value. Booleans rather than a list in
# a JSONField: "offers relaxed" is a plain indexed-friendly equality on SQLite and
# PostgreSQL alike (JSONField __contains on a list does not exist on SQLite), and
# the database holds no spelling of a value that could drift from the choices.
ACCESSIBILITY_COLUMNS = {
    Accessibility.CLOSED_CAPTIONS: "has_closed_captions",
    Accessibility.AUDIO_DESCRIPTION: "has_audio_description",
    Accessibility.RELAXED: "is_relaxed",
}


def deadline_stamp(moment: datetime) -> str:
    """A hold deadline as stored in ``hold_deadlines``: UTC, fixed width, so that
    comparing the strings compares the times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def available_seats(
    capacity: int,
    claimed: int,
    hold_deadlines: list,
    holds_lapse_at: datetime | None,
    now: datetime,
) -> int:
    """``capacity`` less the claimed seats, adding back holds lapsed by ``now``.

    One comparison in the usual case (no hold has lapsed since the last booking
    transaction released the lapsed ones); otherwise a walk over the deadlines.
    """
    free = capacity - claimed
    if holds_lapse_at is None or holds_lapse_at > now:
        return free
    stamp = deadline_stamp(now)
    for deadline, seats in hold_deadlines:
        if deadline > stamp:
            break
        free += seats
    return free


class Showtime(models.Model):
    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="showtimes")
    screen = models.ForeignKey(
        Screen, on_delete=models.CASCADE, related_name="showtimes"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(
        help_text="starts_at + movie duration + SHOWTIME_CLEANUP_MINUTES (derived)"
    )
    prices = models.JSONField(
        help_text='The adult price per seat category: {"standard": "10.00"} '
        "(derived from price_table; what the seat map shows)"
    )
    price_table = models.JSONField(
        default=dict,
        blank=True,
        help_text='{"standard": {"adult": "10.00", "child": "7.50"}}: every ticket '
        "type's price per category, copied when the showtime was priced",
    )
    is_cancelled = models.BooleanField(default=False)
    business_date = models.DateField(
        editable=False,
        help_text="The theater's business day this show belongs to (derived from "
        "starts_at, the theater's time zone and BUSINESS_DAY_STARTS_AT).",
    )
    format = models.CharField(
        max_length=12, choices=ShowtimeFormat.choices, default=ShowtimeFormat.TWO_D
    )
    # null, not "": the API says null for "no subtitles" / "not given", and a
    # third state ("" beside null) would only need explaining.
    audio_language = models.CharField(  # noqa: DJ001
        max_length=2, null=True, blank=True, help_text="ISO 639-1 code, e.g. en"
    )
    subtitles = models.CharField(  # noqa: DJ001
        max_length=2,
        null=True,
        blank=True,
        help_text="ISO 639-1 code of the subtitles, or empty for none",
    )
    has_closed_captions = models.BooleanField(default=False)
    has_audio_description = models.BooleanField(default=False)
    is_relaxed = models.BooleanField(
        default=False, help_text="A relaxed screening (lights up, sound down)"
    )
    seats_version = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Bumped by the booking service in every transaction that changes "
        "seat state; keys the cached seat map.",
    )
    # Seat counts kept by the booking side (reservations.services.audit
    # .bump_seats_version recounts them inside every seat-changing transaction, under
    # the showtime lock), so the catalogue never reads the booking tables.
    seats_claimed = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Seats with an active claim (sold, or held, lapsed or not) as of "
        "the last seat-changing transaction.",
    )
    hold_deadlines = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text='The held ones among them by deadline: [["2026-05-01T20:00:00Z", 2], '
        "...], earliest first. A hold lapses by time, without a write: readers add "
        "back the seats whose deadline has passed (available_seats_at).",
    )
    holds_lapse_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="The earliest of hold_deadlines (null: no held seat).",
    )
    has_claims = models.BooleanField(
        default=False,
        editable=False,
        help_text="A reservation, in any state, has claimed a seat of this show "
        "(kept by the booking side with the counts).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="showtime_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(format__in=ShowtimeFormat.values),
                name="showtime_format_known",
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
            # ?date= is an equality on business_date, then the list's order.
            models.Index(
                fields=["business_date", "starts_at", "id"],
                name="showtime_business_date_idx",
            ),
            # The fast path's version of a date's showtime list reads only this
            # (movie_api/fastpath.py SHOWTIME_SEATS): an index-only aggregate.
            models.Index(
                fields=["business_date", "seats_version", "holds_lapse_at"],
                name="showtime_date_seats_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.movie.title} @ {self.screen} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def accessibility(self) -> list[str]:
        return [
            str(value)
            for value, column in ACCESSIBILITY_COLUMNS.items()
            if getattr(self, column)
        ]

    @property
    def seats_available_now(self) -> int:
        """Seats neither sold nor held by an unexpired hold, now (the API's
        ``available_seats``). Reads the ``capacity`` annotation when present."""
        capacity = getattr(self, "capacity", None)
        if capacity is None:
            capacity = self.screen.capacity
        return available_seats(
            capacity,
            self.seats_claimed,
            self.hold_deadlines,
            self.holds_lapse_at,
            timezone.now(),
        )

    @property
    def ticket_prices(self) -> dict[str, dict[str, str]]:
        """The full price table; rows written with ``prices`` alone price adults."""
        return self.price_table or {
            category: {"adult": price} for category, price in self.prices.items()
        }

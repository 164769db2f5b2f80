"""Movies in the catalogue."""

from django.db import models
from django.db.models import Q

# The longest film the catalogue takes; showtimes keep room for it before the end
# of the calendar (showtimes.serializers.start_range).
MAX_DURATION_MINUTES = 600

# Certificates that admit nobody under an age, per rating system (upper case; FSK
# certificates without their "FSK " prefix). A movie with one of these needs a
# min_age at least as high. Other systems and certificates are free text and
# restrict only through the min_age given with them. BBFC 12A and MPA PG-13 admit
# children accompanied, so they restrict nobody.
RESTRICTING_CERTIFICATES: dict[str, dict[str, int]] = {
    "MPA": {"R": 17, "NC-17": 18},
    "BBFC": {"12": 12, "15": 15, "18": 18, "R18": 18},
    "FSK": {"6": 6, "12": 12, "16": 16, "18": 18},
}


def restricting_age(rating_system: str, certificate: str) -> int:
    """The age below which ``certificate`` of ``rating_system`` admits nobody (0: none).

    Case and spacing do not matter; FSK's "FSK 16" and "16" are the same.
    """
    system = rating_system.strip().upper()
    name = " ".join(certificate.upper().split())
    if system == "FSK":
        name = name.removeprefix("FSK").strip()
    return RESTRICTING_CERTIFICATES.get(system, {}).get(name, 0)


class Movie(models.Model):
    title = models.CharField(max_length=200)
    synopsis = models.TextField(blank=True)
    director = models.CharField(max_length=200, blank=True)
    genre = models.CharField(max_length=50, blank=True, db_index=True)
    language = models.CharField(max_length=50, blank=True)
    rating_system = models.CharField(
        max_length=20, blank=True, help_text="MPA, BBFC, FSK, ... (free text)"
    )
    certificate = models.CharField(
        max_length=20, blank=True, help_text="e.g. PG-13, 15, FSK 16"
    )
    min_age = models.PositiveSmallIntegerField(
        default=0, help_text="Youngest age the certificate admits (0 to 21)"
    )
    release_date = models.DateField(null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField()
    poster_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1)
                & Q(duration_minutes__lte=MAX_DURATION_MINUTES),
                name="movie_duration_1_600",
            ),
            models.CheckConstraint(
                condition=Q(min_age__lte=21), name="movie_min_age_0_21"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CatalogueVersion(models.Model):
    """One row (id 1) whose ``version`` the database bumps on every write to the
    movies table: triggers (movies/migrations/0003), so no write path can forget it.
    Keys the copies of the movie list that movie_api/fastpath.py serves."""

    version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"movies v{self.version}"

"""Movie representation and validation of its shape."""

from rest_framework import serializers

from movie_api.fields import api_date, api_datetime

from .models import (
    MAX_DURATION_MINUTES,
    RESTRICTING_CERTIFICATES,
    Movie,
    restricting_age,
)


def check_min_age(*, rating_system: str, certificate: str, min_age: int | None) -> None:
    """A restricting certificate comes with its age or a higher one (the API's and
    the admin's rule); ``min_age`` None means it was not given."""
    required = restricting_age(rating_system, certificate)
    if required and (min_age is None or min_age < required):
        name = f"{rating_system.strip()} {certificate.strip()}"
        given = "is required" if min_age is None else f"is {min_age}"
        raise serializers.ValidationError(
            f"Certificate {name} admits nobody under {required}: min_age {given}; "
            f"give {required} or higher."
        )


class MovieSerializer(serializers.ModelSerializer):
    duration_minutes = serializers.IntegerField(
        min_value=1, max_value=MAX_DURATION_MINUTES
    )
    # Before certificates had a system and an age, clients read and wrote this
    # free-text field: it stays, as another name for the certificate.
    rating = serializers.CharField(
        source="certificate",
        max_length=20,
        required=False,
        allow_blank=True,
        help_text="The certificate under its old name (kept for existing clients).",
    )
    min_age = serializers.IntegerField(
        min_value=0,
        max_value=21,
        required=False,
        help_text="Youngest age admitted (0 to 21). Required, at the certificate's "
        "age or higher, for a restricting certificate of a known system (e.g. MPA "
        "R: 17, NC-17: 18; BBFC 12, 15, 18, R18; FSK 6, 12, 16, 18).",
    )
    rating_system = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        help_text="Rating system. Known: "
        + ", ".join(RESTRICTING_CERTIFICATES)
        + " (their restricting certificates need a min_age); any other is free text.",
    )

    class Meta:
        model = Movie
        fields = [
            "id",
            "title",
            "synopsis",
            "director",
            "genre",
            "language",
            "rating",
            "rating_system",
            "certificate",
            "min_age",
            "release_date",
            "duration_minutes",
            "poster_url",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]

    def validate(self, attrs):
        def current(field, default):
            return attrs.get(field, getattr(self.instance, field, default))

        # An unchanged, stored min_age counts as given: the rule is on the result.
        given = "min_age" in attrs or self.instance is not None
        try:
            check_min_age(
                rating_system=current("rating_system", ""),
                certificate=current("certificate", ""),
                min_age=current("min_age", 0) if given else None,
            )
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"min_age": exc.detail}) from exc
        return attrs


# The movie list, built from plain rows: the same fields and values as
# MovieSerializer (tests/movies/test_rows.py compares them), without a model
# instance and a field object per value.
MOVIE_ROW_FIELDS = (
    "id",
    "title",
    "synopsis",
    "director",
    "genre",
    "language",
    "rating_system",
    "certificate",
    "min_age",
    "release_date",
    "duration_minutes",
    "poster_url",
    "created_at",
)


def movie_rows(values) -> list[dict]:
    """``Movie.objects.values(*MOVIE_ROW_FIELDS)`` rows as MovieSerializer shows them."""
    return [
        {
            "id": row["id"],
            "title": row["title"],
            "synopsis": row["synopsis"],
            "director": row["director"],
            "genre": row["genre"],
            "language": row["language"],
            "rating": row["certificate"],
            "rating_system": row["rating_system"],
            "certificate": row["certificate"],
            "min_age": row["min_age"],
            "release_date": api_date(row["release_date"]),
            "duration_minutes": row["duration_minutes"],
            "poster_url": row["poster_url"],
            "created_at": api_datetime(row["created_at"]),
        }
        for row in values
    ]

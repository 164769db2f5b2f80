"""Movie representation and validation of its shape."""

from rest_framework import serializers

from .models import MAX_DURATION_MINUTES, Movie


class MovieSerializer(serializers.ModelSerializer):
    duration_minutes = serializers.IntegerField(
        min_value=1, max_value=MAX_DURATION_MINUTES
    )
    # Before certificates had a system and an age, clients read and wrote this
    # free-text field: it stays, as another name for the certificate.
    rating = serializers.CharField(
        source="certificate",
        max_length=10,
        required=False,
        allow_blank=True,
        help_text="The certificate under its old name (kept for existing clients).",
    )
    min_age = serializers.IntegerField(min_value=0, max_value=21, required=False)

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

"""Movie representation and validation of its shape."""

from rest_framework import serializers

from .models import MAX_DURATION_MINUTES, Movie


class MovieSerializer(serializers.ModelSerializer):
    duration_minutes = serializers.IntegerField(
        min_value=1, max_value=MAX_DURATION_MINUTES
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
            "release_date",
            "duration_minutes",
            "poster_url",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]

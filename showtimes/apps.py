"""App configuration for showtimes."""

from django.apps import AppConfig
from django.db.models.signals import pre_save


class ShowtimesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "showtimes"

    def ready(self) -> None:
        # movies must not know showtimes, so showtimes listens for a movie's new
        # duration and moves the end of its upcoming showtimes (or refuses it).
        from movies.models import Movie

        from .services import follow_movie_duration

        pre_save.connect(
            follow_movie_duration, sender=Movie, dispatch_uid="showtimes_follow_movie"
        )

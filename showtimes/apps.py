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
        from theaters.models import Theater
        from theaters.signals import theater_timezone_changed

        from .services import follow_movie_duration, follow_theater_timezone

        pre_save.connect(
            follow_movie_duration, sender=Movie, dispatch_uid="showtimes_follow_movie"
        )
        # Likewise a theater's new time zone moves its showtimes' business dates.
        theater_timezone_changed.connect(
            follow_theater_timezone,
            sender=Theater,
            dispatch_uid="showtimes_follow_theater_timezone",
        )

"""App configuration for showtimes."""

from django.apps import AppConfig


class ShowtimesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "showtimes"

"""App configuration for events."""

from django.apps import AppConfig


class EventsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "events"

    def ready(self) -> None:
        # The outbox sweep is one of the periodic jobs; registering it here means
        # every process that loads the apps (web, worker, scheduler) knows it.
        from . import tasks  # noqa: F401

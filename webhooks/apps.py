"""App configuration for webhooks."""

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"

    def ready(self) -> None:
        from events.services import subscribe

        from . import services, tasks  # noqa: F401 - tasks registers the retry sweep

        subscribe("*", services.on_event, name="webhooks")

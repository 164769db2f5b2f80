"""App configuration for pricing."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PricingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pricing"

    def ready(self) -> None:
        from .models import ensure_standard_ticket_types

        # Like the roles: the four standard ticket types exist after every migrate,
        # including after a test database flush.
        post_migrate.connect(
            ensure_standard_ticket_types,
            sender=self,
            dispatch_uid="pricing.ensure_standard_ticket_types",
        )

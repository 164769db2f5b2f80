"""App configuration for accounts."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the deploy checks)
        from .roles import ensure_roles

        # Runs after each app's migrations (and after a test flush): permissions of
        # apps migrated later are added when their own post_migrate fires.
        post_migrate.connect(ensure_roles, dispatch_uid="accounts.ensure_roles")

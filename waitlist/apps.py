"""App configuration for waiting lists."""

from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "waitlist"

    def ready(self) -> None:
        # The booking side announces every committed seat change; a showtime with
        # a waiting list then gets its freed seats offered (bookings know nothing
        # of waiting lists).
        from reservations.signals import seats_changed

        from . import tasks  # noqa: F401  (registers the periodic run)
        from .services import on_seats_changed

        seats_changed.connect(on_seats_changed, dispatch_uid="waitlist_seats_changed")

"""App configuration for notifications (booking emails)."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"

    def ready(self) -> None:
        # Every process that loads the apps (web, worker, scheduler) knows the
        # handlers and the periodic job, so whichever dispatches an event calls them.
        from events.services import subscribe

        from . import handlers, tasks  # noqa: F401 (tasks registers its periodic job)

        subscribe(
            "reservation.confirmed",
            handlers.on_reservation_confirmed,
            name="notifications.confirmation_email",
        )
        for type_ in (
            "reservation.cancelled",
            "reservation.seats_cancelled",
            "reservation.refunded",
        ):
            subscribe(type_, handlers.on_refund, name="notifications.refund_email")

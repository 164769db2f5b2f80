"""App configuration for reservations."""

from django.apps import AppConfig


class ReservationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reservations"

    def ready(self) -> None:
        # The catalogue must not know bookings: it announces a cancelled showtime,
        # and the booking side frees that showtime's holds in the same transaction.
        from showtimes.signals import showtime_cancelled

        from . import tasks  # noqa: F401  (registers its periodic jobs)
        from .services import on_showtime_cancelled
        from .services.cancelled_showtimes import on_showtime_cancelled_refund

        showtime_cancelled.connect(
            on_showtime_cancelled, dispatch_uid="reservations_showtime_cancelled"
        )
        # Its purchases are refunded after that commit, one per transaction.
        showtime_cancelled.connect(
            on_showtime_cancelled_refund,
            dispatch_uid="reservations_showtime_cancelled_refund",
        )

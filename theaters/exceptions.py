"""Screen rule violations."""

from rest_framework import status

from movie_api.exceptions import DomainError


class ScreenHasReservations(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "screen_has_reservations"
    message = (
        "This screen's seats are referenced by reservations, so its layout cannot "
        "change; create a new screen instead."
    )


class ShowtimePricesMissing(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "showtime_prices_missing"
    message = (
        "Upcoming showtimes on this screen have no price for a seat category the "
        "new layout adds; price them first or remove those showtimes."
    )

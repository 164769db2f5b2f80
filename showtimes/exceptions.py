"""Showtime rule violations."""

from rest_framework import status

from movie_api.exceptions import DomainError


class ShowtimeOverlap(DomainError):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "showtime_overlap"
    message = "This screen already has a showtime overlapping that time."


class ShowtimeHasReservations(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "showtime_has_reservations"
    message = (
        "This showtime has reservations, so its movie and screen cannot change; "
        "create a new showtime instead."
    )

"""Showtime rule violations."""

from rest_framework import status

from movie_api.exceptions import DomainError


class ShowtimeOverlap(DomainError):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "showtime_overlap"
    message = "This screen already has a showtime overlapping that time."


class ShowtimeImmutableField(DomainError):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "immutable_field"
    message = (
        "A showtime's movie and screen cannot change; create a new showtime instead."
    )

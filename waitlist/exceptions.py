"""Waiting-list rule violations, each with its HTTP status and machine-readable code."""

from rest_framework import status

from movie_api.exceptions import DomainError


class SeatsAvailable(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "seats_available"
    message = "Enough seats are free for this showtime: book them instead of waiting."


class AlreadyWaiting(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "already_waiting"
    message = "You are already on this showtime's waiting list."


class WaitlistClosed(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "waitlist_closed"
    message = "This showtime has started or was cancelled: its waiting list is closed."


class EntryNotOpen(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "waitlist_entry_closed"
    message = "This waiting-list entry is no longer waiting or holding an offer."

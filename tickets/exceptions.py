"""Ticket and best-seat rule violations, each with its HTTP status and code."""

from rest_framework import status

from movie_api.exceptions import DomainError


class TicketNotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "ticket_not_found"
    message = "No ticket has this code."


class TicketVoid(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "ticket_void"
    message = "This ticket was cancelled and is no longer valid."


class ShowtimeCancelled(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "showtime_cancelled"
    message = "This ticket's showtime was cancelled."


class AlreadyCheckedIn(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "already_checked_in"
    message = "This ticket has already been used."


class CheckInClosed(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "check_in_closed"
    message = "Check-in is open from 2 hours before the showtime starts until it ends."


class NoAdjacentSeats(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "no_adjacent_seats"
    message = "No block of that many free adjacent seats is left in one row."

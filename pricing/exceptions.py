"""Pricing rule violations, each with its HTTP status and machine-readable code."""

from rest_framework import status

from movie_api.exceptions import DomainError


class PriceMissing(DomainError):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "price_missing"
    message = "A seat has no price for this showtime; it cannot be sold."


class TicketTypeUnavailable(DomainError):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "ticket_type_unavailable"
    message = "This showtime has no price for that ticket type."


class TicketTypeNotAllowed(DomainError):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "ticket_type_not_allowed"
    message = "That ticket type is not allowed for this film's certificate."


class VoucherInvalid(DomainError):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "voucher_invalid"
    message = "This voucher cannot be used here."

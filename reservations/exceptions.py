"""Booking rule violations, each with its HTTP status and machine-readable code."""

from rest_framework import status

from movie_api.exceptions import DomainError


class SeatsUnavailable(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "seats_unavailable"
    message = "Some of the requested seats are no longer available."


class SeatReservedForAccess(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "seat_reserved_for_access"
    message = (
        "Some of the requested seats are kept for wheelchair users and their "
        "companions until shortly before the start."
    )


class GroupBookingNotAllowed(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "permission_denied"
    message = "Only box office and staff may hold seats for a group."


class SwapClosed(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "swap_closed"
    message = "Seats can be swapped only on a purchase, until the cancellation cutoff."


class SwapPriceDiffers(DomainError):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "swap_price_differs"
    message = (
        "Each new seat must cost what the seat it replaces cost: a price "
        "difference cannot be charged or refunded yet."
    )


class UnknownSeats(DomainError):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "unknown_seats"
    message = "Some seat labels do not exist on this showtime's screen."


class InvalidSeatSelection(DomainError):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid_seats"
    message = "The seat selection is not valid."


class ShowtimeClosed(DomainError):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "showtime_closed"
    message = "This showtime has started or was cancelled; it can no longer be booked."


class HoldExpired(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "hold_expired"
    message = "The hold on these seats has expired; please select seats again."


class ReservationNotHeld(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "reservation_not_held"
    message = "Only a held reservation can be changed or purchased."


class ReservationNotActive(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "reservation_not_active"
    message = "This reservation is already cancelled or expired."


class CancellationClosed(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "cancellation_closed"
    message = "It is too close to the showtime to cancel this purchase."


class ReservationChanged(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "reservation_changed"
    message = (
        "The reservation's seats changed while it was being paid for; the payment "
        "was refunded. Check the seats and purchase again."
    )


class TicketUsed(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "ticket_used"
    message = (
        "A ticket of this reservation has been checked in; it cannot be cancelled."
    )


class HoldLimitReached(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "hold_limit_reached"
    message = (
        "You already have the most holds allowed at once; "
        "purchase or cancel one before holding more seats."
    )


class SeatLimitReached(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "seat_limit_reached"
    message = "This would hold more seats for one showtime than one customer may."


class PaymentDeclined(DomainError):
    status_code = status.HTTP_402_PAYMENT_REQUIRED
    code = "payment_declined"
    message = "The payment was declined; the seats are still held for you."


class IdempotencyKeyMismatch(DomainError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "idempotency_key_reused"
    message = "This Idempotency-Key was already used with a different request."


class IdempotencyKeyInProgress(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "idempotency_key_in_progress"
    message = "A request with this Idempotency-Key is still being processed."
    retry_after = 1


class BlockNotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    message = "No active seat block with this id here."


class ReservationNotConfirmed(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "reservation_not_confirmed"
    message = (
        "Only a purchased reservation can give back some of its seats; change the "
        "seats of a hold with PUT or PATCH."
    )


class SeatsAlreadyCancelled(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "seats_already_cancelled"
    message = "Some of these seats of the reservation were already cancelled."


class NothingToRefund(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "nothing_to_refund"
    message = (
        "Nothing is left to refund: the reservation was not paid for, or all of it "
        "was refunded (a used ticket keeps its money)."
    )

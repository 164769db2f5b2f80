"""Every event type the outbox carries: what webhook endpoints may subscribe to.

Add a type here when a service starts publishing it. ``data`` is ids and a few
fields, never personal data beyond the reservation id.
"""

EVENT_TYPES = {
    # reservations/services/audit.py, one per audit event; data: reservation_id,
    # showtime_id, status, previous_status, and where they apply seats (labels),
    # amount, refund_amount, expires_at, reason.
    "reservation.held": "A hold was placed on seats.",
    "reservation.seats_changed": "A reservation's seats changed (a held edit or a swap).",
    "reservation.confirmed": "A hold was bought; amount is what was charged.",
    "reservation.cancelled": "A reservation was cancelled; refund_amount is what was refunded.",
    "reservation.expired": "A hold lapsed and its seats were freed.",
    "reservation.seats_cancelled": (
        "Some seats of a purchase were given back; refund_amount and fee are this cancel's."
    ),
    "reservation.refunded": (
        "A purchase was refunded in full by box office or staff, or a payment that came "
        "after its hold lapsed was refunded; refund_amount (or amount) is what was refunded."
    ),
    # data: reservation_id, showtime_id, status, ticket_id, seat.
    "ticket.checked_in": "A ticket was scanned at the door.",
    # showtimes/services.py; data: showtime_id, movie_id, screen_id, starts_at.
    "showtime.cancelled": "A showtime was cancelled.",
}

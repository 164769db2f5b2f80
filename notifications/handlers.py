"""What notifications does when the outbox (events/) announces a booking change.

Each handler runs inside the event's dispatch transaction: it records the email
and enqueues its sending on commit (``services.queue_email``), and does no network
I/O itself. A redelivered event (delivery is at least once) finds the email
already recorded for that reservation and sends nothing again.
"""

from decimal import Decimal

from events.models import Event

from .models import EmailKind
from .services import queue_email


def on_reservation_confirmed(event: Event) -> None:
    queue_email(
        kind=EmailKind.CONFIRMATION,
        reservation_id=event.data["reservation_id"],
        event_id=str(event.id),
    )


def on_refund(event: Event) -> None:
    """A refund email for a purchase cancelled (or some of its seats given back,
    or a kept fee refunded later): what this event refunded. A cancelled hold,
    never paid for, gets none."""
    data = dict(event.data)
    if "refund_amount" not in data and event.type == "reservation.refunded":
        # a payment that came after its hold lapsed, refunded whole: ``amount``
        data["refund_amount"] = data.get("amount") or "0"
    refunded = Decimal(str(data.get("refund_amount") or "0"))
    if data.get("previous_status") != "confirmed" and not refunded:
        return
    queue_email(
        kind=EmailKind.REFUND,
        reservation_id=data["reservation_id"],
        event_id=str(event.id),
        details={key: data[key] for key in REFUND_DETAILS if key in data},
    )


# What a refund email says, as the event carries it (events.types).
REFUND_DETAILS = ("refund_amount", "seats", "status", "fee")

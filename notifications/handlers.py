"""What notifications does when the outbox (events/) announces a booking change.

Each handler runs inside the event's dispatch transaction: it records the email
and enqueues its sending on commit (``services.queue_email``), and does no network
I/O itself. A redelivered event (delivery is at least once) finds the email
already recorded for that reservation and sends nothing again.
"""

from events.models import Event

from .models import EmailKind
from .services import queue_email


def on_reservation_confirmed(event: Event) -> None:
    queue_email(
        kind=EmailKind.CONFIRMATION,
        reservation_id=event.data["reservation_id"],
        event_id=str(event.id),
    )


def on_reservation_cancelled(event: Event) -> None:
    """A refund email for a cancelled purchase; a cancelled hold paid nothing."""
    if event.data.get("previous_status") != "confirmed":
        return
    queue_email(
        kind=EmailKind.REFUND,
        reservation_id=event.data["reservation_id"],
        event_id=str(event.id),
    )

"""Queueing and sending the booking emails.

``queue_email`` records the email to send (one per reservation and kind: the
unique constraint makes a redelivered trigger a no-op) and enqueues its sending
once the transaction commits. ``send_email`` (run by the task) claims the row
with a short lease, builds the message from the reservation as it is now, sends
it, and records the outcome. A failed send never touches the booking: a
temporary failure (server down, timeout, a 4xx reply) is tried again after
EMAIL_RETRY_SECONDS, then twice as long each time, EMAIL_MAX_ATTEMPTS times in
all; a permanent one (5xx) or the last attempt marks the email failed.

Delivery is at least once: a worker that dies after the server accepted the
message and before the row says so lets the lease lapse, and a later run sends it
again.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from email.utils import make_msgid

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from reservations.models import Reservation, ReservationAction, ReservationEvent

from .messages import UID_DOMAIN, confirmation_message, refund_message
from .models import Email, EmailKind, EmailStatus

logger = logging.getLogger(__name__)


def queue_email(
    *,
    kind: str,
    reservation_id: int,
    event_id: str = "",
    details: dict | None = None,
) -> Email | None:
    """The email of ``kind`` about a reservation, enqueued for sending on commit.

    ``details`` is what the trigger said about the change: for a refund its
    ``refund_amount``, ``seats``, ``status`` and, where the booking records one, its
    ``fee`` (the outbox event's data). Without them (a direct call) a refund email
    describes the reservation's cancellation from its audit trail.

    None when there is nothing to say (a confirmation for a reservation never
    bought, a refund email for one never paid for) or nobody to say it to (an
    account without an address). Calling it again with the same reservation, kind
    and ``event_id`` returns the same row and sends nothing twice; it only enqueues
    again when the email is still pending and no worker holds it or has it
    scheduled (a task lost between commit and enqueue, or with a worker that died).
    """
    reservation = (
        Reservation.objects.select_related("user").filter(pk=reservation_id).first()
    )
    if reservation is None or not reservation.user.email:
        return None  # deleted with its showtime since, or nobody to write to
    if not _worth_sending(kind, reservation):
        return None
    now = timezone.now()
    with transaction.atomic():
        email, created = Email.objects.get_or_create(
            reservation=reservation,
            kind=kind,
            event_id=str(event_id),
            defaults={
                "reservation_code": reservation.code,
                "to": reservation.user.email,
                "details": details
                if details is not None
                else _details_from_audit(kind, reservation),
            },
        )
        if created or _stalled(email, now):
            transaction.on_commit(lambda: enqueue_send(email.pk))
    return email


def _worth_sending(kind: str, reservation: Reservation) -> bool:
    if kind == EmailKind.CONFIRMATION:
        return reservation.confirmed_at is not None
    return reservation.amount_paid is not None  # a refund of a purchase


def _details_from_audit(kind: str, reservation: Reservation) -> dict:
    """A refund as the reservation's last cancellation recorded it (audit trail)."""
    if kind != EmailKind.REFUND:
        return {}
    cancelled = (
        ReservationEvent.objects.filter(
            reservation=reservation, action=ReservationAction.CANCELLED
        )
        .order_by("-at", "-id")
        .first()
    )
    recorded = cancelled.details if cancelled else {}
    return {
        "status": reservation.status,
        "seats": recorded.get("seats", []),
        "refund_amount": recorded.get("refund_amount", reservation.refund_amount),
    }


def _stalled(email: Email, now: datetime) -> bool:
    return (
        email.status == EmailStatus.PENDING
        and (email.locked_until is None or email.locked_until <= now)
        and (email.next_attempt_at is None or email.next_attempt_at <= now)
    )


# A pending email this old with no lease and no retry due is taken for lost.
STALLED_AFTER = timedelta(minutes=5)


def enqueue_stalled_emails() -> int:
    """Enqueue every pending email whose task was lost: no worker holds it, no
    retry of it is still to come, and it was queued a while ago. A task that was
    only slow to start finds it claimed or sent and does nothing."""
    now = timezone.now()
    stalled = list(
        Email.objects.filter(
            status=EmailStatus.PENDING, created_at__lte=now - STALLED_AFTER
        )
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for email_id in stalled:
        enqueue_send(email_id)
    return len(stalled)


def enqueue_send(email_id: int, *, run_after: datetime | None = None) -> None:
    """Enqueue the sending task, not before ``run_after`` where the backend can
    defer (the database and RQ queues); the immediate backend runs it at once."""
    from .tasks import send_email_task

    task = send_email_task
    if run_after is not None and task.get_backend().supports_defer:
        task = task.using(run_after=run_after)
    task.enqueue(email_id)


def lease_seconds() -> int:
    """How long a worker may take to build and send one email before another
    may try: the SMTP timeout covers each network step; a handful of them."""
    return 4 * settings.EMAIL_TIMEOUT + 30


def send_email(*, email_id: int) -> str:
    """Send one queued email; returns what happened: sent, retrying, failed or
    skipped (already sent, failed for good, or being sent by another worker)."""
    now = timezone.now()
    claimed = (
        Email.objects.filter(pk=email_id, status=EmailStatus.PENDING)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .update(
            locked_until=now + timedelta(seconds=lease_seconds()),
            attempts=F("attempts") + 1,
        )
    )
    if not claimed:
        return "skipped"
    email = Email.objects.get(pk=email_id)
    if email.reservation_id is None:  # deleted with its showtime meanwhile
        _finish(email, EmailStatus.FAILED, error="The reservation was deleted.")
        return "failed"
    try:
        message = (
            refund_message(email.reservation_id, email.details)
            if email.kind == EmailKind.REFUND
            else confirmation_message(email.reservation_id)
        )
        message.to = [email.to]
        message_id = make_msgid(domain=UID_DOMAIN)
        message.extra_headers["Message-ID"] = message_id
        message.send()
    except (smtplib.SMTPException, OSError) as exc:
        return _retry_or_fail(email, exc)
    except Exception as exc:
        # A bug, not the mail server: trying again would fail the same way.
        _finish(email, EmailStatus.FAILED, error=_describe(exc))
        raise
    _finish(
        email, EmailStatus.SENT, message_id=message_id, subject=message.subject[:255]
    )
    logger.info("Sent %s email for %s", email.kind, email.reservation_code)
    return "sent"


def _retry_or_fail(email: Email, exc: Exception) -> str:
    error = _describe(exc)
    if _is_permanent(exc) or email.attempts >= settings.EMAIL_MAX_ATTEMPTS:
        _finish(email, EmailStatus.FAILED, error=error)
        logger.error(
            "Giving up on the %s email for %s after %d attempt(s): %s",
            email.kind,
            email.reservation_code,
            email.attempts,
            error,
        )
        return "failed"
    delay = settings.EMAIL_RETRY_SECONDS * 2 ** (email.attempts - 1)
    run_after = timezone.now() + timedelta(seconds=delay)
    Email.objects.filter(pk=email.pk).update(
        locked_until=None, next_attempt_at=run_after, last_error=error
    )
    logger.warning(
        "Sending the %s email for %s failed (attempt %d), retrying in %ss: %s",
        email.kind,
        email.reservation_code,
        email.attempts,
        delay,
        error,
    )
    enqueue_send(email.pk, run_after=run_after)
    return "retrying"


def _finish(email: Email, status: str, *, error: str = "", **fields) -> None:
    Email.objects.filter(pk=email.pk).update(
        status=status,
        locked_until=None,
        next_attempt_at=None,
        last_error=error,
        sent_at=timezone.now() if status == EmailStatus.SENT else None,
        **fields,
    )


def _is_permanent(exc: Exception) -> bool:
    """A 5xx reply: the server refused this message for good (unknown mailbox,
    rejected sender or content). Connection failures and 4xx replies are not."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]

"""A mail server that is down, busy or refusing: retries with backoff, a bounded
number of attempts, and a booking that never notices."""

import io
import socket
import threading
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from notifications.models import Email, EmailKind, EmailStatus
from notifications.services import queue_email, send_email
from reservations import services as booking
from reservations.models import ReservationStatus
from tests.factories import ShowtimeFactory, UserFactory

pytestmark = pytest.mark.django_db

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def reservation(db):
    buyer = UserFactory(email="ada@example.com")
    hold = booking.create_reservation(
        user=buyer, showtime=ShowtimeFactory(), labels=["A1"]
    )
    bought = booking.purchase_reservation(reservation=hold)
    # Where on_commit runs (transactional tests) the purchase already queued and
    # sent its email through the outbox; the tests here queue it themselves.
    Email.objects.all().delete()
    return bought


def queue(reservation, capture) -> Email:
    with capture(execute=True):
        email = queue_email(kind=EmailKind.CONFIRMATION, reservation_id=reservation.pk)
    email.refresh_from_db()
    return email


def test_smtp_down_retries_a_bounded_number_of_times_then_fails(
    smtp_down, settings, reservation, django_capture_on_commit_callbacks
):
    settings.EMAIL_MAX_ATTEMPTS = 3

    email = queue(reservation, django_capture_on_commit_callbacks)

    assert email.status == EmailStatus.FAILED
    assert email.attempts == 3
    assert email.last_error.startswith("ConnectionRefusedError")
    assert email.sent_at is None
    assert email.locked_until is None
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CONFIRMED


def test_busy_server_is_retried_until_it_accepts(
    smtp_server, settings, reservation, django_capture_on_commit_callbacks
):
    settings.EMAIL_MAX_ATTEMPTS = 5
    smtp_server.fail_next = 2  # 451 twice, then 250

    email = queue(reservation, django_capture_on_commit_callbacks)

    assert smtp_server.refused_attempts == 2
    assert len(smtp_server.received) == 1
    assert (email.status, email.attempts, email.last_error) == (EmailStatus.SENT, 3, "")


def test_permanent_refusal_is_not_retried(
    smtp_server, settings, reservation, django_capture_on_commit_callbacks
):
    smtp_server.refuse = {"ada@example.com"}

    email = queue(reservation, django_capture_on_commit_callbacks)

    assert (email.status, email.attempts) == (EmailStatus.FAILED, 1)
    assert "550" in email.last_error
    assert smtp_server.received == []


@pytest.mark.django_db(transaction=True)
def test_retry_on_the_database_queue_waits_with_backoff_then_sends(
    settings, reservation, smtp_down
):
    """On the database queue a failed send is enqueued again with run_after (60 s,
    then 120 s ...): a worker does not run it early; once due, it is sent."""
    from aiosmtpd.controller import Controller

    from .conftest import Mailbox

    settings.TASKS = DATABASE_QUEUE
    settings.EMAIL_RETRY_SECONDS = 60

    email = queue_email(kind=EmailKind.CONFIRMATION, reservation_id=reservation.pk)
    assert DBTaskResult.objects.count() == 1  # queued, not run

    started = timezone.now()
    call_command("db_worker", "--batch", "--interval", "0", "--no-startup-delay")
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.PENDING, 1)
    assert email.last_error.startswith("ConnectionRefusedError")
    retry = DBTaskResult.objects.get(status="READY")
    assert started + timedelta(seconds=59) < retry.run_after
    assert retry.run_after <= timezone.now() + timedelta(seconds=60)
    assert email.next_attempt_at == retry.run_after

    # The mail server comes back; the retry is not due yet, so nothing happens.
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_down)
    controller.start()
    try:
        call_command("db_worker", "--batch", "--interval", "0", "--no-startup-delay")
        assert mailbox.received == []

        # An hour later (moved here instead of waited for): the retry runs.
        DBTaskResult.objects.filter(pk=retry.pk).update(
            run_after=timezone.now() - timedelta(seconds=1)
        )
        call_command("db_worker", "--batch", "--interval", "0", "--no-startup-delay")
    finally:
        controller.stop()

    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.SENT, 2)
    assert len(mailbox.received) == 1
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_backoff_doubles(smtp_down, settings, reservation):
    settings.TASKS = DATABASE_QUEUE
    settings.EMAIL_RETRY_SECONDS = 10
    email = Email.objects.create(
        kind=EmailKind.CONFIRMATION,
        reservation=reservation,
        reservation_code=reservation.code,
        to="ada@example.com",
    )

    delays = []
    for _ in range(3):
        before = timezone.now()
        assert send_email(email_id=email.pk) == "retrying"
        email.refresh_from_db()
        delays.append(round((email.next_attempt_at - before).total_seconds()))

    assert delays == [10, 20, 40]
    assert DBTaskResult.objects.filter(status="READY").count() == 3


def test_a_sent_or_leased_email_is_not_sent_again(smtp_server, reservation):
    email = Email.objects.create(
        kind=EmailKind.CONFIRMATION,
        reservation=reservation,
        reservation_code=reservation.code,
        to="ada@example.com",
        locked_until=timezone.now() + timedelta(minutes=1),
    )
    assert send_email(email_id=email.pk) == "skipped"  # another worker holds it

    Email.objects.filter(pk=email.pk).update(locked_until=None)
    assert send_email(email_id=email.pk) == "sent"
    assert send_email(email_id=email.pk) == "skipped"
    assert len(smtp_server.received) == 1


def test_a_lapsed_lease_is_taken_over(smtp_server, reservation):
    """A worker that died mid-send: once its lease lapses the email goes out."""
    email = Email.objects.create(
        kind=EmailKind.CONFIRMATION,
        reservation=reservation,
        reservation_code=reservation.code,
        to="ada@example.com",
        attempts=1,
        locked_until=timezone.now() - timedelta(seconds=1),
    )
    assert send_email(email_id=email.pk) == "sent"
    email.refresh_from_db()
    assert email.attempts == 2


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_send_one_message(smtp_server, reservation):
    """The same email's task run twice at once (a redelivered event): the lease
    lets exactly one worker send it."""
    smtp_server.received.clear()  # the purchase's own email, sent on commit
    email = Email.objects.create(
        kind=EmailKind.CONFIRMATION,
        reservation=reservation,
        reservation_code=reservation.code,
        to="ada@example.com",
    )
    barrier = threading.Barrier(4)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(send_email(email_id=email.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == ["sent", "skipped", "skipped", "skipped"]
    assert len(smtp_server.received) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.SENT, 1)


def test_sweep_enqueues_only_emails_whose_task_was_lost(settings, reservation):
    settings.TASKS = DATABASE_QUEUE
    now = timezone.now()
    old = now - timedelta(minutes=10)

    def pending(**fields):
        email = Email.objects.create(
            kind=fields.pop("kind", EmailKind.CONFIRMATION),
            reservation=fields.pop("reservation", None),
            reservation_code=reservation.code,
            to="ada@example.com",
            **fields,
        )
        Email.objects.filter(pk=email.pk).update(created_at=old)
        return email

    lost = pending(reservation=reservation)
    lapsed = pending(kind=EmailKind.REFUND, locked_until=now - timedelta(seconds=1))
    pending(locked_until=now + timedelta(minutes=1))  # a worker is sending it
    pending(next_attempt_at=now + timedelta(minutes=1))  # its retry is scheduled
    pending(status=EmailStatus.SENT)
    pending(status=EmailStatus.FAILED)
    fresh = pending()
    Email.objects.filter(pk=fresh.pk).update(created_at=now)  # its task may be coming

    out = io.StringIO()
    call_command("send_pending_emails", stdout=out)

    assert out.getvalue() == "Enqueued 2 pending email(s).\n"
    queued = sorted(r.task_result.args[0] for r in DBTaskResult.objects.all())
    assert queued == sorted([lost.pk, lapsed.pk])


def test_a_server_that_accepts_and_stalls_times_out_and_is_retried(
    settings, reservation, django_capture_on_commit_callbacks
):
    """A mail server that takes the connection and never greets: each attempt
    gives up after EMAIL_TIMEOUT instead of holding the worker."""
    from .conftest import free_port, use_smtp

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", free_port()))
        silent.listen()  # the kernel accepts; nobody ever answers
        use_smtp(settings, silent.getsockname()[1])
        settings.EMAIL_TIMEOUT = 1
        settings.EMAIL_MAX_ATTEMPTS = 2
        started = time.monotonic()

        email = queue(reservation, django_capture_on_commit_callbacks)

    assert time.monotonic() - started < 10
    assert (email.status, email.attempts) == (EmailStatus.FAILED, 2)
    assert email.last_error == (
        "SMTPServerDisconnected: Connection unexpectedly closed: timed out"
    )


def test_the_sweep_is_a_periodic_job():
    from events.periodic import periodic_jobs
    from notifications.tasks import send_pending_emails

    job = periodic_jobs()["pending_emails"]
    assert (job.task, job.every) == (send_pending_emails, timedelta(minutes=5))

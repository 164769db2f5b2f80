"""The email retry on RQ over Redis (TASKS_BACKEND=rq): a failed send is scheduled
with RQ's scheduler for its backoff, and a worker sends it once it is due.

Uses Redis database 4 (TEST_REDIS_URL overrides it), emptied before and after;
skipped when no Redis answers there.
"""

import os
import time
from datetime import timedelta

import django_rq
import pytest
import redis
from aiosmtpd.controller import Controller
from django_tasks_rq import Job
from rq import SimpleWorker

from notifications.models import Email, EmailKind, EmailStatus
from notifications.services import send_email
from reservations import services as booking
from tests.factories import ShowtimeFactory, UserFactory

from .conftest import Mailbox

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/4")


@pytest.fixture
def rq_queue(settings, monkeypatch):
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    connection.flushdb()
    monkeypatch.setitem(
        django_rq.settings.QUEUES, "default", {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 60}
    )
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
    yield django_rq.get_queue("default", job_class=Job)
    connection.flushdb()


def test_a_failed_send_is_scheduled_on_rq_and_sent_when_due(
    rq_queue, settings, smtp_down
):
    settings.EMAIL_RETRY_SECONDS = 1
    buyer = UserFactory(email="ada@example.com")
    reservation = booking.purchase_reservation(
        reservation=booking.create_reservation(
            user=buyer, showtime=ShowtimeFactory(), labels=["A1"]
        )
    )
    email = Email.objects.create(
        kind=EmailKind.CONFIRMATION,
        reservation=reservation,
        reservation_code=reservation.code,
        to="ada@example.com",
    )

    assert send_email(email_id=email.pk) == "retrying"

    email.refresh_from_db()
    registry = rq_queue.scheduled_job_registry
    (job_id,) = registry.get_job_ids()
    scheduled = registry.get_scheduled_time(job_id)
    assert abs(scheduled - email.next_attempt_at) < timedelta(seconds=1)
    assert rq_queue.count == 0  # nothing runs before it is due

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_down)
    controller.start()
    try:
        time.sleep(1.2)  # the backoff passes
        worker = SimpleWorker([rq_queue], connection=rq_queue.connection, job_class=Job)
        worker.work(burst=True, with_scheduler=True)
    finally:
        controller.stop()

    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.SENT, 2)
    assert len(mailbox.received) == 1

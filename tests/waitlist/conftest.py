"""Fixtures for the waiting-list tests: a tiny sold-out showtime and a clock."""

import pytest
from django.core import mail
from django.utils import timezone

from tests.factories import ReservationFactory, ScreenFactory, ShowtimeFactory
from tests.reservations.helpers import Clock

# One row of four standard seats: small enough to sell out in a test.
TINY = [{"row": "A", "seats": 4, "category": "standard"}]


@pytest.fixture
def buyer(db):
    from tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def showtime(db):
    return ShowtimeFactory(screen=ScreenFactory(layout=[dict(row) for row in TINY]))


@pytest.fixture
def sold(showtime, buyer):
    """Every seat of ``showtime`` bought, one reservation per seat (A1..A4)."""
    return {
        label: ReservationFactory(
            user=buyer, showtime=showtime, seats=[label], purchased=True
        )
        for label in ("A1", "A2", "A3", "A4")
    }


@pytest.fixture
def clock(monkeypatch):
    """Freeze ``timezone.now`` (services, selectors, auto_now_add all read it)."""
    frozen = Clock(timezone.now())
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run what waits for the commit (the triggers, the immediate tasks) at the
    end of the block, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def offer_emails():
    """The waiting-list offers in Django's test outbox: a cancellation that frees
    the seats also sends its buyer a refund email (notifications)."""
    return [m for m in mail.outbox if m.subject.startswith("Seats held for you: ")]

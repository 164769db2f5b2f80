"""Fixtures for the booking tests: a showtime, a frozen clock, a recording gateway."""

import pytest
from django.utils import timezone

from tests.factories import ShowtimeFactory

from .helpers import GATEWAY_PATH, Clock, RecordingGateway


@pytest.fixture
def showtime(db):
    return ShowtimeFactory()


@pytest.fixture
def clock(monkeypatch):
    """Freeze ``timezone.now`` (services, selectors, auto_now_add all read it)."""
    frozen = Clock(timezone.now())
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen


@pytest.fixture
def gateway(settings):
    RecordingGateway.reset()
    settings.PAYMENT_GATEWAY = GATEWAY_PATH
    yield RecordingGateway
    RecordingGateway.reset()

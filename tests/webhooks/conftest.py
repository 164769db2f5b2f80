"""Fixtures for webhook tests: a local receiver, and private destinations allowed."""

import pytest

from .receiver import Receiver


@pytest.fixture
def allow_private(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture
def receiver(allow_private):
    with Receiver() as running:
        yield running


@pytest.fixture
def clock(monkeypatch):
    """Freeze ``timezone.now``; tests move it to make retries due."""
    from django.utils import timezone

    from tests.reservations.helpers import Clock

    frozen = Clock(timezone.now())
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen


@pytest.fixture
def endpoint(db, receiver):
    from webhooks import services

    return services.create_endpoint(
        url=receiver.url, events=["reservation.held", "showtime.cancelled"]
    )

"""Fixtures for ticket tests: purchased tickets for a showtime about to start."""

from datetime import timedelta

import pytest
from django.utils import timezone

from reservations import services as booking
from tests.factories import ShowtimeFactory


def buy(*, user, showtime, labels):
    """A confirmed reservation for ``labels``, through the booking services."""
    reservation = booking.create_reservation(
        user=user, showtime=showtime, labels=labels
    )
    return booking.purchase_reservation(reservation=reservation)


@pytest.fixture
def soon_showtime(db):
    """Starts in an hour: bookable now, and inside its check-in window."""
    return ShowtimeFactory(starts_at=timezone.now() + timedelta(hours=1))


@pytest.fixture
def ticket(user, soon_showtime):
    reservation = buy(user=user, showtime=soon_showtime, labels=["A1"])
    return reservation.tickets.get()

"""A local Stripe (tests/payments/stripe_server.py) and settings that point at it."""

import pytest

from .stripe_server import API_KEY, WEBHOOK_SECRET, FakeStripe


@pytest.fixture(scope="session")
def stripe_server():
    server = FakeStripe()
    yield server
    server.close()


@pytest.fixture
def stripe(stripe_server, settings):
    stripe_server.reset()
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_API_BASE = stripe_server.url
    settings.STRIPE_SECRET_KEY = API_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_TIMEOUT_SECONDS = 1
    yield stripe_server
    stripe_server.reset()

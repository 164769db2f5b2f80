"""Shared fixtures: API clients for every role, and role-holding users."""

import pytest
from rest_framework.test import APIClient

from .factories import UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_throttling(settings):
    """Throttles are tested on their own; elsewhere they would make tests order-dependent."""
    settings.THROTTLE_RATES = dict.fromkeys(settings.THROTTLE_RATES)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def manager(db):
    return UserFactory(roles=["manager"])


@pytest.fixture
def box_office(db):
    return UserFactory(roles=["box_office"])


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, roles=["manager", "box_office"])


def _client_for(user):
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def auth_client(user):
    return _client_for(user)


@pytest.fixture
def other_client(other_user):
    return _client_for(other_user)


@pytest.fixture
def manager_client(manager):
    return _client_for(manager)


@pytest.fixture
def box_office_client(box_office):
    return _client_for(box_office)


@pytest.fixture
def staff_client(staff):
    return _client_for(staff)


@pytest.fixture
def client_for():
    return _client_for


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` only mean something on PostgreSQL: skip them elsewhere."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    skip = pytest.mark.skip(reason="PostgreSQL only (set DATABASE_URL=postgres://...)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)

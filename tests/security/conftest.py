"""Fixtures for the security tests: the error-envelope check and a clean throttle cache."""

import pytest
from django.core.cache import caches

from movie_api.throttling import leases


def _error_of(response, status_code: int, code: str) -> dict:
    """Assert the one error envelope with this status and code; return its inner object."""
    assert response.status_code == status_code, response.content
    assert response["Content-Type"] == "application/json", response["Content-Type"]
    body = response.json()
    assert list(body) == ["error"], body
    assert set(body["error"]) == {"code", "message", "fields", "details"}, body
    assert body["error"]["code"] == code, body
    assert body["error"]["message"], body
    assert b"Traceback" not in response.content
    return body["error"]


@pytest.fixture
def error_of():
    return _error_of


@pytest.fixture
def throttle_cache(db):
    """The throttles' counters (and the default cache) emptied before and after."""
    for alias in ("default", "throttle"):
        caches[alias].clear()
    leases.clear()
    yield caches["throttle"]
    for alias in ("default", "throttle"):
        caches[alias].clear()
    leases.clear()

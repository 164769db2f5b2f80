"""The retry-once safety net for PostgreSQL deadlocks and serialization failures."""

import pytest
from django.db import OperationalError, transaction

from movie_api.db import retry_once_on_transaction_conflict


class _PgError(Exception):
    def __init__(self, sqlstate):
        self.sqlstate = sqlstate


def _failing(sqlstate, times):
    calls = []

    @retry_once_on_transaction_conflict
    def service():
        calls.append(1)
        if len(calls) <= times:
            raise OperationalError("boom") from _PgError(sqlstate)
        return "done"

    return service, calls


@pytest.mark.parametrize("code", ["40P01", "40001"])
def test_deadlock_or_serialization_failure_is_retried_once(code):
    service, calls = _failing(code, times=1)
    assert service() == "done"
    assert len(calls) == 2


def test_second_failure_propagates():
    service, calls = _failing("40P01", times=2)
    with pytest.raises(OperationalError):
        service()
    assert len(calls) == 2


def test_other_operational_errors_are_not_retried():
    service, calls = _failing("08006", times=1)  # connection failure
    with pytest.raises(OperationalError):
        service()
    assert len(calls) == 1


@pytest.mark.django_db
def test_no_retry_inside_an_outer_transaction():
    service, calls = _failing("40P01", times=1)
    with pytest.raises(OperationalError), transaction.atomic():
        service()
    assert len(calls) == 1

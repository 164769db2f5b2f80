"""Database helpers shared by the services."""

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from django.db import OperationalError, connection

P = ParamSpec("P")
R = TypeVar("R")

# PostgreSQL aborted the whole transaction; running it again from the start is safe.
RETRYABLE_SQLSTATES = {"40P01", "40001"}  # deadlock_detected, serialization_failure


def sqlstate(exc: BaseException) -> str | None:
    return getattr(exc.__cause__, "sqlstate", None)


def retry_once_on_transaction_conflict(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` (which owns its transaction) once more after a deadlock or
    serialization failure; a second failure propagates and the API answers 409 busy.

    Seats are always taken in seat-id order under one showtime lock, so deadlocks
    should not happen; this is the safety net the locking rule cannot promise.
    """

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except OperationalError as exc:
            if sqlstate(exc) not in RETRYABLE_SQLSTATES or connection.in_atomic_block:
                raise  # inside an outer transaction the retry belongs to its owner
            return func(*args, **kwargs)

    return wrapper

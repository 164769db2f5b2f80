"""Test doubles and small helpers shared by the reservation tests."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection
from rest_framework.test import APIClient

from reservations.exceptions import PaymentDeclined
from reservations.models import ReservedSeat
from reservations.payments import Charge, PaymentGateway

GATEWAY_PATH = "tests.reservations.helpers.RecordingGateway"
_references = itertools.count(1)


class RecordingGateway(PaymentGateway):
    """Approves like the test gateway and records every call (class-level, thread-safe).

    ``on_charge`` runs after a successful charge is recorded: tests use it to move the
    clock or fail "after the money moved".
    """

    lock = threading.Lock()
    charges: list[Charge] = []
    refunds: list[tuple[str, Decimal]] = []
    declined = 0
    on_charge: Callable[[Charge], None] | None = None

    @classmethod
    def reset(cls) -> None:
        with cls.lock:
            cls.charges = []
            cls.refunds = []
            cls.declined = 0
            cls.on_charge = None

    @classmethod
    def net_charges(cls) -> int:
        refunded = {reference for reference, _ in cls.refunds}
        return len([c for c in cls.charges if c.reference not in refunded])

    def charge(self, *, amount: Decimal, token: str | None, description: str) -> Charge:
        cls = type(self)
        if token == "tok_declined":
            with cls.lock:
                cls.declined += 1
            raise PaymentDeclined(decline_code="card_declined")
        with cls.lock:
            # unique across resets too: a provider never reuses a payment's id
            result = Charge(reference=f"rec_{next(_references)}", amount=amount)
            cls.charges.append(result)
        if cls.on_charge is not None:
            cls.on_charge(result)
        return result

    def refund(self, *, reference: str, amount: Decimal) -> None:
        with type(self).lock:
            type(self).refunds.append((reference, amount))


@dataclass
class Clock:
    """A frozen clock that tests move forward by hand."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def active_labels(showtime) -> list[str]:
    """Labels of every seat actively claimed on ``showtime`` (duplicates kept)."""
    return sorted(
        ReservedSeat.objects.filter(showtime=showtime, is_active=True).values_list(
            "seat__label", flat=True
        )
    )


def seat_states(client, showtime) -> dict[str, str]:
    response = client.get(f"/api/showtimes/{showtime.pk}/seats/")
    assert response.status_code == 200, response.content
    return {seat["label"]: seat["status"] for seat in response.json()}


def run_in_threads(count: int, work: Callable[[int], object]) -> list[object]:
    """Run ``work(i)`` in ``count`` threads released together by a barrier.

    Each thread uses its own database connection and closes it when done. Returns
    each thread's result, or the exception it raised, in thread order.
    """
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def target(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except BaseException as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


def client_for(user) -> APIClient:
    """An API client authenticated as ``user``; one per thread in the races."""
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def codes_of(responses) -> list[int]:
    """Status codes, after checking no thread crashed and nothing answered 5xx."""
    crashed = [r for r in responses if isinstance(r, BaseException)]
    assert not crashed, crashed
    codes = [r.status_code for r in responses]
    assert all(code < 500 for code in codes), [r.content for r in responses]
    return codes

"""Prometheus metrics: the booking counters, request latency, active holds, and who
may read them.

Under gunicorn every worker is a process with its own counters. gunicorn.conf.py
sets ``PROMETHEUS_MULTIPROC_DIR`` in the master, before any worker imports
prometheus_client, so each worker writes its samples to files there and a scrape,
whichever worker answers it, sums them all (prometheus_client's multiprocess mode).
Without the variable (``make run``, the tests, a management command) the samples
live in this process and ``/metrics`` reads them directly.

Booking counters are incremented once the change commits (the audit hook in
``reservations.services.audit``), so rolled-back work is never counted. The
active-holds gauge is not kept by anyone: it is counted in the database at scrape
time, which is right whatever process made or ended a hold.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import DatabaseError
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)

MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
if MULTIPROC_DIR:
    # A management command pointed at the server's directory (so its counts join
    # the server's) must not fail because gunicorn has not created it yet.
    os.makedirs(MULTIPROC_DIR, exist_ok=True)

CONTENT_TYPE = CONTENT_TYPE_LATEST

#: Where this process's metrics are registered. Exposed as is without multiprocess
#: mode; in it, the samples come from the files instead (see ``scrape``).
LOCAL_REGISTRY = CollectorRegistry()

HOLDS_CREATED = Counter(
    "movie_api_holds_created", "Seat holds created.", registry=LOCAL_REGISTRY
)
SEAT_CONFLICTS = Counter(
    "movie_api_seat_conflicts",
    "Requests refused because a seat was taken (409 seats_unavailable).",
    registry=LOCAL_REGISTRY,
)
PURCHASES = Counter(
    "movie_api_purchases", "Holds purchased (confirmed).", registry=LOCAL_REGISTRY
)
PAYMENT_FAILURES = Counter(
    "movie_api_payment_failures",
    "Payments the gateway declined.",
    registry=LOCAL_REGISTRY,
)
REFUNDS = Counter(
    "movie_api_refunds",
    "Refunds above zero: cancelled purchases, seats given back, full refunds.",
    registry=LOCAL_REGISTRY,
)
HOLDS_LAPSED = Counter(
    "movie_api_holds_lapsed",
    "Holds released because they expired unpaid.",
    registry=LOCAL_REGISTRY,
)
CHECK_INS = Counter(
    "movie_api_check_ins", "Tickets checked in.", registry=LOCAL_REGISTRY
)
THROTTLED = Counter(
    "movie_api_throttled_requests",
    "Requests refused by a rate limit (429).",
    registry=LOCAL_REGISTRY,
)
REQUEST_DURATION = Histogram(
    "movie_api_request_duration_seconds",
    "Time to answer a request, by route name, method and status class.",
    ["route", "method", "status_class"],
    registry=LOCAL_REGISTRY,
)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(*, route: str, method: str, status: int, seconds: float) -> None:
    """Record one answered request (labels are bounded: route names, not paths)."""
    REQUEST_DURATION.labels(
        route, method if method in _METHODS else "other", f"{status // 100}xx"
    ).observe(seconds)
    if status == 429:
        THROTTLED.inc()


_REFUNDING = {"cancelled", "seats_cancelled", "refunded"}


def count_booking_event(action: str, details: dict) -> None:
    """Count one committed audit event (``ReservationEvent.action``)."""
    if action == "created":
        HOLDS_CREATED.inc()
    elif action == "purchased":
        PURCHASES.inc()
    elif action == "expired":
        HOLDS_LAPSED.inc()
    elif action == "checked_in":
        CHECK_INS.inc()
    elif action in _REFUNDING and _positive(details.get("refund_amount")):
        REFUNDS.inc()


def _positive(amount) -> bool:
    try:
        return Decimal(str(amount)) > 0
    except (InvalidOperation, ValueError):
        return False


class ActiveHoldsCollector(Collector):
    """The gauge of unexpired holds, counted in the database at each scrape."""

    NAME = "movie_api_active_holds"
    HELP = "Unexpired seat holds (counted in the database at scrape time)."

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(self.NAME, self.HELP)  # no query at registration

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from reservations.selectors import count_active_holds

        try:
            value = count_active_holds()
        except DatabaseError as exc:  # the rest of the scrape is still worth having
            logger.warning("Active holds not counted: %s", exc)
            return
        yield GaugeMetricFamily(self.NAME, self.HELP, value=value)


ACTIVE_HOLDS = ActiveHoldsCollector()
LOCAL_REGISTRY.register(ACTIVE_HOLDS)


def scrape() -> bytes:
    """The metrics in the Prometheus text format: every worker's, in multiprocess mode."""
    if not MULTIPROC_DIR:
        return generate_latest(LOCAL_REGISTRY)
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=MULTIPROC_DIR)
    registry.register(ACTIVE_HOLDS)
    return generate_latest(registry)


def may_scrape(request) -> bool:
    """True for the bearer of ``METRICS_TOKEN`` or a client in ``METRICS_ALLOW``.

    The client address is the throttles' (``REMOTE_ADDR``, or with ``NUM_PROXIES``
    set the address the outermost trusted proxy saw), so a client cannot claim an
    allowed address by sending X-Forwarded-For.
    """
    token = settings.METRICS_TOKEN
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        ):
            return True
    if settings.METRICS_ALLOW:
        try:
            address = ipaddress.ip_address(BaseThrottle().get_ident(request))
        except ValueError:
            return False
        return any(address in network for network in settings.METRICS_ALLOW)
    return False

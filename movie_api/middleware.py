"""Request ids (one per request, taken from the client or made up, echoed back), and
the per-request metrics and log line.

A client (or the proxy in front) may send ``X-Request-ID``; a sane token (at most
64 characters of letters, digits, ``.``, ``_`` and ``-``) is kept, anything else is
replaced by a fresh uuid4 hex, so a header cannot smuggle text into logs or audit
rows. The id is stored in a context variable for the duration of the request, where
the services read it (``current_request_id()``) to stamp audit rows, and is sent
back in the response's ``X-Request-ID``.
"""

from __future__ import annotations

import re
import time
import uuid
from contextvars import ContextVar

from django.conf import settings

HEADER = "X-Request-ID"
_SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")
_request_id: ContextVar[str] = ContextVar("request_id", default="")


def current_request_id() -> str:
    """The id of the request being served, or "" outside a request (cron, shell)."""
    return _request_id.get()


def clean_request_id(value: str | None) -> str:
    """The client's id if it is a sane token, else a new uuid4 hex."""
    if value and _SANE.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = clean_request_id(request.headers.get(HEADER))
        request.request_id = request_id
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response[HEADER] = request_id
        return response


def route_name(request) -> str:
    """The matched URL's name ("reservation-detail"), never the raw path, so metric
    labels and log fields stay few (and carry no ids or ticket codes)."""
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None else "unmatched"


def user_id(request) -> int | None:
    user = getattr(request, "user", None)  # DRF sets the JWT's user here too
    return user.pk if user is not None and user.is_authenticated else None


class RequestMetricsMiddleware:
    """Times each request into the latency histogram (and counts 429s); with
    ``LOG_FORMAT=json`` also writes one log line per request."""

    def __init__(self, get_response):
        # Here, not at the top: logs imports this module.
        from . import logs, metrics

        self.get_response = get_response
        self.observe = metrics.observe_request
        self.log = logs.request_logger

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        route = route_name(request)
        self.observe(
            route=route,
            method=request.method,
            status=response.status_code,
            seconds=seconds,
        )
        if settings.LOG_FORMAT == "json":
            self.log.info(
                "%s %s %s",
                request.method,
                route,
                response.status_code,
                extra={
                    "data": {
                        "request_id": current_request_id(),
                        "user_id": user_id(request),
                        "route": route,
                        "method": request.method,
                        "status": response.status_code,
                        "duration_ms": round(seconds * 1000, 3),
                    }
                },
            )
        return response

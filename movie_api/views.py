"""Project-level endpoints (health checks, /metrics, the admin's rate-limited
login) and the schema class the catalogue shares."""

import logging
import math

from django.conf import settings
from django.contrib import admin
from django.core.cache import caches
from django.db import OperationalError, connection
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import APIException
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import metrics
from .exceptions import error_body
from .schema import ApiSchema
from .throttling import AnonThrottle, LoginThrottle


class HealthView(APIView):
    """200 after a database round trip; 503 when the database cannot be reached."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(
        responses={
            200: inline_serializer("Health", {"status": serializers.CharField()})
        }
    )
    def get(self, request):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except OperationalError:
            return Response(
                error_body("service_unavailable", "The database is unreachable."),
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": "1"},
            )
        return Response({"status": "ok"})


class LivenessView(APIView):
    """The process is up and serving: no database, cache or other dependency.

    Not rate-limited (nor is readiness): a load balancer probes from one address
    every few seconds, and a probe must not be refused, nor depend on the cache
    that holds the counters.
    """

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(
        responses={
            200: inline_serializer("Liveness", {"status": serializers.CharField()})
        }
    )
    def get(self, request):
        return Response({"status": "ok"})


logger = logging.getLogger(__name__)

#: What readiness checks; every cache alias the app uses (the default one and the
#: rate-limit counters') must answer.
CACHE_CHECKS = {"cache": "default", "throttle_cache": "throttle"}


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _task_queue_probe():
    """A callable that touches the task queue, or None when there is no queue."""
    backend = settings.TASKS["default"]["BACKEND"]
    if backend == "django_tasks_db.DatabaseBackend":
        from django_tasks_db.models import DBTaskResult

        return lambda: DBTaskResult.objects.only("id").first()
    if backend == "django_tasks_rq.RQBackend":
        import redis

        url = settings.RQ_QUEUES["default"]["URL"]
        # fail fast, as the Redis cache does (REDIS_TIMEOUT_SECONDS' default)
        return lambda: redis.Redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=2
        ).ping()
    return None


def _check(name: str, probe) -> str:
    try:
        probe()
    except Exception as exc:  # any failure means "not ready"; say which, not why
        logger.warning("Readiness check %s failed: %r", name, exc)
        return f"error: {type(exc).__name__}"
    return "ok"


_READINESS = inline_serializer(
    "Readiness",
    {
        "status": serializers.ChoiceField(["ok", "unavailable"]),
        "checks": serializers.DictField(
            child=serializers.CharField(),
            help_text='Each dependency: "ok", "error: <type>" or "not configured".',
        ),
    },
)


class ReadinessView(APIView):
    """200 when the database, both caches and the task queue answer; 503 naming
    the one that did not. The task queue is the database queue's table or RQ's
    Redis; the immediate backend has none ("not configured"). The error is named
    by its type only (this endpoint is public); the log has the message."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(responses={200: _READINESS, 503: _READINESS})
    def get(self, request):
        checks = {"database": _check("database", _check_database)}
        for name, alias in CACHE_CHECKS.items():
            checks[name] = _check(name, lambda alias=alias: caches[alias].get("ready"))
        queue_probe = _task_queue_probe()
        checks["task_queue"] = (
            _check("task_queue", queue_probe) if queue_probe else "not configured"
        )
        ready = all(value in ("ok", "not configured") for value in checks.values())
        if not ready:
            return Response(
                {"status": "unavailable", "checks": checks},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": "1"},
            )
        return Response({"status": "ok", "checks": checks})


@never_cache
@require_safe
def metrics_view(request):
    """GET /metrics: the Prometheus text format, for the bearer of METRICS_TOKEN or
    a client in METRICS_ALLOW. Anyone else gets the 404 of a path that does not
    exist, so the endpoint is not advertised."""
    if not metrics.may_scrape(request):
        raise Http404
    return HttpResponse(metrics.scrape(), content_type=metrics.CONTENT_TYPE)


class CatalogueSchema(ApiSchema):
    """The catalogue viewsets name this; ApiSchema documents their anonymous reads."""


@never_cache
def admin_login(request):
    """The admin's login form (mounted over /admin/login/), under the API login's
    limits: per address (AnonThrottle) and per (username, address) (LoginThrottle,
    the same counters as POST /api/auth/token/, so the two doors share one budget).
    Only submitted forms count; showing the form does not."""
    if request.method == "POST":
        # The throttles read DRF's request: the form's fields as request.data, and
        # the user the session middleware found (DRF would otherwise set its own).
        form = Request(request, parsers=[FormParser(), MultiPartParser()])
        form.user = request.user
        for throttle in (AnonThrottle(), LoginThrottle()):
            try:
                allowed = throttle.allow_request(form, None)
            except APIException:
                break  # not a form (counted per address): the login form says so
            if not allowed:
                wait = max(math.ceil(throttle.wait() or 1), 1)
                return HttpResponse(
                    f"Too many login attempts. Try again in {wait} seconds.\n",
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                    content_type="text/plain; charset=utf-8",
                    headers={"Retry-After": str(wait)},
                )
    return admin.site.login(request)


class PlainRowListMixin:
    # ``list()`` from plain rows: the filtered, ordered, paginated queryset is read
    # with ``values(*row_fields)`` and shaped by ``to_rows`` into exactly what the
    # serializer would show (each app's test compares the two). Hot public lists use
    # it: model instances, their related objects and a serializer field per value
    # cost several times the query itself. (A comment, not a docstring: the schema
    # would show a docstring as every operation's description.)

    row_fields: tuple[str, ...] = ()

    def to_rows(self, values) -> list[dict]:
        raise NotImplementedError

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset()).values(*self.row_fields)
        page = self.paginate_queryset(queryset)
        if page is None:
            return Response(self.to_rows(queryset))
        return self.get_paginated_response(self.to_rows(page))

"""DomainError, the one JSON error envelope, and JSON 404/500 handlers for /api/.

Every error response looks like::

    {"error": {"code": "seats_unavailable", "message": "...", "fields": {}, "details": {}}}
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework_simplejwt.exceptions import DetailDictMixin

from . import metrics

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """A business rule said no. Services raise these; the handler turns them into HTTP."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code: str = "domain_error"
    message: str = "The request could not be completed."
    retry_after: int | None = None

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.message = message or self.message
        self.details = details
        super().__init__(self.message)


#: Codes a field's validator may give its error that say more than "invalid". When
#: every error of a 400 carries the same one of these, it is the envelope's code
#: (``fields`` still holds the messages); any other mix stays "invalid".
SPECIFIC_FIELD_CODES = frozenset({"invalid_timezone", "invalid_currency"})


def _codes(detail: Any) -> set[str]:
    if isinstance(detail, dict):
        return set().union(*map(_codes, detail.values()))
    if isinstance(detail, list):
        return set().union(*map(_codes, detail))
    return {str(getattr(detail, "code", "invalid"))}


def validation_code(detail: Any) -> str:
    """The envelope's code for a ValidationError's detail: see SPECIFIC_FIELD_CODES."""
    codes = _codes(detail)
    if len(codes) == 1 and codes <= SPECIFIC_FIELD_CODES:
        return codes.pop()
    return "invalid"


def error_body(code: str, message: str, *, fields=None, details=None) -> dict:
    return {
        "error": {
            "code": code,
            "message": message,
            "fields": fields or {},
            "details": details or {},
        }
    }


def _first_message(data: Any) -> str | None:
    if isinstance(data, dict):
        for value in data.values():
            found = _first_message(value)
            if found:
                return found
    elif isinstance(data, list):
        for value in data:
            found = _first_message(value)
            if found:
                return found
    elif data:
        return str(data)
    return None


def _path(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def detail_messages(detail: Any, path: str = "") -> list[str]:
    """Every message of a DRF error detail, flat, each nested one led by its path.

    ``{"standard": ["Bad."]}`` gives ``["standard: Bad."]``; the positions of a list
    are in brackets (``"[1].row: ..."`` for the second layout row). The API's
    ``fields`` hold one such list per input field, and the admin's forms show them.
    """
    if isinstance(detail, dict):
        return [
            message
            for key, value in detail.items()
            for message in detail_messages(value, _path(path, key))
        ]
    if isinstance(detail, list):
        # A list of messages shares its path; a list of nested errors (DRF's
        # older ListSerializer shape) is positional.
        return [
            message
            for index, item in enumerate(detail)
            for message in detail_messages(
                item, _path(path, index) if isinstance(item, dict | list) else path
            )
        ]
    return [f"{path}: {detail}" if path else str(detail)]


def field_messages(detail: Any) -> dict[str, list[str]]:
    """A ValidationError's detail as ``fields``: input name -> list of messages."""
    if not isinstance(detail, dict):
        detail = {"non_field_errors": detail}
    return {str(key): detail_messages(value) for key, value in detail.items()}


# PostgreSQL SQLSTATEs that mean "someone else holds what you need": retry later.
_CONTENTION_SQLSTATES = {"55P03", "40P01", "40001", "57014"}


def _is_contention(exc: OperationalError) -> bool:
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate in _CONTENTION_SQLSTATES:
        return True
    return "database is locked" in str(exc).lower()


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every known error becomes the one envelope."""
    if isinstance(exc, DomainError):
        if exc.code == "seats_unavailable":
            metrics.SEAT_CONFLICTS.inc()
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        return Response(
            error_body(exc.code, exc.message, details=exc.details),
            status=exc.status_code,
            headers=headers,
        )
    if isinstance(exc, RequestDataTooBig):
        # Django refuses to read a body over DATA_UPLOAD_MAX_MEMORY_SIZE; left to
        # Django it becomes a bare 400, and the client never learns why.
        return Response(
            error_body(
                "request_too_large",
                f"The request body is over {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.",
            ),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, ProtectedError | RestrictedError):
        return Response(
            error_body(
                "protected",
                "This object has active or sold reservations and cannot be deleted.",
            ),
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, IntegrityError):
        logger.warning("Integrity conflict mapped to 409: %s", exc)
        return Response(
            error_body("conflict", "The request conflicts with the current state."),
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, OperationalError):
        if _is_contention(exc):
            return Response(
                error_body("busy", "The resource is busy; please retry shortly."),
                status=status.HTTP_409_CONFLICT,
                headers={"Retry-After": "1"},
            )
        logger.error("Database unavailable: %s", exc)
        return Response(
            error_body(
                "service_unavailable", "The database is unavailable; retry shortly."
            ),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "1"},
        )

    # DRF turns Django's own Http404 / PermissionDenied into its exceptions inside
    # its handler; do it first so their codes (not_found, permission_denied) are kept.
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # unexpected: let it propagate to be logged and become a 500

    if isinstance(exc, exceptions.ValidationError):
        fields = field_messages(exc.detail)
        message = _first_message(fields) or "Invalid input."
        response.data = error_body(validation_code(exc.detail), message, fields=fields)
        return response

    detail = getattr(exc, "detail", None)
    code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    if isinstance(exc, DetailDictMixin) and isinstance(detail, dict):
        # simplejwt keeps its specific code (user_inactive, bad_authorization_header)
        # inside the detail dict, not on it.
        code = detail.get("code") or code
    if isinstance(exc, exceptions.NotFound):
        code = "not_found"
    message = _first_message(detail) or str(exc)
    response.data = error_body(str(code), message)
    return response


@csrf_exempt  # changes nothing; a POST to an unknown path is a JSON 404, not a CSRF page
def api_not_found(request, exception=None, *args, **kwargs) -> JsonResponse:
    message = f"No endpoint or object at {request.path}."
    # The catch-all for /api/ also catches a path missing its trailing slash, so
    # APPEND_SLASH never redirects it; name the right path instead.
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/", getattr(request, "urlconf", None))
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            message += f" Did you mean {request.path}/ (with a trailing slash)?"
    return JsonResponse(
        error_body("not_found", message), status=status.HTTP_404_NOT_FOUND
    )


def handler404(request, exception=None):
    if request.path.startswith("/api/"):
        return api_not_found(request)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler500(request):
    if request.path.startswith("/api/"):
        return JsonResponse(
            error_body("server_error", "Internal server error."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    from django.views.defaults import server_error

    return server_error(request)


def handler400(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse(
            error_body("bad_request", "Bad request."),
            status=status.HTTP_400_BAD_REQUEST,
        )
    from django.views.defaults import bad_request

    return bad_request(request, exception)

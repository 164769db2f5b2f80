"""The OpenAPI schema class: documents the error responses every operation can give.

drf-spectacular describes the success responses it can see in a view. The errors
come from cross-cutting code (authentication, permissions, throttles, the
paginator, the parsers and ``movie_api.exceptions.api_exception_handler``), so they
are derived here from what the view is built of, not annotated view by view:

=====  ============================================================================
304    reads, when ConditionalGetMiddleware is on (If-None-Match matches the ETag)
400    writes with a body; operations with query parameters (filters, pagination,
       including a page past the last)
401    operations with authentication classes (a bad token is refused even where
       anonymous callers are welcome); the token endpoints (bad credentials)
403    permission classes that can refuse an authenticated caller: model
       permissions for the methods they guard, a custom ``has_permission`` always,
       a custom ``has_object_permission`` for writes on one object
404    paths with parameters
409    writes (a booking rule, a protected row, a lock held by someone else)
413    writes with a body (over DATA_UPLOAD_MAX_MEMORY_SIZE)
422    operations taking an ``Idempotency-Key`` (the key reused for another request)
429    views with throttles
503    every operation (the database is unreachable)
=====  ============================================================================

plus the few statuses only a service knows about (``EXTRA_ERROR_STATUSES``). Each
error response is a shared component whose body is the one ``ErrorEnvelope``; the
304 has no body.

Security requirements are derived from the permission classes too: an operation
that the view's permissions grant to an anonymous caller has none (so Swagger UI
shows no padlock and a generated client needs no token; a token is still
accepted, and a bad one is the documented 401), every other operation requires
the JWT.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.test import RequestFactory
from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent, force_instance
from rest_framework import permissions, serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework_simplejwt.views import TokenViewBase

CONDITIONAL_GET = "django.middleware.http.ConditionalGetMiddleware"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
BODY_METHODS = {"POST", "PUT", "PATCH"}

# Permission classes that never refuse an authenticated caller (anonymous callers
# are the 401 rule's business).
_NEVER_FORBID = (
    permissions.AllowAny,
    permissions.IsAuthenticated,
    permissions.IsAuthenticatedOrReadOnly,
)

# Statuses raised by a service for one operation that no rule above can see, by
# operationId.
EXTRA_ERROR_STATUSES: dict[str, set[int]] = {
    "reservations_purchase_create": {402},  # PaymentDeclined
    "check_in_create": {404},  # TicketNotFound: the code is in the body
}

_RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer"},
        "description": "Seconds to wait before retrying.",
    }
}

NOT_MODIFIED = (
    "NotModified",
    "Unchanged since the ETag sent in If-None-Match; no body.",
    {"ETag": {"schema": {"type": "string"}}},
)

# status -> (component name, description, headers)
ERROR_RESPONSES: dict[int, tuple[str, str, dict]] = {
    400: (
        "BadRequest",
        "Invalid input: `invalid` with `fields` naming each bad field, or a rule "
        "about the input such as `unknown_seats` or `showtime_closed`.",
        {},
    ),
    401: (
        "Unauthorized",
        "Not authenticated: the token is missing, invalid or expired "
        "(`not_authenticated`, `token_not_valid`, `no_active_account`).",
        {},
    ),
    402: (
        "PaymentRequired",
        "The payment was declined (`payment_declined`); the seats stay held.",
        {},
    ),
    403: (
        "Forbidden",
        "Authenticated, but this role may not do this (`permission_denied`).",
        {},
    ),
    404: (
        "NotFound",
        "No such object, or not yours (`not_found`).",
        {},
    ),
    409: (
        "Conflict",
        "Conflicts with the current state: a booking rule (`seats_unavailable`, "
        "`reservation_not_held`...), a referenced row (`protected`) or a busy lock "
        "(`busy`, with Retry-After).",
        _RETRY_AFTER,
    ),
    413: (
        "PayloadTooLarge",
        "The request body is over the size limit (`request_too_large`).",
        {},
    ),
    422: (
        "UnprocessableEntity",
        "This Idempotency-Key was already used with a different request "
        "(`idempotency_key_reused`).",
        {},
    ),
    429: (
        "TooManyRequests",
        "Rate limited (`throttled`); Retry-After says when to try again.",
        _RETRY_AFTER,
    ),
    503: (
        "ServiceUnavailable",
        "The database is unreachable (`service_unavailable`); retry shortly.",
        _RETRY_AFTER,
    ),
}


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="Machine-readable snake_case code, e.g. `invalid`, `not_found`."
    )
    message = serializers.CharField(help_text="A human-readable sentence.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="For `invalid`: each bad input field (or query parameter) with a "
        "list of messages; a message about a nested part starts with its path, e.g. "
        '`{"prices": ["premium: ..."], "layout": ["[1].row: ..."]}`. Otherwise '
        "empty.",
    )
    details = serializers.DictField(
        help_text="Extra facts about the error, e.g. the unavailable seats."
    )


class ErrorEnvelopeSerializer(serializers.Serializer):
    """Every error response of the API: ``{"error": {code, message, fields, details}}``."""

    error = ErrorSerializer()


def _overrides(permission: BasePermission, name: str) -> bool:
    return getattr(type(permission), name) is not getattr(BasePermission, name)


class ApiSchema(openapi.AutoSchema):
    """AutoSchema plus the error responses each operation can really return."""

    def get_auth(self):
        # drf-spectacular guesses from a few permission classes it knows and, for
        # anonymous access, lists an empty requirement next to the JWT one. Tools
        # read any requirement as "needs a token" (openapi-python-client 0.29 asks
        # for an AuthenticatedClient, Swagger UI draws a padlock), so ask the
        # permissions themselves and state no requirement where anyone may call.
        auths = super().get_auth()  # also registers the security schemes
        if self._anonymous_allowed():
            return []
        return [requirement for requirement in auths if requirement]

    def _anonymous_allowed(self) -> bool:
        """Whether every permission of the view grants this method to a caller
        without credentials (object permissions only narrow down what they see)."""
        request = Request(RequestFactory().generic(self.method, self.path))
        return all(
            permission.has_permission(request, self.view)
            for permission in self.view.get_permissions()
        )

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(
            path, path_regex, path_prefix, method, registry
        )
        if operation is None:
            return None
        responses = operation["responses"]
        for status_code in sorted(self.error_statuses(operation)):
            responses.setdefault(str(status_code), self._error_response(status_code))
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def error_statuses(self, operation: dict[str, Any]) -> set[int]:
        method = self.method
        parameters = operation.get("parameters", [])
        has_path_params = any(p["in"] == "path" for p in parameters)
        statuses = {503}
        if method == "GET" and CONDITIONAL_GET in settings.MIDDLEWARE:
            statuses.add(304)
        if method in BODY_METHODS or any(p["in"] == "query" for p in parameters):
            statuses.add(400)
        if method in BODY_METHODS:
            statuses.add(413)
        if self.view.get_authenticators() or isinstance(self.view, TokenViewBase):
            statuses.add(401)
        if self._can_forbid(has_path_params):
            statuses.add(403)
        if has_path_params:
            statuses.add(404)
        if method in UNSAFE_METHODS:
            statuses.add(409)
        if any(
            p["in"] == "header" and p["name"].lower() == "idempotency-key"
            for p in parameters
        ):
            statuses.add(422)
        if self.view.get_throttles():
            statuses.add(429)
        statuses |= EXTRA_ERROR_STATUSES.get(operation["operationId"], set())
        return statuses

    def _can_forbid(self, has_path_params: bool) -> bool:
        for permission in self.view.get_permissions():
            if isinstance(permission, _NEVER_FORBID):
                continue
            if isinstance(permission, permissions.DjangoModelPermissions):
                if permission.perms_map.get(self.method):
                    return True
                continue
            if _overrides(permission, "has_permission"):
                return True
            if (
                _overrides(permission, "has_object_permission")
                and has_path_params
                and self.method in UNSAFE_METHODS
            ):
                # Reads of an object are scoped by the queryset (404), and the
                # object permissions of this API only guard changes.
                return True
        return False

    def _error_response(self, status_code: int) -> dict:
        if status_code == 304:
            name, description, headers = NOT_MODIFIED
        else:
            name, description, headers = ERROR_RESPONSES[status_code]
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.RESPONSE, object=name
        )
        if component not in self.registry:
            component.schema = {
                "description": description,
                **({"headers": headers} if headers else {}),
            }
            if status_code != 304:
                schema = self.resolve_serializer(
                    force_instance(ErrorEnvelopeSerializer), "response"
                ).ref
                component.schema["content"] = {"application/json": {"schema": schema}}
            self.registry.register(component)
        return component.ref

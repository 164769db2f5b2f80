"""API3 object property level: what a caller may not set is never applied, and
responses carry neither other users' data nor password hashes.

The protected fields of each write come from the schema: every property of the
response that the request body does not accept (ids, codes, status, prices,
totals, timestamps, capacity, ends_at, available_seats, refund_amount,
expires_at...), plus fields a caller might try on any model (``user``,
``is_staff``...). Each write is sent with a valid body (the permission matrix's)
carrying forged values for all of them.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import identify_hasher
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers

from accounts.models import User
from reservations.models import Reservation

from .routes import api_routes, shape
from .test_permission_matrix import PERMISSIONS, Row
from .world import build_world, client_as

pytestmark = pytest.mark.django_db

FORGED_INT = 987654321
FORGED_STR = "FORGED"
FORGED_DECIMAL = "0.01"
FORGED_TIME = "2001-02-03T04:05:06Z"
# Fields no request body of this API accepts, tried on every write.
PRIVILEGED = ("user", "user_id", "owner", "is_staff", "is_superuser", "groups")
# Server-decided fields: even if a serializer made one writable by mistake, the
# write tests below still forge it (the schema would no longer call it read-only).
SERVER_DECIDED = {
    "id",
    "user",
    "status",
    "code",
    "total_price",
    "refund_amount",
    "payment_reference",
    "expires_at",
    "created_at",
    "confirmed_at",
    "cancelled_at",
    "checked_in_at",
    "is_void",
    "tickets",
    "capacity",
    "available_seats",
    "ends_at",
    "is_staff",
    "is_superuser",
}
# Request fields that share a name with a server-decided one but mean an input
# (a hold's "tickets" are the seats' ticket types; its answer's are the issued ones).
# PatchedVoucherRequest etc. are drf-spectacular's names for the PATCH bodies.
INPUTS_NAMED_LIKE_OUTPUTS = {
    ("CheckInRequest", "code"),
    ("ReservationCreateRequest", "tickets"),
    ("ReservationUpdateRequest", "tickets"),
    ("PatchedReservationUpdateRequest", "tickets"),
    # a ticket type's and a voucher's code are chosen by the manager
    ("TicketTypeRequest", "code"),
    ("PatchedTicketTypeRequest", "code"),
    ("VoucherRequest", "code"),
    ("PatchedVoucherRequest", "code"),
}


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema: dict, node: dict) -> dict:
    while True:
        if "$ref" in node:
            node = schema["components"]["schemas"][node["$ref"].split("/")[-1]]
        elif "allOf" in node and len(node["allOf"]) == 1:
            node = node["allOf"][0]
        else:
            return node


def _forged(schema: dict, prop: dict):
    """A value of the property's type that the server would never produce."""
    node = _resolve(schema, prop)
    if "enum" in node:
        return node["enum"][-1]
    kind = node.get("type")
    if kind == "integer":
        return FORGED_INT
    if kind == "number":
        return 0.01
    if kind == "boolean":
        return True
    if kind == "array":
        return [_forged(schema, node.get("items", {}))]
    if kind == "object" or "properties" in node:
        return {name: _forged(schema, sub) for name, sub in node["properties"].items()}
    if node.get("format") == "date-time":
        return FORGED_TIME
    if node.get("format") == "decimal":
        return FORGED_DECIMAL
    return FORGED_STR


def _operation(schema: dict, method: str, path: str) -> dict:
    for schema_path, item in schema["paths"].items():
        if shape(schema_path) == shape(path):
            return item[method.lower()]
    raise AssertionError(f"{method} {path} is not in the schema")


def _json_schema(schema: dict, content: dict | None) -> dict:
    node = (content or {}).get("application/json", {}).get("schema")
    return _resolve(schema, node) if node else {}


def _request_name(operation: dict) -> str:
    content = operation.get("requestBody", {}).get("content") or {}
    ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
    return ref.split("/")[-1]


def _protected_fields(schema: dict, operation: dict) -> dict:
    request = _json_schema(schema, operation.get("requestBody", {}).get("content"))
    inputs = {
        field
        for name, field in INPUTS_NAMED_LIKE_OUTPUTS
        if name == _request_name(operation)
    }
    success = next(
        response
        for status_code, response in operation["responses"].items()
        if status_code.startswith("2")
    )
    response = _json_schema(schema, success.get("content"))
    writable = set(request.get("properties", {})) - (SERVER_DECIDED - inputs)
    return {
        name: prop
        for name, prop in response.get("properties", {}).items()
        if name not in writable
    }


def _acting_role(row: Row) -> str:
    """The least privileged role that may make this request."""
    for role in ("customer", "anonymous", "manager", "box_office", "staff"):
        if 200 <= row.expected(role) < 300:
            return role
    raise AssertionError("no role may make this request")


def _url(world, path: str, row: Row) -> str:
    if not row.obj:
        return path
    target = getattr(world, row.obj)
    return re.sub(r"\{(\w+)\}", lambda m: str(getattr(target, m.group(1))), path)


# The Stripe webhook takes no JWT and has no role that may call it: its signature
# admits it (tests/payments/test_stripe.py), so it has no fields to forge here.
SIGNED_CALLBACKS = {("POST", "/api/payments/stripe/webhook/")}
WRITES = sorted(
    route.key
    for route in api_routes()
    if route.method in {"POST", "PUT", "PATCH"} and route.key not in SIGNED_CALLBACKS
)


@pytest.mark.parametrize("key", WRITES, ids=lambda k: f"{k[0]} {k[1]}")
def test_read_only_and_privileged_fields_are_never_applied(schema, key):
    method, path = key
    row = PERMISSIONS[key]
    world = build_world()
    role = _acting_role(row)
    user = world.user(role)
    protected = _protected_fields(schema, _operation(schema, method, path))
    forged = {name: _forged(schema, prop) for name, prop in protected.items()}
    forged.update(dict.fromkeys(PRIVILEGED, world.other.pk))
    forged["groups"] = [1, 2]
    body = {**forged, **(row.body(world, user) if row.body else {})}
    before = {u.pk: (u.is_staff, u.is_superuser) for u in User.objects.all()}

    response = client_as(user).generic(
        method,
        _url(world, path, row),
        data=json.dumps(body),
        content_type="application/json",
    )

    assert response.status_code == row.expected(role), response.content
    data = response.json() if response.content else {}
    applied = {
        name: value
        for name, value in forged.items()
        if name in protected and data.get(name) == value
    }
    assert not applied, f"forged read-only fields were applied: {applied}"
    assert {u.pk: (u.is_staff, u.is_superuser) for u in User.objects.all()} == {
        **before,
        **{
            u.pk: (False, False)
            for u in User.objects.exclude(pk__in=before)  # e.g. just registered
        },
    }
    assert not User.objects.exclude(pk__in=before).filter(groups__isnull=False)
    # Reservations stay their owner's, whatever "user" said.
    assert not Reservation.objects.filter(user=world.other).exclude(
        pk__in=[world.other_held.pk, world.other_confirmed.pk]
    )


def test_no_request_body_accepts_a_server_decided_field(schema):
    accepted = {
        (name, field)
        for name, component in schema["components"]["schemas"].items()
        if name.endswith("Request")
        for field in component.get("properties", {})
        if field in SERVER_DECIDED
    }
    assert accepted <= INPUTS_NAMED_LIKE_OUTPUTS


def test_a_new_hold_gets_server_values_for_everything_but_showtime_and_seats():
    world = build_world()
    response = client_as(world.customer).post(
        "/api/reservations/",
        {
            "showtime": world.showtime.pk,
            "seats": ["B1", "C1"],
            "user": world.other.pk,
            "status": "confirmed",
            "total_price": "0.01",
            "expires_at": "2100-01-01T00:00:00Z",
            "code": "FORGED12",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    reservation = Reservation.objects.get(pk=response.json()["id"])
    assert reservation.user == world.customer
    assert reservation.status == "held"
    assert str(reservation.total_price) == "25.50"  # standard 10.00 + premium 15.50
    assert reservation.code != "FORGED12"
    assert reservation.expires_at < reservation.created_at + timedelta(hours=1)


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_changing_seats_cannot_extend_the_hold_or_set_the_price(method):
    world = build_world()
    held = world.held
    response = client_as(world.customer).generic(
        method,
        f"/api/reservations/{held.pk}/",
        data=json.dumps(
            {
                "seats": ["A3", "A4"],
                "expires_at": "2100-01-01T00:00:00Z",
                "total_price": "0.01",
                "status": "confirmed",
            }
        ),
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    fresh = Reservation.objects.get(pk=held.pk)
    assert fresh.expires_at == held.expires_at
    assert str(fresh.total_price) == "20.00"
    assert fresh.status == "held"


def test_registering_cannot_make_staff():
    response = client_as(None).post(
        "/api/auth/register/",
        {
            "username": "mallory",
            "email": "mallory@example.com",
            "password": "Sup3r-secret-pass",
            "is_staff": True,
            "is_superuser": True,
            "groups": [1, 2],
            "user_permissions": [1],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert set(response.json()) == {"id", "username", "email"}
    mallory = User.objects.get(username="mallory")
    assert not mallory.is_staff
    assert not mallory.is_superuser
    assert not mallory.groups.exists()
    assert not mallory.user_permissions.exists()
    assert mallory.roles() == ["customer"]


# --- what responses reveal ---------------------------------------------------------


def _secrets_of_others(world) -> list[str]:
    """Strings that must never reach the customer: the other customer's identity,
    booking and ticket codes, and every password hash."""
    return [
        world.other.username,
        world.other.email,
        world.other_held.code,
        world.other_confirmed.code,
        world.other_ticket.code,
        *User.objects.values_list("password", flat=True),
    ]


def _keys(data):
    if isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from _keys(value)
    elif isinstance(data, list):
        for value in data:
            yield from _keys(value)


@pytest.mark.parametrize("role", ["anonymous", "customer"])
@pytest.mark.parametrize(
    "key", sorted(route.key for route in api_routes()), ids=lambda k: f"{k[0]} {k[1]}"
)
def test_responses_reveal_no_other_users_data_or_password_hashes(key, role):
    method, path = key
    row = PERMISSIONS[key]
    world = build_world()
    user = world.user(role)
    body = row.body(world, user) if row.body else None

    response = client_as(user).generic(
        method,
        _url(world, path, row),
        data=json.dumps(body) if body is not None else "",
        content_type="application/json",
        QUERY_STRING="&".join(f"{k}={v}" for k, v in row.query.items()),
    )

    text = response.content.decode()
    leaked = [secret for secret in _secrets_of_others(world) if secret in text]
    assert not leaked, f"{role} {method} {path} revealed {leaked}"
    if response.get("Content-Type", "").startswith("application/json") and text:
        keys = set(_keys(response.json()))
        assert not keys & {"password", "password_hash"}, keys


def test_password_hashes_look_like_hashes():
    """Guards the check above: it looks for the stored hashes themselves."""
    world = build_world()
    assert identify_hasher(world.other.password)


# --- serializers list their fields -------------------------------------------------


def _serializers_in_use() -> set[type]:
    """Every serializer the API's views use, found as the schema generator found
    them (request, response and nested components), plus each view's own."""
    generator = SchemaGenerator()
    generator.get_schema(request=None, public=True)
    found: set[type] = set()
    for component in generator.registry._components.values():
        target = component.object
        target = target if isinstance(target, type) else type(target)
        if issubclass(target, serializers.BaseSerializer):
            found.add(target)
    for route in api_routes():
        declared = getattr(route.view, "serializer_class", None)
        if declared is not None:
            found.add(declared)
    pending = list(found)
    while pending:  # nested serializers, which the schema may inline
        for field in getattr(pending.pop(), "_declared_fields", {}).values():
            nested = getattr(field, "child", field)
            if (
                isinstance(nested, serializers.BaseSerializer)
                and type(nested) not in found
            ):
                found.add(type(nested))
                pending.append(type(nested))
    return {cls for cls in found if cls is not serializers.ListSerializer}


def test_model_serializers_list_their_fields_explicitly():
    used = _serializers_in_use()
    model_serializers = {
        cls for cls in used if issubclass(cls, serializers.ModelSerializer)
    }
    assert len(model_serializers) >= 8  # the walk found the API's serializers
    offenders = {
        cls.__qualname__: getattr(cls.Meta, "fields", None)
        for cls in model_serializers
        if not isinstance(getattr(cls.Meta, "fields", None), list | tuple)
        or hasattr(cls.Meta, "exclude")
    }
    assert not offenders, f"use an explicit Meta.fields list in: {offenders}"

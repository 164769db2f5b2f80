"""API9 inventory: the OpenAPI schema is complete, valid, committed and current."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django_filters import ModelChoiceFilter

from theaters.filters import IdFilter

from .routes import api_routes, shape
from .test_permission_matrix import PERMISSIONS
from .world import build_world, client_as

SCHEMA_FILE = Path(settings.BASE_DIR) / "openapi.yaml"
ERROR_STATUSES = {"400", "401", "402", "403", "404", "409", "413", "422", "429", "503"}
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> str:
    """The schema the code gives now, written exactly as `make schema` writes it."""
    target = tmp_path_factory.mktemp("schema") / "openapi.yaml"
    call_command("spectacular", "--file", str(target))
    return target.read_text()


@pytest.fixture(scope="module")
def schema(generated) -> dict:
    return yaml.safe_load(generated)


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method.upper(), operation


def test_committed_schema_matches_the_code(generated):
    assert SCHEMA_FILE.exists(), "openapi.yaml is missing: run `make schema`"
    assert SCHEMA_FILE.read_text() == generated, (
        "openapi.yaml is out of date with the code: run `make schema` and commit it"
    )


def test_schema_generation_is_valid_and_warning_free(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--file",
            str(tmp_path / "openapi.yaml"),
        ],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_every_api_route_is_in_the_schema(schema):
    documented = {(method, shape(path)) for path, method, _ in operations(schema)}
    missing = sorted(
        f"{route.method} {route.path}"
        for route in api_routes()
        if (route.method, shape(route.path)) not in documented
    )
    assert not missing, f"routes missing from the schema: {missing}"


def test_the_schema_documents_only_real_routes(schema):
    routed = {(route.method, shape(route.path)) for route in api_routes()}
    extra = sorted(
        f"{method} {path}"
        for path, method, _ in operations(schema)
        if (method, shape(path)) not in routed
    )
    assert not extra, f"schema operations with no route: {extra}"


def test_error_envelope_is_a_named_component(schema):
    envelope = schema["components"]["schemas"]["ErrorEnvelope"]
    assert envelope["required"] == ["error"]
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"code", "message", "fields", "details"}
    assert set(error["required"]) == {"code", "message", "fields", "details"}
    for name, response in schema["components"]["responses"].items():
        if name == "NotModified":
            assert "content" not in response
            continue
        assert response["content"] == {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/ErrorEnvelope"}
            }
        }


def _expected_errors(path: str, method: str, operation: dict) -> set[str]:
    parameters = operation.get("parameters", [])
    expected = {"503"}
    if method == "GET":
        expected.add("304")  # ConditionalGetMiddleware
    if method in {"POST", "PUT", "PATCH"} or any(
        p["in"] == "query" for p in parameters
    ):
        expected.add("400")
    if method in {"POST", "PUT", "PATCH"}:
        expected.add("413")
    if operation.get("security"):
        expected.add("401")
    if "{" in path:
        expected.add("404")
    if method in {"POST", "PUT", "PATCH", "DELETE"}:
        expected.add("409")
    return expected


# Readiness answers its 503 with its own body ({"status": "unavailable", "checks"})
# naming the failed dependency, which is what a probe or an operator reads.
OWN_ERROR_BODIES = {("GET", "/api/health/ready/", "503")}


def test_every_operation_documents_its_error_responses(schema):
    undocumented = {}
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        missing = _expected_errors(path, method, operation) - set(responses)
        if missing:
            undocumented[f"{method} {path}"] = sorted(missing)
        for status_code in set(responses) & ERROR_STATUSES:
            if (method, path, status_code) in OWN_ERROR_BODIES:
                continue
            ref = responses[status_code].get("$ref", "")
            assert ref.startswith("#/components/responses/"), (method, path)
    assert not undocumented, f"error responses missing: {undocumented}"


def test_every_throttled_or_model_guarded_operation_says_so(schema):
    ops = {(method, path): op for path, method, op in operations(schema)}
    # Catalogue writes are guarded by model permissions; their reads are not.
    assert "403" in ops["POST", "/api/movies/"]["responses"]
    assert "403" not in ops["GET", "/api/movies/"]["responses"]
    # Only the owner or staff change a reservation; box office may only look.
    assert "403" in ops["PATCH", "/api/reservations/{id}/"]["responses"]
    assert "403" not in ops["GET", "/api/reservations/{id}/"]["responses"]
    assert "403" in ops["POST", "/api/check-in/"]["responses"]
    # Retry-safe endpoints refuse a reused Idempotency-Key; a purchase can be declined.
    assert "422" in ops["POST", "/api/reservations/"]["responses"]
    assert "402" in ops["POST", "/api/reservations/{id}/purchase/"]["responses"]
    # Every view is throttled (the anonymous and user rates apply everywhere),
    # except the liveness and readiness probes and Stripe's webhook (Stripe sends
    # every customer's events from a few addresses; its signature is the gate).
    probes = {
        ("GET", "/api/health/live/"),
        ("GET", "/api/health/ready/"),
        ("POST", "/api/payments/stripe/webhook/"),
    }
    assert all("429" in op["responses"] for key, op in ops.items() if key not in probes)
    assert not any("429" in ops[key]["responses"] for key in probes)
    # Anyone may read the catalogue, and bad credentials at login are a 401.
    assert "security" not in ops["GET", "/api/movies/"]
    assert "401" in ops["POST", "/api/auth/token/"]["responses"]


# --- who may call: each operation's security against what callers really get ------


# The permission matrix's rows, by (method, path shape): how to call each route.
_ROWS = {(m, shape(p)): (p, row) for (m, p), row in PERMISSIONS.items()}


def _request(method: str, path: str, world, *, token: str | None = None):
    """The operation called as the permission matrix calls it, without a JWT."""
    url, row = _ROWS[method, shape(path)]
    if row.obj:
        target = getattr(world, row.obj)
        url = re.sub(r"\{(\w+)\}", lambda m: str(getattr(target, m.group(1))), url)
    body = row.body(world, None) if row.body else None
    client = client_as(None)
    if token is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.generic(
        method,
        url,
        data=json.dumps(body) if body is not None else "",
        content_type="application/json",
        QUERY_STRING="&".join(f"{k}={v}" for k, v in row.query.items()),
    )


@pytest.mark.django_db
def test_security_requirement_matches_what_an_anonymous_caller_gets(schema):
    """No requirement exactly where an anonymous request is let in.

    An optional-auth list such as ``[{}, {"jwtAuth": []}]`` is not enough: Swagger UI
    draws a padlock on it and openapi-python-client makes the operation demand an
    AuthenticatedClient (``requires_security = bool(security)``).
    """
    world = build_world()
    wrong = []
    for path, method, operation in operations(schema):
        status_code = _request(method, path, world).status_code
        security = operation.get("security")
        expected = [{"jwtAuth": []}] if status_code in (401, 403) else None
        if security != expected:
            wrong.append(f"{method} {path}: anonymous {status_code}, {security}")
    assert not wrong, wrong


@pytest.mark.django_db
def test_a_bad_token_on_an_open_operation_is_a_documented_401(schema):
    """Open operations still authenticate a token that is sent: a bad one is 401."""
    world = build_world()
    undocumented = []
    for path, method, operation in operations(schema):
        if "security" in operation:
            continue
        response = _request(method, path, world, token="not-a-jwt")
        if response.status_code == 401 and "401" not in operation["responses"]:
            undocumented.append(f"{method} {path}")
    assert not undocumented
    assert "401" in schema["paths"]["/api/showtimes/{id}/seats/"]["get"]["responses"]


def test_id_filters_are_integers(schema):
    """Ids are whole numbers: typed ``number``, generated clients sent ``3.0``."""
    checked = []
    for route in api_routes():
        filterset = getattr(route.view, "filterset_class", None)
        if route.method != "GET" or filterset is None or "{" in route.path:
            continue
        parameters = {
            p["name"]: p["schema"]
            for p in schema["paths"][route.path]["get"]["parameters"]
        }
        for name, field in filterset.base_filters.items():
            if isinstance(field, IdFilter | ModelChoiceFilter):
                assert parameters[name]["type"] == "integer", (route.path, name)
                checked.append(f"{route.path}?{name}")
    assert len(checked) >= 5, checked  # movie, screen, theater (x2), showtime


def test_no_query_parameter_is_a_fraction(schema):
    fractions = [
        f"{method} {path}?{p['name']}"
        for path, method, operation in operations(schema)
        for p in operation.get("parameters", [])
        if p["in"] == "query" and p["schema"].get("type") == "number"
    ]
    assert not fractions

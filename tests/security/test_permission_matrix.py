"""API5 function-level authorization: every route x method x role against one table.

The routes come from the URL resolver, so an endpoint added without a row in
``PERMISSIONS`` fails here until someone decides who may call it. Each request is
a real one (a JWT, a valid body) on a fresh seeded world, and the expected status
is exact: 2xx where the role is allowed, 401 for anonymous callers, 403 for a role
that may not, 404 where the object is not the caller's to see.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import DEFAULT_PRICES

from .routes import api_routes
from .world import PASSWORD, ROLES, build_world, client_as

pytestmark = pytest.mark.django_db

Body = Callable[..., dict]  # (world, acting user or None) -> JSON body


@dataclass(frozen=True)
class Row:
    """Expected status per role, in ROLES order, and how to build the request."""

    anonymous: int
    customer: int
    manager: int
    box_office: int
    staff: int
    obj: str | None = None  # the World attribute whose pk/code fills the path
    body: Body | None = None
    query: dict = field(default_factory=dict)

    def expected(self, role: str) -> int:
        return getattr(self, role)


def _movie(w, user):
    return {
        "title": "Metropolis",
        "director": "Fritz Lang",
        "genre": "scifi",
        "language": "German",
        "rating": "PG",
        "release_date": "1927-01-10",
        "duration_minutes": 153,
    }


def _theater(w, user):
    return {"name": "Odeon", "location": "2 High Street", "city": "Springfield"}


def _screen(w, user):
    return {
        "theater": w.theater.pk,
        "name": "Screen Z",
        "layout": [{"row": "A", "seats": 5}],
    }


def _showtime(w, user):
    return {
        "movie": w.movie.pk,
        "screen": w.spare_screen.pk,
        "starts_at": (w.spare_showtime.starts_at + timedelta(days=2)).isoformat(),
        "prices": DEFAULT_PRICES,
    }


def _showtime_put(w, user):
    return {**_showtime(w, user), "screen": w.screen.pk}


def _ticket_type(w, user):
    return {"code": "family", "name": "Family", "min_age": 0, "max_age": 17}


def _price_card(w, user):
    return {
        "name": "Weekend",
        "theater": w.theater.pk,
        "prices": {"standard": {"adult": "12.00", "child": "8.00"}},
        "rules": [{"weekdays": [5, 6]}],
        "priority": 1,
    }


def _voucher(w, user):
    return {"code": "SPRING", "kind": "amount", "value": "2.00", "max_uses": 10}


def _refresh_of(user):
    return str(RefreshToken.for_user(user))


def _login(w, user):
    return {"username": w.customer.username, "password": PASSWORD}


def _register(w, user):
    return {
        "username": "newcomer",
        "email": "newcomer@example.com",
        "password": "Sup3r-secret-pass",
    }


def _hold(w, user):
    return {"showtime": w.showtime.pk, "seats": ["B1"]}


def _reseat(w, user):
    return {"seats": ["A3"]}


# --- THE permission table ---------------------------------------------------------
# Keys are (method, path) with Django's parameter names, as the resolver has them.
# A new endpoint needs a row here before this module passes.
# fmt: off
PERMISSIONS: dict[tuple[str, str], Row] = {
    #                                                   anon cust mgr  box  staff
    ("POST",   "/api/auth/register/"):              Row(201, 201, 201, 201, 201, body=_register),
    ("POST",   "/api/auth/token/"):                 Row(200, 200, 200, 200, 200, body=_login),
    ("POST",   "/api/auth/token/refresh/"):         Row(200, 200, 200, 200, 200, body=lambda w, u: {"refresh": _refresh_of(w.customer)}),
    ("POST",   "/api/auth/logout/"):                Row(401, 205, 205, 205, 205, body=lambda w, u: {"refresh": _refresh_of(u or w.customer)}),
    ("GET",    "/api/auth/me/"):                    Row(401, 200, 200, 200, 200),
    ("GET",    "/api/health/"):                     Row(200, 200, 200, 200, 200),
    ("GET",    "/api/health/live/"):                Row(200, 200, 200, 200, 200),
    ("GET",    "/api/health/ready/"):               Row(200, 200, 200, 200, 200),
    # catalogue: anyone reads, catalogue managers (and staff, who hold the role) write
    ("GET",    "/api/movies/"):                     Row(200, 200, 200, 200, 200),
    ("POST",   "/api/movies/"):                     Row(401, 403, 201, 403, 201, body=_movie),
    ("GET",    "/api/movies/{pk}/"):                Row(200, 200, 200, 200, 200, obj="spare_movie"),
    ("PUT",    "/api/movies/{pk}/"):                Row(401, 403, 200, 403, 200, obj="spare_movie", body=_movie),
    ("PATCH",  "/api/movies/{pk}/"):                Row(401, 403, 200, 403, 200, obj="spare_movie", body=lambda w, u: {"title": "Nosferatu"}),
    ("DELETE", "/api/movies/{pk}/"):                Row(401, 403, 204, 403, 204, obj="spare_movie"),
    ("GET",    "/api/theaters/"):                   Row(200, 200, 200, 200, 200),
    ("POST",   "/api/theaters/"):                   Row(401, 403, 201, 403, 201, body=_theater),
    ("GET",    "/api/theaters/{pk}/"):              Row(200, 200, 200, 200, 200, obj="spare_theater"),
    ("PUT",    "/api/theaters/{pk}/"):              Row(401, 403, 200, 403, 200, obj="spare_theater", body=_theater),
    ("PATCH",  "/api/theaters/{pk}/"):              Row(401, 403, 200, 403, 200, obj="spare_theater", body=lambda w, u: {"city": "Shelbyville"}),
    ("DELETE", "/api/theaters/{pk}/"):              Row(401, 403, 204, 403, 204, obj="spare_theater"),
    ("GET",    "/api/screens/"):                    Row(200, 200, 200, 200, 200),
    ("POST",   "/api/screens/"):                    Row(401, 403, 201, 403, 201, body=_screen),
    ("GET",    "/api/screens/{pk}/"):               Row(200, 200, 200, 200, 200, obj="spare_screen"),
    ("PUT",    "/api/screens/{pk}/"):               Row(401, 403, 200, 403, 200, obj="spare_screen", body=_screen),
    ("PATCH",  "/api/screens/{pk}/"):               Row(401, 403, 200, 403, 200, obj="spare_screen", body=lambda w, u: {"name": "Renamed"}),
    ("DELETE", "/api/screens/{pk}/"):               Row(401, 403, 204, 403, 204, obj="spare_screen"),
    ("GET",    "/api/showtimes/"):                  Row(200, 200, 200, 200, 200),
    ("POST",   "/api/showtimes/"):                  Row(401, 403, 201, 403, 201, body=_showtime),
    ("GET",    "/api/showtimes/{pk}/"):             Row(200, 200, 200, 200, 200, obj="spare_showtime"),
    ("PUT",    "/api/showtimes/{pk}/"):             Row(401, 403, 200, 403, 200, obj="spare_showtime", body=_showtime_put),
    ("PATCH",  "/api/showtimes/{pk}/"):             Row(401, 403, 200, 403, 200, obj="spare_showtime", body=lambda w, u: {"prices": {"standard": "9.00", "premium": "12.00"}}),
    ("DELETE", "/api/showtimes/{pk}/"):             Row(401, 403, 204, 403, 204, obj="spare_showtime"),
    ("GET",    "/api/showtimes/{pk}/seats/"):       Row(200, 200, 200, 200, 200, obj="showtime"),
    ("GET",    "/api/showtimes/{pk}/best-seats/"):  Row(200, 200, 200, 200, 200, obj="showtime", query={"count": 2}),
    # seat blocks: catalogue managers, box office and staff
    ("GET",    "/api/showtimes/{pk}/blocks/"):      Row(401, 403, 200, 200, 200, obj="showtime"),
    ("POST",   "/api/showtimes/{pk}/blocks/"):      Row(401, 403, 201, 201, 201, obj="showtime", body=lambda w, u: {"seats": ["B8"], "reason": "house"}),
    ("DELETE", "/api/showtimes/{pk}/blocks/{block_id}/"): Row(401, 403, 204, 204, 204, obj="showtime_block"),
    ("GET",    "/api/screens/{pk}/seat-blocks/"):   Row(401, 403, 200, 200, 200, obj="spare_screen"),
    ("POST",   "/api/screens/{pk}/seat-blocks/"):   Row(401, 403, 201, 201, 201, obj="spare_screen", body=lambda w, u: {"seats": ["C7"], "reason": "broken", "until": None}),
    ("DELETE", "/api/screens/{pk}/seat-blocks/{block_id}/"): Row(401, 403, 204, 204, 204, obj="screen_block"),
    # pricing: anyone reads ticket types; pricing policy is for managers and staff only
    ("GET",    "/api/ticket-types/"):               Row(200, 200, 200, 200, 200),
    ("POST",   "/api/ticket-types/"):               Row(401, 403, 201, 403, 201, body=_ticket_type),
    ("GET",    "/api/ticket-types/{pk}/"):          Row(200, 200, 200, 200, 200, obj="ticket_type"),
    ("PUT",    "/api/ticket-types/{pk}/"):          Row(401, 403, 200, 403, 200, obj="ticket_type", body=_ticket_type),
    ("PATCH",  "/api/ticket-types/{pk}/"):          Row(401, 403, 200, 403, 200, obj="ticket_type", body=lambda w, u: {"name": "Renamed"}),
    ("DELETE", "/api/ticket-types/{pk}/"):          Row(401, 403, 204, 403, 204, obj="ticket_type"),
    ("GET",    "/api/price-cards/"):                Row(401, 403, 200, 403, 200),
    ("POST",   "/api/price-cards/"):                Row(401, 403, 201, 403, 201, body=_price_card),
    ("GET",    "/api/price-cards/{pk}/"):           Row(401, 403, 200, 403, 200, obj="price_card"),
    ("PUT",    "/api/price-cards/{pk}/"):           Row(401, 403, 200, 403, 200, obj="price_card", body=_price_card),
    ("PATCH",  "/api/price-cards/{pk}/"):           Row(401, 403, 200, 403, 200, obj="price_card", body=lambda w, u: {"priority": 5}),
    ("DELETE", "/api/price-cards/{pk}/"):           Row(401, 403, 204, 403, 204, obj="price_card"),
    ("GET",    "/api/vouchers/"):                   Row(401, 403, 200, 403, 200),
    ("POST",   "/api/vouchers/"):                   Row(401, 403, 201, 403, 201, body=_voucher),
    ("GET",    "/api/vouchers/{pk}/"):              Row(401, 403, 200, 403, 200, obj="voucher"),
    ("PUT",    "/api/vouchers/{pk}/"):              Row(401, 403, 200, 403, 200, obj="voucher", body=_voucher),
    ("PATCH",  "/api/vouchers/{pk}/"):              Row(401, 403, 200, 403, 200, obj="voucher", body=lambda w, u: {"max_uses": 3}),
    ("DELETE", "/api/vouchers/{pk}/"):              Row(401, 403, 204, 403, 204, obj="voucher"),
    # bookings: a customer's own; box office sees all but changes none; staff do all
    ("GET",    "/api/reservations/"):               Row(401, 200, 200, 200, 200),
    ("POST",   "/api/reservations/"):               Row(401, 201, 201, 201, 201, body=_hold),
    ("GET",    "/api/reservations/{pk}/"):          Row(401, 200, 404, 200, 200, obj="held"),
    ("PUT",    "/api/reservations/{pk}/"):          Row(401, 200, 404, 403, 200, obj="held", body=_reseat),
    ("PATCH",  "/api/reservations/{pk}/"):          Row(401, 200, 404, 403, 200, obj="held", body=_reseat),
    ("DELETE", "/api/reservations/{pk}/"):          Row(401, 204, 404, 403, 204, obj="held"),
    ("POST",   "/api/reservations/{pk}/purchase/"): Row(401, 200, 404, 403, 200, obj="held", body=lambda w, u: {}),
    ("POST",   "/api/reservations/{pk}/comp/"):     Row(401, 403, 403, 200, 200, obj="held", body=lambda w, u: {"reason": "goodwill"}),
    ("GET",    "/api/reservations/{pk}/history/"):  Row(401, 200, 404, 200, 200, obj="held"),
    ("POST",   "/api/reservations/{pk}/swap-seats/"): Row(401, 200, 404, 403, 200, obj="confirmed", body=lambda w, u: {"from": ["A2"], "to": ["A4"]}),
    ("POST",   "/api/reservations/{pk}/cancel-seats/"): Row(401, 200, 404, 403, 200, obj="confirmed", body=lambda w, u: {"seats": ["A2"]}),
    ("POST",   "/api/reservations/{pk}/refund/"):   Row(401, 403, 403, 200, 200, obj="confirmed", body=lambda w, u: {"reason": "goodwill"}),
    ("GET",    "/api/tickets/{code}/qr.svg"):       Row(401, 200, 404, 200, 200, obj="ticket"),
    ("POST",   "/api/check-in/"):                   Row(401, 403, 403, 200, 200, body=lambda w, u: {"code": w.ticket.code}),
    # reports: catalogue managers and staff
    ("GET",    "/api/reports/sales/"):              Row(401, 403, 200, 403, 200, query={"from": "2030-01-01", "to": "2030-01-31"}),
}
# fmt: on

ROUTES = {route.key: route for route in api_routes()}


def _url(path: str, world, row: Row) -> str:
    if "{" not in path:
        return path
    assert row.obj, f"{path} has a parameter: give its row an obj"
    target = getattr(world, row.obj)
    return re.sub(r"\{(\w+)\}", lambda m: str(getattr(target, m.group(1))), path)


def test_every_route_has_a_row():
    missing = sorted(f"{m} {p}" for m, p in ROUTES.keys() - PERMISSIONS.keys())
    assert not missing, f"add these routes to PERMISSIONS: {missing}"


def test_every_row_is_a_route():
    stale = sorted(f"{m} {p}" for m, p in PERMISSIONS.keys() - ROUTES.keys())
    assert not stale, f"PERMISSIONS rows for routes that no longer exist: {stale}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("key", sorted(ROUTES), ids=lambda k: f"{k[0]} {k[1]}")
def test_role_gets_the_status_the_table_says(key, role):
    row = PERMISSIONS.get(key)
    if row is None:
        pytest.fail(f"{key} has no row in PERMISSIONS: decide who may call it")
    world = build_world()
    user = world.user(role)
    method, path = key
    body = row.body(world, user) if row.body else None
    url = _url(path, world, row)

    response = client_as(user).generic(
        method,
        url,
        data=json.dumps(body) if body is not None else "",
        content_type="application/json",
        QUERY_STRING="&".join(f"{k}={v}" for k, v in row.query.items()),
    )

    assert response.status_code == row.expected(role), (
        f"{role} {method} {url}: {response.status_code} {response.content[:300]!r}"
    )
    if response.status_code >= 400:
        error = response.json()["error"]
        expected_code = {401: "not_authenticated", 403: "permission_denied"}
        if response.status_code in expected_code:
            assert error["code"] == expected_code[response.status_code]

"""API1 object-level authorization: someone else's booking is a 404, never a 2xx.

Every route with a path parameter that is not the public catalogue is treated as a
per-user object endpoint (taken from the URL resolver, so a new one such as a
reservation's history is covered the day it is routed): its owner gets a 2xx,
another customer a 404 that changes nothing, an anonymous caller a 401.
"""

from __future__ import annotations

import json
import re

import pytest

from reservations.models import Reservation, ReservationStatus

from .routes import api_routes
from .world import build_world, client_as

pytestmark = pytest.mark.django_db

# Object endpoints anyone may read (the catalogue and the live seat map); their
# write rules are the permission matrix's business.
PUBLIC_OBJECT_PATHS = {
    "/api/movies/{pk}/",
    "/api/theaters/{pk}/",
    "/api/screens/{pk}/",
    "/api/showtimes/{pk}/",
    "/api/showtimes/{pk}/seats/",
    "/api/showtimes/{pk}/best-seats/",
    "/api/ticket-types/{pk}/",
}

# Object endpoints no customer may call at all, whoever owns what (pricing policy,
# a box-office action): refused with 403 before any lookup, so they reveal no one's
# objects; the permission matrix holds their rules.
ROLE_ONLY_PATHS = {
    "/api/price-cards/{pk}/",
    "/api/vouchers/{pk}/",
    "/api/reservations/{pk}/comp/",
    "/api/reservations/{pk}/refund/",
    "/api/showtimes/{pk}/blocks/",
    "/api/showtimes/{pk}/blocks/{block_id}/",
    "/api/screens/{pk}/seat-blocks/",
    "/api/screens/{pk}/seat-blocks/{block_id}/",
}

# Which of the owner's objects fills the path, by its first segment after /api/.
OBJECT_FOR = {"reservations": "held", "tickets": "ticket"}
# Paths that need another of the owner's objects than their segment's.
OBJECT_FOR_PATH = {
    "/api/reservations/{pk}/swap-seats/": "confirmed",
    "/api/reservations/{pk}/cancel-seats/": "confirmed",
}

# The body an owner's request needs to succeed; anything else sends {}.
BODIES = {
    ("PUT", "/api/reservations/{pk}/"): {"seats": ["A3"]},
    ("PATCH", "/api/reservations/{pk}/"): {"seats": ["A3", "A4"]},
    ("POST", "/api/reservations/{pk}/swap-seats/"): {"from": ["A2"], "to": ["A4"]},
    ("POST", "/api/reservations/{pk}/cancel-seats/"): {"seats": ["A2"]},
}

OWNED_ROUTES = sorted(
    route.key
    for route in api_routes()
    if "{" in route.path
    and route.path not in PUBLIC_OBJECT_PATHS
    and route.path not in ROLE_ONLY_PATHS
)


def _request(world, user, key):
    method, path = key
    segment = path.split("/")[2]
    assert segment in OBJECT_FOR, f"say which object {path} addresses in OBJECT_FOR"
    target = getattr(world, OBJECT_FOR_PATH.get(path, OBJECT_FOR[segment]))
    url = re.sub(r"\{(\w+)\}", lambda m: str(getattr(target, m.group(1))), path)
    return client_as(user).generic(
        method,
        url,
        data=json.dumps(BODIES.get(key, {})),
        content_type="application/json",
    )


def _snapshot(world) -> list:
    reservations = Reservation.objects.filter(user=world.customer).order_by("pk")
    return [
        (
            r.pk,
            r.status,
            r.total_price,
            r.expires_at,
            sorted(r.reserved_seats.filter(is_active=True).values_list("seat_id")),
            sorted(r.tickets.values_list("code", "is_void", "checked_in_at")),
        )
        for r in reservations
    ]


def test_object_endpoints_are_found():
    paths = {path for _, path in OWNED_ROUTES}
    assert {
        "/api/reservations/{pk}/",
        "/api/reservations/{pk}/purchase/",
        "/api/tickets/{code}/qr.svg",
    } <= paths


@pytest.mark.parametrize("key", OWNED_ROUTES, ids=lambda k: f"{k[0]} {k[1]}")
def test_owner_gets_a_success(key):
    world = build_world()
    response = _request(world, world.customer, key)
    assert 200 <= response.status_code < 300, response.content


@pytest.mark.parametrize("key", OWNED_ROUTES, ids=lambda k: f"{k[0]} {k[1]}")
def test_other_customer_gets_404_and_changes_nothing(key):
    world = build_world()
    before = _snapshot(world)

    response = _request(world, world.other, key)

    assert response.status_code == 404, response.content
    assert response.json()["error"]["code"] == "not_found"
    assert _snapshot(world) == before


@pytest.mark.parametrize("key", OWNED_ROUTES, ids=lambda k: f"{k[0]} {k[1]}")
def test_anonymous_gets_401_and_changes_nothing(key):
    world = build_world()
    before = _snapshot(world)

    response = _request(world, None, key)

    assert response.status_code == 401, response.content
    assert response.json()["error"]["code"] == "not_authenticated"
    assert _snapshot(world) == before


# --- lists are scoped ----------------------------------------------------------------


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["results"]}


@pytest.mark.parametrize("who", ["customer", "other"])
def test_reservation_list_holds_only_the_callers_own(who):
    world = build_world()
    user = getattr(world, who)
    own = set(Reservation.objects.filter(user=user).values_list("pk", flat=True))

    response = client_as(user).get("/api/reservations/")

    assert _ids(response) == own
    assert response.json()["count"] == len(own)


def test_reservation_list_filters_cannot_reach_others():
    world = build_world()
    client = client_as(world.other)
    showtime = world.showtime.pk

    for query in (
        {"showtime": showtime},
        {"status": ReservationStatus.HELD},
        {"status": ReservationStatus.CONFIRMED},
        {"user": world.customer.pk},
        {"user_id": world.customer.pk},
        {"page_size": 100},
    ):
        ids = _ids(client.get("/api/reservations/", query))
        assert not ids & {world.held.pk, world.confirmed.pk}, query


def test_tickets_in_the_list_are_the_callers_own():
    world = build_world()
    response = client_as(world.other).get("/api/reservations/")

    codes = {
        ticket["code"]
        for item in response.json()["results"]
        for ticket in item["tickets"]
    }

    assert codes == {world.other_ticket.code}


def test_qr_code_of_someone_elses_ticket_is_404_for_each_ticket():
    world = build_world()
    client = client_as(world.other)

    mine = client.get(f"/api/tickets/{world.other_ticket.code}/qr.svg")
    theirs = client.get(f"/api/tickets/{world.ticket.code}/qr.svg")

    assert mine.status_code == 200
    assert theirs.status_code == 404
    assert world.ticket.code.encode() not in theirs.content


def test_box_office_sees_every_reservation_but_no_customer_does():
    world = build_world()
    everyone = set(Reservation.objects.values_list("pk", flat=True))

    assert _ids(client_as(world.box_office).get("/api/reservations/")) == everyone
    assert _ids(client_as(world.manager).get("/api/reservations/")) == set()

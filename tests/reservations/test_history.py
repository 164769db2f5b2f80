"""GET /api/reservations/{id}/history/: who may read it, what it says, and that it is
read-only."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import status

from reservations import services
from reservations.models import ReservationEvent
from tests.factories import ReservationFactory

pytestmark = pytest.mark.django_db

URL = "/api/reservations/"


def history_url(reservation) -> str:
    return f"{URL}{reservation.pk}/history/"


def iso(value) -> str:
    return value.isoformat().replace("+00:00", "Z")


def error_code(response) -> str:
    return response.json()["error"]["code"]


@pytest.fixture
def held(user, showtime):
    return ReservationFactory(user=user, showtime=showtime, seats=["A1", "A2"])


# --- reading ---------------------------------------------------------------------


def test_owner_reads_the_history_oldest_first(auth_client, user, showtime, clock):
    response = auth_client.post(
        URL, {"showtime": showtime.pk, "seats": ["A1"]}, HTTP_X_REQUEST_ID="rq-1"
    )
    reservation_id = response.json()["id"]
    created_at = clock.now
    clock.advance(seconds=5)
    auth_client.patch(f"{URL}{reservation_id}/", {"seats": ["C1"]})
    clock.advance(seconds=5)
    auth_client.delete(f"{URL}{reservation_id}/", HTTP_X_REQUEST_ID="rq-3")

    response = auth_client.get(f"{URL}{reservation_id}/history/")

    assert response.status_code == status.HTTP_200_OK
    body = response.json()
    events = list(ReservationEvent.objects.order_by("id"))
    patch_request_id = events[1].request_id
    assert re.fullmatch(r"[0-9a-f]{32}", patch_request_id)  # generated
    assert body == {
        "count": 3,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": events[0].pk,
                "action": "created",
                "at": iso(created_at),
                "from_status": None,
                "to_status": "held",
                "by": "owner",
                "actor": user.username,
                "details": {
                    "showtime": showtime.pk,
                    "seats": ["A1"],
                    "total_price": "10.00",
                    "expires_at": iso(created_at + timedelta(seconds=600)),
                },
                "request_id": "rq-1",
            },
            {
                "id": events[1].pk,
                "action": "seats_changed",
                "at": iso(created_at + timedelta(seconds=5)),
                "from_status": "held",
                "to_status": "held",
                "by": "owner",
                "actor": user.username,
                "details": {
                    "seats_before": ["A1"],
                    "seats_after": ["C1"],
                    "total_before": "10.00",
                    "total_after": "15.50",
                },
                "request_id": patch_request_id,
            },
            {
                "id": events[2].pk,
                "action": "cancelled",
                "at": iso(created_at + timedelta(seconds=10)),
                "from_status": "held",
                "to_status": "cancelled",
                "by": "owner",
                "actor": user.username,
                "details": {"seats": ["C1"], "refund_amount": "0.00"},
                "request_id": "rq-3",
            },
        ],
    }


def test_purchase_through_the_api_is_recorded(auth_client, held, gateway):
    auth_client.post(f"{URL}{held.pk}/purchase/", {}, HTTP_X_REQUEST_ID="pay-1")

    results = auth_client.get(history_url(held)).json()["results"]

    assert [(e["action"], e["request_id"]) for e in results][-1] == (
        "purchased",
        "pay-1",
    )


def test_customer_sees_that_staff_acted_but_not_who(
    auth_client, staff_client, staff, held
):
    staff_client.delete(f"{URL}{held.pk}/")

    mine = auth_client.get(history_url(held)).json()["results"][-1]
    theirs = staff_client.get(history_url(held)).json()["results"][-1]

    assert (mine["action"], mine["by"], mine["actor"]) == ("cancelled", "staff", None)
    assert (theirs["by"], theirs["actor"]) == ("staff", staff.username)


def test_expiry_reads_as_the_system(auth_client, held, clock, other_user):
    clock.advance(seconds=601)
    services.expire_holds()

    last = auth_client.get(history_url(held)).json()["results"][-1]

    assert (last["action"], last["by"], last["actor"]) == ("expired", "system", None)
    assert last["details"]["trigger"] == "sweep"


@pytest.mark.parametrize("who", ["box_office_client", "staff_client"])
def test_box_office_and_staff_read_any_history(request, who, held, user):
    response = request.getfixturevalue(who).get(history_url(held))

    assert response.status_code == status.HTTP_200_OK
    first = response.json()["results"][0]
    assert (first["action"], first["by"], first["actor"]) == (
        "created",
        "owner",
        user.username,
    )


@pytest.mark.parametrize("who", ["other_client", "manager_client"])
def test_someone_elses_history_is_404(request, who, held):
    response = request.getfixturevalue(who).get(history_url(held))

    assert response.status_code == status.HTTP_404_NOT_FOUND
    assert error_code(response) == "not_found"


def test_anonymous_is_401(api_client, held):
    response = api_client.get(history_url(held))

    assert response.status_code == status.HTTP_401_UNAUTHORIZED
    assert error_code(response) == "not_authenticated"


def test_unknown_reservation_is_404(auth_client):
    response = auth_client.get(f"{URL}424242/history/")

    assert response.status_code == status.HTTP_404_NOT_FOUND


def test_list_filters_do_not_hide_the_reservation(auth_client, held):
    """?status= filters the list, not the history lookup."""
    response = auth_client.get(history_url(held), {"status": "cancelled"})

    assert response.status_code == status.HTTP_200_OK
    assert response.json()["count"] == 1


def test_history_is_paginated(auth_client, held):
    for labels in (["A3"], ["A4"], ["A5"]):
        services.change_seats(reservation=held, labels=labels)

    page = auth_client.get(history_url(held), {"page_size": 2}).json()

    assert page["count"] == 4
    assert [e["action"] for e in page["results"]] == ["created", "seats_changed"]
    assert page["next"] is not None


def test_history_query_count_is_constant(auth_client, held, django_assert_num_queries):
    auth_client.get(history_url(held))  # warm the user's permission cache
    with CaptureQueriesContext(connection) as one_event:
        assert auth_client.get(history_url(held)).json()["count"] == 1
    for labels in (["A3"], ["A4"], ["A5"], ["A6"]):
        services.change_seats(reservation=held, labels=labels)

    with django_assert_num_queries(len(one_event)):
        assert auth_client.get(history_url(held)).json()["count"] == 5


# --- read-only ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("who", ["auth_client", "staff_client"])
def test_history_cannot_be_written(request, who, method, held):
    before = list(ReservationEvent.objects.values())

    response = getattr(request.getfixturevalue(who), method)(
        history_url(held), {"action": "cancelled"}
    )

    assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED
    assert error_code(response) == "method_not_allowed"
    assert list(ReservationEvent.objects.values()) == before


def test_anonymous_write_is_401_before_405(api_client, held):
    assert api_client.delete(history_url(held)).status_code == 401


def test_no_api_route_reaches_an_event_by_id(staff_client, held):
    event = ReservationEvent.objects.get()

    for path in (
        f"{history_url(held)}{event.pk}/",
        f"/api/reservation-events/{event.pk}/",
    ):
        assert staff_client.delete(path).status_code == status.HTTP_404_NOT_FOUND
    assert ReservationEvent.objects.filter(pk=event.pk).exists()

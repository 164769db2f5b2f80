"""/api/webhooks/: staff only, the secret once, bad input and SSRF refused with 400."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import status

from events.models import Event
from webhooks import services
from webhooks.models import Delivery, DeliveryAttempt, Endpoint

pytestmark = pytest.mark.django_db

LIST = "/api/webhooks/"
PUBLIC = "http://93.184.216.34/hooks"  # a public address literal: no DNS needed
VALID = {"url": PUBLIC, "events": ["reservation.confirmed"], "description": "CRM"}


def detail(endpoint) -> str:
    return f"{LIST}{endpoint.pk}/"


@pytest.fixture
def public_endpoint(db):
    return services.create_endpoint(url=PUBLIC, events=["reservation.held"])


@pytest.mark.parametrize(
    ("client_name", "expected"),
    [
        ("api_client", status.HTTP_401_UNAUTHORIZED),
        ("auth_client", status.HTTP_403_FORBIDDEN),
        ("manager_client", status.HTTP_403_FORBIDDEN),
        ("box_office_client", status.HTTP_403_FORBIDDEN),
    ],
)
def test_only_staff_may_use_any_webhook_route(
    request, client_name, expected, public_endpoint
):
    client = request.getfixturevalue(client_name)
    answers = [
        client.get(LIST),
        client.post(LIST, VALID, format="json"),
        client.get(detail(public_endpoint)),
        client.patch(detail(public_endpoint), {"active": False}, format="json"),
        client.delete(detail(public_endpoint)),
        client.get(detail(public_endpoint) + "deliveries/"),
    ]
    assert {answer.status_code for answer in answers} == {expected}
    assert Endpoint.objects.get().active


def test_staff_create_sees_the_secret_once(staff_client):
    created = staff_client.post(LIST, VALID, format="json")

    assert created.status_code == status.HTTP_201_CREATED
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["secret"] == Endpoint.objects.get().secret
    assert {k: body[k] for k in ("url", "events", "active", "description")} == {
        **VALID,
        "active": True,
    }
    assert body["disabled_reason"] == ""
    assert body["failing_since"] is None
    shown = staff_client.get(f"{LIST}{body['id']}/").json()
    assert "secret" not in shown
    assert "secret" not in staff_client.get(LIST).json()["results"][0]
    patched = staff_client.patch(
        f"{LIST}{body['id']}/", {"description": "x"}, format="json"
    )
    assert "secret" not in patched.json()


def test_staff_update_and_delete(staff_client, public_endpoint):
    answer = staff_client.patch(
        detail(public_endpoint),
        {"events": ["ticket.checked_in"], "active": False},
        format="json",
    )
    assert answer.status_code == status.HTTP_200_OK
    public_endpoint.refresh_from_db()
    assert public_endpoint.events == ["ticket.checked_in"]
    assert not public_endpoint.active

    assert staff_client.delete(detail(public_endpoint)).status_code == 204
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"events": ["reservation.exploded"]}, "events"),
        ({"events": []}, "events"),
        ({"events": ["reservation.held", "reservation.held"]}, "events"),
        ({"events": "reservation.held"}, "events"),
        ({"url": "ftp://93.184.216.34/"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "http://user:pw@93.184.216.34/"}, "url"),
        ({"url": "http://no-such-host.invalid/"}, "url"),
        ({"description": "x" * 201}, "description"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(staff_client, change, field):
    answer = staff_client.post(LIST, {**VALID, **change}, format="json")

    assert answer.status_code == status.HTTP_400_BAD_REQUEST
    assert field in answer.json()["error"]["fields"]
    assert not Endpoint.objects.exists()


REFUSED = [
    "http://127.0.0.1/hooks",
    "http://127.0.0.2:8080/",
    "http://localhost/hooks",  # a name: refused after resolving it
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://192.168.1.10/",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://100.64.0.1/",  # shared address space
    "http://0.0.0.0/",
    "http://[::1]/",
    "http://[fd00:ec2::254]/",  # AWS metadata over IPv6 (unique-local)
    "http://[fe80::1]/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped loopback
]


@pytest.mark.parametrize("url", REFUSED)
def test_private_destinations_are_refused_on_create(staff_client, url):
    answer = staff_client.post(LIST, {**VALID, "url": url}, format="json")

    assert answer.status_code == status.HTTP_400_BAD_REQUEST
    message = answer.json()["error"]["fields"]["url"][0]
    assert "public addresses" in message
    assert not Endpoint.objects.exists()


def test_a_private_destination_is_refused_on_update_too(staff_client, public_endpoint):
    answer = staff_client.patch(
        detail(public_endpoint), {"url": "http://169.254.169.254/"}, format="json"
    )
    assert answer.status_code == status.HTTP_400_BAD_REQUEST
    public_endpoint.refresh_from_db()
    assert public_endpoint.url == PUBLIC


def test_allow_private_accepts_a_local_receiver(staff_client, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    answer = staff_client.post(
        LIST, {**VALID, "url": "http://127.0.0.1:18399/"}, format="json"
    )
    assert answer.status_code == status.HTTP_201_CREATED


def test_turning_an_endpoint_back_on_clears_why_it_was_off(
    staff_client, public_endpoint
):
    Endpoint.objects.filter(pk=public_endpoint.pk).update(
        active=False,
        disabled_reason="failing for a day",
        failing_since="2026-01-01T00:00Z",
    )
    off = staff_client.get(detail(public_endpoint)).json()
    assert off["disabled_reason"] == "failing for a day"

    on = staff_client.patch(
        detail(public_endpoint), {"active": True}, format="json"
    ).json()

    assert on["active"] is True
    assert on["disabled_reason"] == ""
    assert on["failing_since"] is None


def _attempts(endpoint, count):
    for n in range(count):
        event = Event.objects.create(type="reservation.held", data={"n": n})
        delivery = Delivery.objects.create(endpoint=endpoint, event=event, attempts=1)
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=1,
            at=event.created,
            status_code=500,
            duration_ms=12,
            error="HTTP 500",
        )


def test_deliveries_list_attempts_newest_first_in_constant_queries(
    staff_client, public_endpoint, django_assert_num_queries
):
    _attempts(public_endpoint, 1)
    url = detail(public_endpoint) + "deliveries/"
    with CaptureQueriesContext(connection) as one:
        assert staff_client.get(url).status_code == 200
    _attempts(public_endpoint, 5)
    other = services.create_endpoint(url=PUBLIC, events=["reservation.held"])
    _attempts(other, 2)

    with django_assert_num_queries(len(one)):
        answer = staff_client.get(url)

    rows = answer.json()["results"]
    assert answer.json()["count"] == 6
    first = rows[0]
    assert set(first) == {
        "id",
        "event_id",
        "event_type",
        "attempt",
        "at",
        "status_code",
        "duration_ms",
        "error",
        "next_retry_at",
        "delivery_status",
    }
    assert first["event_type"] == "reservation.held"
    assert first["status_code"] == 500
    assert first["error"] == "HTTP 500"
    assert [row["at"] for row in rows] == sorted(
        (row["at"] for row in rows), reverse=True
    )


def test_deliveries_of_an_unknown_endpoint_is_404(staff_client):
    assert staff_client.get(f"{LIST}999/deliveries/").status_code == 404

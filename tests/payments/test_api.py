"""Payments and refunds as rows with the test provider; GET .../payments/; admin."""

import importlib
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework import status

from payments.models import Payment, Refund
from reservations import services
from reservations.models import Reservation, ReservationStatus
from tests.factories import ShowtimeFactory, UserFactory
from tests.reservations.helpers import (
    GATEWAY_PATH,
    RecordingGateway,
    client_for,
    run_in_threads,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateway(settings):
    RecordingGateway.reset()
    settings.PAYMENT_GATEWAY = GATEWAY_PATH
    yield RecordingGateway
    RecordingGateway.reset()


def bought(user, labels=("A1",), showtime=None):
    reservation = services.create_reservation(
        user=user, showtime=showtime or ShowtimeFactory(), labels=list(labels)
    )
    return services.purchase_reservation(reservation=reservation)


def test_purchase_with_the_test_provider_records_a_succeeded_payment(user, gateway):
    reservation = bought(user, ["A1", "A2"])

    payment = Payment.objects.get()
    assert (payment.provider, payment.provider_id, payment.status) == (
        "test",
        gateway.charges[0].reference,
        "succeeded",
    )
    assert (payment.amount, payment.currency) == (Decimal("20.00"), "USD")
    assert reservation.payment_reference == payment.provider_id


def test_cancel_refunds_through_the_payment_provider_and_stores_the_refund(
    user, gateway, django_capture_on_commit_callbacks
):
    reservation = bought(user)

    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_reservation(reservation=reservation, actor=user)

    refund = Refund.objects.get()
    assert (refund.amount, refund.status, refund.reason) == (
        Decimal("10.00"),
        "succeeded",
        "cancelled",
    )
    assert refund.provider_id.startswith("test_re_")
    assert gateway.refunds == [(reservation.payment_reference, Decimal("10.00"))]


@pytest.mark.parametrize("how", ["cancel", "cancel_seats", "refund_in_full"])
def test_a_refund_is_recorded_with_the_cancel_that_decides_it(
    user, gateway, staff, how, django_capture_on_commit_callbacks
):
    """The Refund row commits with the cancel; only the provider call waits for
    the commit. A process that dies right after the commit (its on-commit
    callbacks never run) leaves a pending refund, which reconciliation sends once."""
    reservation = bought(user, ["A1", "A2"])
    with django_capture_on_commit_callbacks(execute=False):  # the "crash"
        if how == "cancel":
            services.cancel_reservation(reservation=reservation, actor=user)
        elif how == "cancel_seats":
            services.cancel_seats(reservation=reservation, labels=["A2"], actor=user)
        else:
            services.refund_in_full(reservation=reservation, actor=staff, reason="x")
    owed = Reservation.objects.get(pk=reservation.pk).refund_amount

    (refund,) = Refund.objects.all()
    assert (refund.amount, refund.status) == (owed, "pending")
    assert gateway.refunds == []

    call_command("reconcile_payments", stdout=StringIO())
    call_command("reconcile_payments", stdout=StringIO())

    refund.refresh_from_db()
    assert refund.status == "succeeded"
    assert gateway.refunds == [(reservation.payment_reference, owed)]


def test_refund_payment_never_refunds_more_than_was_paid(
    user, gateway, django_capture_on_commit_callbacks
):
    reservation = bought(user, ["A1", "A2"])

    with django_capture_on_commit_callbacks(execute=True):
        first = services.refund_payment(reservation, Decimal("15.00"), reason="part")
        second = services.refund_payment(reservation, Decimal("15.00"), reason="rest")
        third = services.refund_payment(reservation, Decimal("1.00"), reason="more")

    assert (first, second, third) == (
        Decimal("15.00"),
        Decimal("5.00"),
        Decimal("0.00"),
    )
    assert [r.amount for r in Refund.objects.all()] == [
        Decimal("15.00"),
        Decimal("5.00"),
    ]
    assert len({r.idempotency_key for r in Refund.objects.all()}) == 2
    assert sum(amount for _, amount in gateway.refunds) == Decimal("20.00")


def test_refund_payment_of_an_unpaid_reservation_refunds_nothing(user, gateway):
    reservation = services.create_reservation(
        user=user, showtime=ShowtimeFactory(), labels=["A1"]
    )
    assert services.refund_payment(reservation, Decimal("10.00"), reason="x") == 0
    assert gateway.refunds == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_refunds_of_one_payment_never_exceed_it(gateway):
    """Four full refunds of one payment at once: one refunds, the rest get 0."""
    reservation = bought(UserFactory())

    def work(index):
        return services.refund_payment(
            Reservation.objects.get(pk=reservation.pk), Decimal("10.00"), reason="x"
        )

    results = run_in_threads(4, work)

    assert sorted(results) == [0, 0, 0, Decimal("10.00")], results
    assert Refund.objects.count() == 1
    assert gateway.refunds == [(reservation.payment_reference, Decimal("10.00"))]


# --- GET /api/reservations/{id}/payments/ ---------------------------------------


def test_payments_list_shows_payments_with_refunds(
    user, auth_client, gateway, django_capture_on_commit_callbacks
):
    reservation = bought(user)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_reservation(reservation=reservation, actor=user)
    payment, refund = Payment.objects.get(), Refund.objects.get()

    response = auth_client.get(f"/api/reservations/{reservation.pk}/payments/")

    assert response.status_code == status.HTTP_200_OK
    assert response.json() == [
        {
            "id": payment.pk,
            "provider": "test",
            "provider_id": payment.provider_id,
            "amount": "10.00",
            "currency": "USD",
            "status": "succeeded",
            "failure_code": "",
            "created_at": response.json()[0]["created_at"],
            "refunds": [
                {
                    "id": refund.pk,
                    "amount": "10.00",
                    "provider_id": refund.provider_id,
                    "status": "succeeded",
                    "reason": "cancelled",
                    "created_at": response.json()[0]["refunds"][0]["created_at"],
                }
            ],
        }
    ]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", status.HTTP_401_UNAUTHORIZED),
        ("owner", status.HTTP_200_OK),
        ("other_customer", status.HTTP_404_NOT_FOUND),
        ("manager", status.HTTP_404_NOT_FOUND),
        ("box_office", status.HTTP_200_OK),
        ("staff", status.HTTP_200_OK),
    ],
)
def test_payments_list_is_for_owner_box_office_and_staff(
    who, expected, user, api_client, gateway
):
    reservation = bought(user)
    clients = {
        "anonymous": lambda: api_client,
        "owner": lambda: client_for(user),
        "other_customer": lambda: client_for(UserFactory()),
        "manager": lambda: client_for(UserFactory(roles=["manager"])),
        "box_office": lambda: client_for(UserFactory(roles=["box_office"])),
        "staff": lambda: client_for(
            UserFactory(is_staff=True, roles=["manager", "box_office"])
        ),
    }

    response = clients[who]().get(f"/api/reservations/{reservation.pk}/payments/")

    assert response.status_code == expected
    if expected == status.HTTP_200_OK:
        assert len(response.json()) == 1


def test_payments_list_is_read_only(user, auth_client, gateway):
    reservation = bought(user)
    response = auth_client.post(f"/api/reservations/{reservation.pk}/payments/")
    assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED


def test_payments_list_query_count_does_not_grow(
    user, auth_client, gateway, django_assert_num_queries
):
    reservation = bought(user)
    url = f"/api/reservations/{reservation.pk}/payments/"
    auth_client.get(url)  # warm: first-request lookups are not the list's
    with CaptureQueriesContext(connection) as one:
        auth_client.get(url)
    payment = Payment.objects.get()
    for n in range(4):
        twin = Payment.objects.create(
            reservation=reservation,
            provider="test",
            provider_id=f"twin_{n}",
            amount=payment.amount,
            currency="USD",
            status="succeeded",
        )
        Refund.objects.create(
            payment=twin, amount=Decimal("1.00"), idempotency_key=f"k{n}"
        )
    with django_assert_num_queries(len(one.captured_queries)):
        response = auth_client.get(url)
    assert len(response.json()) == 5


# --- admin and the migration ---------------------------------------------------


def test_admin_shows_payments_and_refunds_read_only(user, gateway):
    bought(user)
    Refund.objects.create(
        payment=Payment.objects.get(), amount=Decimal("1.00"), idempotency_key="k"
    )
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    payment, refund = Payment.objects.get(), Refund.objects.get()

    for url in (
        "/admin/payments/payment/",
        f"/admin/payments/payment/{payment.pk}/change/",
        "/admin/payments/refund/",
        f"/admin/payments/refund/{refund.pk}/change/",
        "/admin/payments/webhookevent/",
    ):
        response = client.get(url)
        assert response.status_code == status.HTTP_200_OK, url
        assert b'name="_save"' not in response.content, url
    assert client.get("/admin/payments/payment/add/").status_code == 403


def test_migration_carries_existing_purchases_forward(user, gateway):
    kept = bought(user)
    cancelled = bought(user)
    Reservation.objects.filter(pk=cancelled.pk).update(
        status=ReservationStatus.CANCELLED, refund_amount=Decimal("10.00")
    )
    Payment.objects.all().delete()  # as before the payments app existed
    migration = importlib.import_module(
        "payments.migrations.0002_carry_existing_purchases"
    )

    migration.forward(apps, None)
    migration.forward(apps, None)  # running it twice adds nothing

    assert sorted(Payment.objects.values_list("provider_id", "status")) == sorted(
        [
            (kept.payment_reference, "succeeded"),
            (cancelled.payment_reference, "succeeded"),
        ]
    )
    refund = Refund.objects.get()
    assert (refund.payment.reservation_id, refund.amount) == (
        cancelled.pk,
        Decimal("10.00"),
    )
    # the carried-forward payment refunds like a new one
    assert services.refund_payment(kept, Decimal("10.00"), reason="x") == Decimal(
        "10.00"
    )

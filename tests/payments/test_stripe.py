"""Selling through Stripe: the real SDK against the local server (stripe_server.py)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework import status

from events.periodic import periodic_jobs
from payments.models import Payment, PaymentStatus, Refund, RefundStatus, WebhookEvent
from reservations import services, tasks
from reservations.models import Reservation, ReservationAction, ReservationStatus
from tests.factories import ShowtimeFactory

from .stripe_server import sign

pytestmark = pytest.mark.django_db
WEBHOOK = "/api/payments/stripe/webhook/"


def hold(user, labels=("A1",), showtime=None):
    return services.create_reservation(
        user=user, showtime=showtime or ShowtimeFactory(), labels=list(labels)
    )


def post_event(client, server, type_, obj, signature=None):
    body = server.event(type_, obj)
    return client.post(
        WEBHOOK,
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(body) if signature is None else signature,
    )


def purchase(client, reservation, **body):
    return client.post(
        f"/api/reservations/{reservation.pk}/purchase/", body, format="json"
    )


def test_purchase_starts_one_intent_and_extends_the_hold_once(
    stripe, user, auth_client
):
    reservation = hold(user)
    before = reservation.expires_at

    first = purchase(auth_client, reservation)
    again = purchase(auth_client, reservation)

    assert first.status_code == status.HTTP_202_ACCEPTED, first.content
    body = first.json()
    assert body["status"] == "payment_pending"
    assert body["client_secret"].startswith(body["payment_intent"] + "_secret_")
    assert again.json() == body  # the same intent: the key is derived
    assert len(stripe.intents) == 1
    intent = stripe.intents[body["payment_intent"]]
    assert (intent["amount"], intent["currency"]) == (1000, "usd")
    reservation.refresh_from_db()
    assert reservation.expires_at == before + timedelta(seconds=300)
    shown = auth_client.get(f"/api/reservations/{reservation.pk}/").json()
    assert shown["expires_at"][:19] == reservation.expires_at.isoformat()[:19]
    payment = Payment.objects.get()
    assert (payment.provider, payment.status, payment.amount) == (
        "stripe",
        PaymentStatus.PENDING,
        Decimal("10.00"),
    )


def test_payment_method_that_confirms_at_once_answers_200_with_tickets(
    stripe, user, auth_client
):
    reservation = hold(user)

    response = purchase(auth_client, reservation, payment_method="pm_card_visa")

    assert response.status_code == status.HTTP_200_OK, response.content
    assert response.json()["status"] == "confirmed"
    assert len(response.json()["tickets"]) == 1
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.SUCCEEDED
    reservation.refresh_from_db()
    assert reservation.payment_reference == payment.provider_id
    assert reservation.amount_paid == Decimal("10.00")


def test_declined_card_is_402_records_the_failure_and_keeps_the_hold(
    stripe, user, auth_client
):
    reservation = hold(user)

    response = purchase(
        auth_client, reservation, payment_method="pm_card_chargeDeclined"
    )

    assert response.status_code == status.HTTP_402_PAYMENT_REQUIRED
    assert response.json()["error"]["code"] == "payment_declined"
    payment = Payment.objects.get()
    assert (payment.status, payment.failure_code) == ("failed", "generic_decline")
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.HELD
    # a second attempt is a new intent (not the replayed decline)
    again = purchase(auth_client, reservation, payment_method="pm_card_visa")
    assert again.status_code == status.HTTP_200_OK, again.content


def test_webhook_succeeded_confirms_and_a_replay_changes_nothing(
    stripe, user, auth_client, api_client
):
    reservation = hold(user, ["A1", "A2"])
    intent_id = purchase(auth_client, reservation).json()["payment_intent"]
    body = stripe.event("payment_intent.succeeded", stripe.succeed(intent_id))
    signature = sign(body)

    def send():
        return api_client.post(
            WEBHOOK,
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature,
        )

    assert send().status_code == status.HTTP_200_OK
    assert send().status_code == status.HTTP_200_OK  # the replay

    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CONFIRMED
    assert reservation.tickets.count() == 2
    assert reservation.events.filter(action=ReservationAction.PURCHASED).count() == 1
    assert WebhookEvent.objects.count() == 1
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED


@pytest.mark.parametrize("kind", ["missing", "wrong_secret", "stale", "tampered"])
def test_bad_signature_is_400_and_changes_nothing(stripe, user, auth_client, kind):
    reservation = hold(user)
    intent_id = purchase(auth_client, reservation).json()["payment_intent"]
    body = stripe.event("payment_intent.succeeded", stripe.succeed(intent_id))
    headers = {
        "missing": {},
        "wrong_secret": {"HTTP_STRIPE_SIGNATURE": sign(body, secret="whsec_other")},
        "stale": {"HTTP_STRIPE_SIGNATURE": sign(body, t=1_000_000_000)},
        "tampered": {"HTTP_STRIPE_SIGNATURE": sign(body + b" ")},
    }[kind]

    response = auth_client.post(
        WEBHOOK, data=body, content_type="application/json", **headers
    )

    assert response.status_code == status.HTTP_400_BAD_REQUEST
    assert response.json()["error"]["code"] == "invalid_webhook"
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.HELD
    assert WebhookEvent.objects.count() == 0
    assert Payment.objects.get().status == PaymentStatus.PENDING


def test_payment_failed_is_recorded_and_the_hold_stays(
    stripe, user, auth_client, api_client
):
    reservation = hold(user)
    intent_id = purchase(auth_client, reservation).json()["payment_intent"]

    response = post_event(
        api_client, stripe, "payment_intent.payment_failed", stripe.fail(intent_id)
    )

    assert response.status_code == status.HTTP_200_OK
    payment = Payment.objects.get()
    assert (payment.status, payment.failure_code) == ("failed", "generic_decline")
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.HELD


def test_paid_after_the_hold_lapsed_claims_free_seats_again(
    stripe, user, auth_client, api_client
):
    reservation = hold(user)
    intent_id = purchase(auth_client, reservation).json()["payment_intent"]
    Reservation.objects.filter(pk=reservation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    services.expire_holds()

    post_event(
        api_client, stripe, "payment_intent.succeeded", stripe.succeed(intent_id)
    )

    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CONFIRMED
    assert reservation.tickets.count() == 1
    assert stripe.refunds == {}


def test_paid_after_the_seats_were_sold_is_refunded_at_once(
    stripe, user, other_user, auth_client, api_client
):
    reservation = hold(user)
    intent_id = purchase(auth_client, reservation).json()["payment_intent"]
    Reservation.objects.filter(pk=reservation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    rival = services.create_reservation(
        user=other_user, showtime=reservation.showtime, labels=["A1"]
    )

    post_event(
        api_client, stripe, "payment_intent.succeeded", stripe.succeed(intent_id)
    )

    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.REFUNDED
    assert reservation.tickets.count() == 0
    refund = Refund.objects.get()
    assert refund.status == RefundStatus.SUCCEEDED
    assert [r["id"] for r in stripe.refunds_of(intent_id)] == [refund.provider_id]
    assert stripe.refunds_of(intent_id)[0]["amount"] == 1000
    rival.refresh_from_db()
    assert rival.status == ReservationStatus.HELD


def test_cancelling_a_stripe_purchase_refunds_to_the_card(
    stripe, user, auth_client, django_capture_on_commit_callbacks
):
    reservation = hold(user)
    purchase(auth_client, reservation, payment_method="pm_card_visa")

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete(f"/api/reservations/{reservation.pk}/")

    assert response.status_code == status.HTTP_204_NO_CONTENT
    payment = Payment.objects.get()
    refund = Refund.objects.get()
    assert (refund.amount, refund.status) == (Decimal("10.00"), "succeeded")
    assert [r["id"] for r in stripe.refunds_of(payment.provider_id)] == [
        refund.provider_id
    ]


def test_charge_refunded_reconciles_refunds_made_at_stripe(
    stripe, user, auth_client, api_client
):
    reservation = hold(user)
    purchase(auth_client, reservation, payment_method="pm_card_visa")
    payment = Payment.objects.get()
    made = stripe.refund_in_dashboard(payment.provider_id, 400)

    post_event(
        api_client, stripe, "charge.refunded", stripe.charge_of(payment.provider_id)
    )
    post_event(
        api_client, stripe, "charge.refunded", stripe.charge_of(payment.provider_id)
    )

    refund = Refund.objects.get()
    assert (refund.provider_id, refund.amount, refund.status) == (
        made["id"],
        Decimal("4.00"),
        "succeeded",
    )


def test_provider_unreachable_is_503_and_keeps_the_hold(
    stripe, user, auth_client, settings
):
    settings.STRIPE_API_BASE = "http://127.0.0.1:18199"  # nothing listens here
    reservation = hold(user)
    before = reservation.expires_at

    response = purchase(auth_client, reservation)

    assert response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE
    assert response.json()["error"]["code"] == "payment_provider_unavailable"
    assert response["Retry-After"] == "5"
    reservation.refresh_from_db()
    assert (reservation.status, reservation.expires_at) == ("held", before)
    assert Payment.objects.count() == 0


def test_provider_timeout_is_503_and_a_retry_gets_the_same_intent(
    stripe, user, auth_client
):
    reservation = hold(user)
    stripe.delay_next_post = 1.5  # longer than STRIPE_TIMEOUT_SECONDS

    response = purchase(auth_client, reservation)

    assert response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE
    assert Payment.objects.count() == 0
    retry = purchase(auth_client, reservation)
    assert retry.status_code == status.HTTP_202_ACCEPTED
    assert len(stripe.intents) == 1  # the timed-out request made it; no second one


def test_refund_retried_after_a_timeout_refunds_once(
    stripe, user, auth_client, django_capture_on_commit_callbacks
):
    reservation = hold(user)
    purchase(auth_client, reservation, payment_method="pm_card_visa")
    payment = Payment.objects.get()
    stripe.delay_next_post = 1.5

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete(f"/api/reservations/{reservation.pk}/")

    assert response.status_code == status.HTTP_204_NO_CONTENT
    refund = Refund.objects.get()
    assert (refund.status, refund.provider_id) == ("pending", "")
    assert len(stripe.refunds_of(payment.provider_id)) == 1  # it did arrive
    call_command("reconcile_payments")
    call_command("reconcile_payments")
    refund.refresh_from_db()
    assert len(stripe.refunds_of(payment.provider_id)) == 1
    assert (refund.status, refund.provider_id) == (
        "succeeded",
        stripe.refunds_of(payment.provider_id)[0]["id"],
    )


def test_reconcile_trusts_stripe_over_a_failure_it_recorded(stripe, user, auth_client):
    reservation = hold(user)
    purchase(auth_client, reservation, payment_method="pm_card_visa")
    Payment.objects.update(status=PaymentStatus.FAILED)  # a stale failure event

    call_command("reconcile_payments")

    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CONFIRMED
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED
    assert stripe.refunds == {}


def test_reconcile_settles_a_payment_whose_webhook_never_came(
    stripe, user, auth_client
):
    reservation = hold(user)
    intent_id = purchase(auth_client, reservation).json()["payment_intent"]
    stripe.succeed(intent_id)

    call_command("reconcile_payments")

    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CONFIRMED
    assert reservation.tickets.count() == 1


def test_the_scheduler_reconciles_every_five_minutes(
    stripe, user, auth_client, django_capture_on_commit_callbacks
):
    """The periodic job is the command's work: a payment whose webhook never came
    is settled by the scheduler's run, without anyone running the command."""
    job = periodic_jobs()["reconcile_payments"]
    assert (job.task, job.every) == (tasks.reconcile_payments, timedelta(minutes=5))
    reservation = hold(user)
    intent_id = purchase(auth_client, reservation).json()["payment_intent"]
    stripe.succeed(intent_id)

    with django_capture_on_commit_callbacks(execute=True):
        result = job.task.enqueue()

    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CONFIRMED
    assert reservation.tickets.count() == 1
    assert sum(result.return_value.values()) >= 1


def test_reconcile_ends_a_confirmed_reservation_without_a_payment(
    stripe, user, auth_client
):
    reservation = hold(user)
    Reservation.objects.filter(pk=reservation.pk).update(  # the defect to fix
        status=ReservationStatus.CONFIRMED,
        amount_paid=Decimal("10.00"),
        payment_reference="pi_never_paid",
    )

    call_command("reconcile_payments")

    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CANCELLED
    assert not reservation.tickets.filter(is_void=False).exists()
    assert not reservation.reserved_seats.filter(is_active=True).exists()


def test_reconcile_refunds_a_succeeded_payment_that_cannot_confirm(
    stripe, user, auth_client
):
    reservation = hold(user)
    intent_id = purchase(auth_client, reservation).json()["payment_intent"]
    services.cancel_reservation(reservation=reservation, actor=user)
    stripe.succeed(intent_id)

    call_command("reconcile_payments")

    assert len(stripe.refunds_of(intent_id)) == 1
    assert Refund.objects.get().status == RefundStatus.SUCCEEDED


def test_webhook_answers_only_post(stripe, api_client):
    response = api_client.get(WEBHOOK)
    assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED


def test_a_free_reservation_is_confirmed_without_stripe(
    stripe, user, box_office, auth_client
):
    reservation = hold(user)
    services.comp_reservation(reservation=reservation, actor=box_office, reason="vip")

    response = purchase(auth_client, reservation)

    assert response.status_code == status.HTTP_200_OK, response.content
    assert response.json()["status"] == "confirmed"
    assert Payment.objects.get().provider == "test"
    assert stripe.intents == {}


def test_a_payment_whose_reservation_was_deleted_is_refunded(
    stripe, user, auth_client, api_client, manager_client
):
    reservation = hold(user)
    intent_id = purchase(auth_client, reservation).json()["payment_intent"]
    services.cancel_reservation(reservation=reservation, actor=user)
    deleted = manager_client.delete(f"/api/showtimes/{reservation.showtime_id}/")
    assert deleted.status_code == status.HTTP_204_NO_CONTENT, deleted.content
    payment = Payment.objects.get()
    assert (payment.reservation_id, payment.reservation_code) == (
        None,
        reservation.code,
    )

    post_event(
        api_client, stripe, "payment_intent.succeeded", stripe.succeed(intent_id)
    )

    assert len(stripe.refunds_of(intent_id)) == 1
    assert Refund.objects.get().reason == "reservation deleted"


def test_seats_changed_after_paying_started_refunds_on_success(
    stripe, user, auth_client, api_client
):
    reservation = hold(user)
    intent_id = purchase(auth_client, reservation).json()["payment_intent"]
    services.change_seats(reservation=reservation, labels=["A1", "A2"])

    post_event(
        api_client, stripe, "payment_intent.succeeded", stripe.succeed(intent_id)
    )

    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.HELD
    assert reservation.tickets.count() == 0
    assert [r["amount"] for r in stripe.refunds_of(intent_id)] == [1000]
    assert Refund.objects.get().reason == "reservation_changed"


def test_webhook_for_an_intent_we_never_recorded_still_confirms(
    stripe, user, api_client, settings
):
    """The intent was created but our answer (and row) was lost: the webhook's
    metadata names the reservation."""
    reservation = hold(user)
    intent = stripe._create_intent(
        {
            "amount": "1000",
            "currency": "usd",
            "metadata": {"reservation": reservation.code},
        }
    )[1]

    post_event(
        api_client, stripe, "payment_intent.succeeded", stripe.succeed(intent["id"])
    )

    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CONFIRMED
    assert Payment.objects.get().provider_id == intent["id"]


def test_a_card_that_needs_3d_secure_answers_202(stripe, user, auth_client):
    reservation = hold(user)

    response = purchase(
        auth_client, reservation, payment_method="pm_card_authenticationRequired"
    )

    assert response.status_code == status.HTTP_202_ACCEPTED
    assert response.json()["status"] == "payment_pending"


def test_the_local_server_keeps_stripes_idempotency_rules(stripe):
    """The SDK sees a replay for the same key and parameters, and a 400
    idempotency_error for the same key with other parameters."""
    import stripe as sdk

    client = sdk.StripeClient(
        "sk_test_local", base_addresses={"api": stripe.url}, max_network_retries=0
    )
    params = {"amount": 500, "currency": "eur"}
    first = client.v1.payment_intents.create(params, {"idempotency_key": "k1"})
    again = client.v1.payment_intents.create(params, {"idempotency_key": "k1"})
    assert first.id == again.id
    assert len(stripe.intents) == 1
    with pytest.raises(sdk.IdempotencyError):
        client.v1.payment_intents.create(
            {"amount": 600, "currency": "eur"}, {"idempotency_key": "k1"}
        )
    with pytest.raises(sdk.AuthenticationError):
        sdk.StripeClient(
            "sk_test_wrong", base_addresses={"api": stripe.url}
        ).v1.payment_intents.retrieve(first.id)

"""A client's confirmation and Stripe's webhook for the same intent, together.

Thread 0 buys with a payment method that confirms at once; thread 1 delivers the
``payment_intent.succeeded`` webhook for that very intent as soon as Stripe has
created it, while thread 0 is still on its way to settle. Whichever settles first
confirms; the other finds the reservation confirmed by this payment and does
nothing: one confirmation, one set of tickets, no refund (SQLite and PostgreSQL).
The negative control removes that guard and sees the money go wrong.
"""

import threading
import time

import pytest
from rest_framework import status
from rest_framework.test import APIClient

from payments.models import Payment, PaymentStatus, Refund
from reservations import services
from reservations.models import ReservationAction, ReservationStatus
from reservations.services import settlement
from tests.factories import ShowtimeFactory, UserFactory
from tests.reservations.helpers import client_for, codes_of, run_in_threads

from .stripe_server import sign

TRIALS = 8


def race(stripe, trials: int) -> list:
    """Run the race ``trials`` times; returns each trial's reservation."""
    showtime = ShowtimeFactory()
    done = []
    for trial in range(trials):
        user = UserFactory()
        reservation = services.create_reservation(
            user=user, showtime=showtime, labels=[f"B{trial + 1}", f"C{trial + 1}"]
        )
        created = threading.Event()
        intent: dict = {}

        def on_create(body, created=created, intent=intent):
            intent.update(body)
            created.set()
            time.sleep(0.05)  # the webhook starts before the client has its answer

        stripe.on_create = on_create

        def work(
            index, user=user, reservation=reservation, created=created, intent=intent
        ):
            if index == 0:
                return client_for(user).post(
                    f"/api/reservations/{reservation.pk}/purchase/",
                    {"payment_method": "pm_card_visa"},
                    format="json",
                )
            assert created.wait(timeout=10)
            body = stripe.event("payment_intent.succeeded", dict(intent))
            return APIClient().post(
                "/api/payments/stripe/webhook/",
                data=body,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=sign(body),
            )

        responses = run_in_threads(2, work)
        assert codes_of(responses) == [status.HTTP_200_OK, status.HTTP_200_OK]
        reservation.refresh_from_db()
        done.append(reservation)
    return done


def money_agrees(stripe, reservation) -> bool:
    payment = Payment.objects.get(reservation=reservation)
    return (
        reservation.status == ReservationStatus.CONFIRMED
        and reservation.tickets.count() == 2
        and reservation.events.filter(action=ReservationAction.PURCHASED).count() == 1
        and payment.status == PaymentStatus.SUCCEEDED
        and reservation.payment_reference == payment.provider_id
        and reservation.amount_paid == payment.amount
        and not Refund.objects.filter(payment=payment).exists()
        and stripe.refunds_of(payment.provider_id) == []
    )


@pytest.mark.django_db(transaction=True)
def test_client_confirmation_and_webhook_confirm_once(stripe):
    for reservation in race(stripe, TRIALS):
        assert money_agrees(stripe, reservation), reservation


@pytest.mark.django_db(transaction=True)
def test_negative_control_without_the_guard_money_goes_wrong(stripe, monkeypatch):
    monkeypatch.setattr(settlement, "already_settled", lambda reservation, p: False)
    results = [money_agrees(stripe, r) for r in race(stripe, 3)]
    assert not any(results)  # the second settler refunds the one payment

"""Races on giving seats back: against itself, against a full cancel and against a
check-in. Each trial releases two threads together (own connections), on SQLite and
PostgreSQL alike, then checks the money against the recording gateway: what it
refunded is what the reservation records, never more than was paid, and a used
ticket is never refunded.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework import status

from reservations import services
from reservations.models import Reservation, ReservationStatus, ReservedSeat
from tests.factories import ShowtimeFactory, UserFactory

from .helpers import client_for, codes_of, run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)

TRIALS = 15


def buy(showtime, labels) -> Reservation:
    reservation = services.create_reservation(
        user=UserFactory(), showtime=showtime, labels=labels
    )
    return services.purchase_reservation(reservation=reservation)


def assert_money(gateway, reservation: Reservation, *, used: set[str] = frozenset()):
    """Gateway net == recorded refund <= paid; used seats' money is kept."""
    reservation.refresh_from_db()
    refunded = sum(
        (a for ref, a in gateway.refunds if ref == reservation.payment_reference),
        Decimal("0.00"),
    )
    recorded = reservation.refund_amount or Decimal("0.00")
    assert refunded == recorded
    assert recorded + reservation.fee <= reservation.amount_paid
    kept = sum(
        (
            row.price - row.discount
            for row in reservation.reserved_seats.filter(seat__label__in=used)
        ),
        Decimal("0.00"),
    )
    assert recorded <= reservation.amount_paid - kept
    active = ReservedSeat.objects.filter(showtime=reservation.showtime, is_active=True)
    labels = list(active.values_list("seat__label", flat=True))
    assert len(labels) == len(set(labels))
    for row in reservation.reserved_seats.filter(is_active=False):
        ticket = reservation.tickets.get(seat=row.seat)
        assert ticket.is_void
        assert ticket.checked_in_at is None


def post_cancel_seats(user, reservation, labels):
    return client_for(user).post(
        f"/api/reservations/{reservation.pk}/cancel-seats/",
        {"seats": labels},
        format="json",
    )


def test_two_cancels_of_one_seat_refund_once(gateway):
    for _ in range(TRIALS):
        reservation = buy(ShowtimeFactory(), ["A1", "A2"])
        gateway.reset()

        def act(i, reservation=reservation):
            return post_cancel_seats(reservation.user, reservation, ["A2"])

        codes = sorted(codes_of(responses := run_in_threads(2, act)))
        assert codes == [200, 409], [r.content for r in responses]
        loser = next(r for r in responses if r.status_code == 409)
        assert loser.json()["error"]["code"] == "seats_already_cancelled"
        assert gateway.refunds == [(reservation.payment_reference, Decimal("10.00"))]
        reservation.refresh_from_db()
        assert reservation.status == ReservationStatus.CONFIRMED
        assert_money(gateway, reservation)


def test_cancel_seats_racing_a_full_cancel(gateway):
    outcomes = set()
    for _ in range(TRIALS):
        reservation = buy(ShowtimeFactory(), ["A1", "C1"])
        gateway.reset()

        def act(i, reservation=reservation):
            if i == 0:
                return post_cancel_seats(reservation.user, reservation, ["C1"])
            return client_for(reservation.user).delete(
                f"/api/reservations/{reservation.pk}/"
            )

        seats_code, cancel_code = codes_of(run_in_threads(2, act))
        outcomes.add((seats_code, cancel_code))
        assert (seats_code, cancel_code) in {(200, 204), (409, 204)}
        reservation.refresh_from_db()
        assert reservation.status == ReservationStatus.CANCELLED
        # Whatever the order, all of it went back, and once.
        assert reservation.refund_amount == reservation.amount_paid
        assert_money(gateway, reservation)
        expected = (
            [Decimal("10.00"), Decimal("15.50")]
            if seats_code == 200
            else [Decimal("25.50")]
        )
        # Each refund is sent after its own commit, from its own thread: the
        # gateway may hear them in either order.
        assert sorted(a for _, a in gateway.refunds) == expected
    assert outcomes <= {(200, 204), (409, 204)}


def test_cancel_seats_racing_check_in_never_refunds_a_used_ticket(box_office, gateway):
    outcomes = set()
    for _ in range(TRIALS):
        # Inside the check-in window, before the default cutoff (60 min).
        showtime = ShowtimeFactory(starts_at=timezone.now() + timedelta(minutes=90))
        reservation = buy(showtime, ["A1", "A2"])
        code = reservation.tickets.get(seat__label="A1").code
        gateway.reset()

        def act(i, reservation=reservation, code=code):
            if i == 0:
                return post_cancel_seats(reservation.user, reservation, ["A1"])
            return client_for(box_office).post("/api/check-in/", {"code": code})

        cancel, admit = codes_of(run_in_threads(2, act))
        outcomes.add((cancel, admit))
        ticket = reservation.tickets.get(seat__label="A1")
        if admit == status.HTTP_200_OK:
            assert cancel == status.HTTP_409_CONFLICT
            assert ticket.checked_in_at is not None
            assert not ticket.is_void
            assert gateway.refunds == []
            assert_money(gateway, reservation, used={"A1"})
        else:
            assert (cancel, admit) == (200, 409)
            assert ticket.checked_in_at is None
            assert ticket.is_void
            assert gateway.refunds == [
                (reservation.payment_reference, Decimal("10.00"))
            ]
            assert_money(gateway, reservation)
    assert outcomes <= {(409, 200), (200, 409)}


def test_refund_racing_cancel_seats_refunds_at_most_what_was_paid(box_office, gateway):
    for _ in range(TRIALS):
        reservation = buy(ShowtimeFactory(), ["A1", "A2", "C1"])
        gateway.reset()

        def act(i, reservation=reservation):
            if i == 0:
                return post_cancel_seats(reservation.user, reservation, ["A2"])
            return client_for(box_office).post(
                f"/api/reservations/{reservation.pk}/refund/", {"reason": "race"}
            )

        seats_code, refund_code = codes_of(run_in_threads(2, act))
        assert refund_code == 200
        assert seats_code in {200, 409}
        reservation.refresh_from_db()
        assert reservation.refund_amount == reservation.amount_paid
        assert reservation.fee == Decimal("0.00")
        assert_money(gateway, reservation)


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the missing lock only shows on PostgreSQL (SQLite queues writers)",
)
def test_negative_control_without_the_lock_a_seat_is_refunded_twice(
    monkeypatch, gateway
):
    """Without the showtime lock, two cancels of one seat both read it active at
    READ COMMITTED and both refund it: the lock is what the first race relies on."""
    import time

    from reservations.services import cancellation, locking
    from showtimes.models import Showtime

    monkeypatch.setattr(
        locking, "lock_showtime", lambda pk: Showtime.objects.get(pk=pk)
    )
    policy = cancellation._policy_percent

    def slow_policy(*args, **kwargs):
        time.sleep(0.2)  # both have read the seat active by now
        return policy(*args, **kwargs)

    monkeypatch.setattr(cancellation, "_policy_percent", slow_policy)
    doubled = 0
    for _ in range(3):
        reservation = buy(ShowtimeFactory(), ["A1", "A2"])
        gateway.reset()

        def act(i, reservation=reservation):
            return post_cancel_seats(reservation.user, reservation, ["A2"])

        run_in_threads(2, act)
        doubled += len(gateway.refunds) == 2
    assert doubled > 0

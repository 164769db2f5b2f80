"""A cancelled showtime refunds every purchase on it, exactly once, even after a crash.

A manager sets ``is_cancelled``; once that commits, a task cancels the confirmed
reservations one per transaction (``cancel_reservation``: the whole amount paid,
tickets void). A crash halfway (raised from the test side after N reservations)
leaves the rest confirmed; the periodic job finishes them; running it again, or
racing it, refunds nobody twice. Money is checked against the recording gateway.
"""

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework import status

from events.models import Event
from events.periodic import periodic_jobs
from reservations import tasks
from reservations.exceptions import ReservationNotActive
from reservations.models import Reservation, ReservationAction, ReservationStatus
from reservations.services import cancellation
from reservations.services.cancelled_showtimes import (
    refund_cancelled_showtime,
    resume_cancelled_showtimes,
)
from showtimes.models import Showtime
from tests.factories import ReservationFactory, ShowtimeFactory, UserFactory

from .helpers import run_in_threads


def cancel_showtime(client, showtime):
    return client.patch(
        f"/api/showtimes/{showtime.pk}/", {"is_cancelled": True}, format="json"
    )


def sell(showtime, count: int) -> list[Reservation]:
    """``count`` purchases of one or two seats on ``showtime``, by several buyers."""
    labels = [f"A{n}" for n in range(1, 11)] + [f"B{n}" for n in range(1, 11)]
    return [
        ReservationFactory(
            user=UserFactory(),
            showtime=showtime,
            seats=labels[2 * i : 2 * i + 1 + i % 2],
            purchased=True,
        )
        for i in range(count)
    ]


def assert_refunded_once(gateway, reservations) -> None:
    """Each purchase cancelled, its whole payment refunded in one gateway call."""
    calls = Counter(reference for reference, _ in gateway.refunds)
    for reservation in reservations:
        reservation.refresh_from_db()
        assert reservation.status == ReservationStatus.CANCELLED
        assert reservation.refund_amount == reservation.amount_paid > 0
        assert calls[reservation.payment_reference] == 1, reservation
        assert dict(gateway.refunds)[reservation.payment_reference] == (
            reservation.amount_paid
        )
        assert not reservation.tickets.filter(is_void=False).exists()
        assert not reservation.reserved_seats.filter(is_active=True).exists()
    assert sum(amount for _, amount in gateway.refunds) == sum(
        r.amount_paid for r in reservations
    )


class Crash(Exception):
    pass


def crash_after(monkeypatch, count: int) -> None:
    """Fail the refund run after ``count`` reservations were cancelled (the test's
    stand-in for a worker killed mid-task)."""
    real = cancellation.cancel_reservation
    done = []

    def cancel_then_maybe_crash(**kwargs):
        if len(done) == count:
            raise Crash()
        done.append(real(**kwargs))
        return done[-1]

    monkeypatch.setattr(cancellation, "cancel_reservation", cancel_then_maybe_crash)


@pytest.mark.django_db
def test_manager_cancelling_a_showtime_refunds_every_purchase(
    manager, manager_client, gateway, django_capture_on_commit_callbacks
):
    showtime = ShowtimeFactory()
    sold = sell(showtime, 3)
    hold = ReservationFactory(showtime=showtime, seats=["C1"])
    other_show = ReservationFactory(seats=["A1"], purchased=True)

    with django_capture_on_commit_callbacks(execute=True):
        response = cancel_showtime(manager_client, showtime)

    assert response.status_code == status.HTTP_200_OK, response.content
    assert response.json()["is_cancelled"] is True
    assert_refunded_once(gateway, sold)
    for reservation in sold:
        event = reservation.events.get(action=ReservationAction.CANCELLED)
        assert event.actor == manager
        assert event.details["refund_amount"] == str(reservation.amount_paid)
    hold.refresh_from_db()
    assert (hold.status, hold.refund_amount) == (
        ReservationStatus.CANCELLED,
        Decimal("0.00"),
    )
    other_show.refresh_from_db()
    assert other_show.status == ReservationStatus.CONFIRMED
    assert len(gateway.refunds) == 3
    [announced] = Event.objects.filter(type="showtime.cancelled")
    assert announced.data["showtime_id"] == showtime.pk
    refunded = Event.objects.filter(type="reservation.cancelled").order_by("created")
    assert sorted(
        (e.data["reservation_id"], e.data.get("refund_amount")) for e in refunded
    ) == sorted([(hold.pk, None)] + [(r.pk, str(r.amount_paid)) for r in sold])


@pytest.mark.django_db
def test_a_checked_in_ticket_of_a_cancelled_show_is_refunded_too(
    manager_client, gateway, django_capture_on_commit_callbacks
):
    from tickets.services import check_in_ticket

    showtime = ShowtimeFactory(starts_at=timezone.now() + timedelta(minutes=90))
    [sold] = sell(showtime, 1)
    check_in_ticket(code=sold.tickets.get().code)

    with django_capture_on_commit_callbacks(execute=True):
        cancel_showtime(manager_client, showtime)

    sold.refresh_from_db()
    assert sold.status == ReservationStatus.CANCELLED
    assert gateway.refunds == [(sold.payment_reference, sold.amount_paid)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("api_client", status.HTTP_401_UNAUTHORIZED),
        ("auth_client", status.HTTP_403_FORBIDDEN),
        ("box_office_client", status.HTTP_403_FORBIDDEN),
        ("staff_client", status.HTTP_200_OK),
    ],
)
def test_who_may_cancel_a_showtime(
    request, role, expected, gateway, django_capture_on_commit_callbacks
):
    showtime = ShowtimeFactory()
    sold = sell(showtime, 1)

    with django_capture_on_commit_callbacks(execute=True):
        response = cancel_showtime(request.getfixturevalue(role), showtime)

    assert response.status_code == expected, response.content
    if expected == status.HTTP_200_OK:
        assert_refunded_once(gateway, sold)
    else:
        assert Reservation.objects.get(pk=sold[0].pk).status == "confirmed"
        assert gateway.refunds == []


@pytest.mark.django_db
def test_a_crash_halfway_resumes_and_nobody_is_refunded_twice(
    monkeypatch, manager_client, gateway, django_capture_on_commit_callbacks
):
    showtime = ShowtimeFactory()
    sold = sell(showtime, 5)
    crash_after(monkeypatch, 2)

    with django_capture_on_commit_callbacks(execute=True):
        response = cancel_showtime(manager_client, showtime)  # the task fails

    assert response.status_code == status.HTTP_200_OK  # the cancellation stands
    statuses = [Reservation.objects.get(pk=r.pk).status for r in sold]
    assert statuses == ["cancelled"] * 2 + ["confirmed"] * 3
    assert len(gateway.refunds) == 2

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        assert resume_cancelled_showtimes() == 3
    with django_capture_on_commit_callbacks(execute=True):
        assert resume_cancelled_showtimes() == 0  # the job runs again: nothing left
        assert refund_cancelled_showtime(showtime_id=showtime.pk) == 0

    assert_refunded_once(gateway, sold)


@pytest.mark.django_db
def test_the_management_command_resumes(gateway, django_capture_on_commit_callbacks):
    showtime = ShowtimeFactory()
    sold = sell(showtime, 2)
    Showtime.objects.filter(pk=showtime.pk).update(is_cancelled=True)  # no task ran

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("refund_cancelled_showtimes", stdout=out)

    assert out.getvalue() == "Cancelled and refunded 2 reservation(s).\n"

    assert_refunded_once(gateway, sold)


@pytest.mark.django_db
def test_the_periodic_job_resumes(gateway, django_capture_on_commit_callbacks):
    job = periodic_jobs()["showtime_cancellation_refunds"]
    assert job.task is tasks.resume_cancelled_showtimes
    showtime = ShowtimeFactory()
    sold = sell(showtime, 2)
    Showtime.objects.filter(pk=showtime.pk).update(is_cancelled=True)  # no task ran

    with django_capture_on_commit_callbacks(execute=True):
        result = job.task.enqueue()

    assert result.return_value == 1  # one showtime's refunds enqueued (and run)
    assert_refunded_once(gateway, sold)


@pytest.mark.django_db
def test_a_showtime_back_on_sale_stops_the_refunds(gateway):
    showtime = ShowtimeFactory()
    sold = sell(showtime, 2)

    assert refund_cancelled_showtime(showtime_id=showtime.pk) == 0

    assert [Reservation.objects.get(pk=r.pk).status for r in sold] == ["confirmed"] * 2
    assert gateway.refunds == []


@pytest.mark.django_db(transaction=True)
def test_racing_refund_runs_and_owners_refund_each_purchase_once(gateway):
    """Two refund runs (the task and the periodic job) and every owner cancelling
    at once: each purchase is cancelled by exactly one of them and refunded once."""
    for _ in range(3):
        gateway.reset()
        race_refunds_and_owners(gateway)


def race_refunds_and_owners(gateway) -> None:
    showtime = ShowtimeFactory()
    sold = sell(showtime, 4)
    Showtime.objects.filter(pk=showtime.pk).update(is_cancelled=True)

    def work(i):
        if i < 2:
            return refund_cancelled_showtime(showtime_id=showtime.pk)
        reservation = sold[i - 2]
        try:
            cancellation.cancel_reservation(
                reservation=reservation, actor=reservation.user
            )
        except ReservationNotActive:  # lost the race: already cancelled
            return "not_active"
        return 1

    results = run_in_threads(2 + len(sold), work)

    assert not [r for r in results if isinstance(r, BaseException)], results
    owners = results[2:]
    assert set(owners) <= {1, "not_active"}, owners
    assert results[0] + results[1] + owners.count(1) == len(sold)
    assert_refunded_once(gateway, sold)

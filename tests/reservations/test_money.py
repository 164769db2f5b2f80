"""Money as an invariant: what is confirmed equals what was charged, and what is
refunded never exceeds what was paid (defects 1 to 3 found by testing from outside).

The races release two threads together, each with its own connection, on SQLite and
PostgreSQL alike; after every trial the invariant is checked against the recording
gateway, not against the reservation's own figures.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework import status

from reservations import services
from reservations.models import Reservation, ReservationAction, ReservationStatus
from tests.factories import ReservationFactory, ShowtimeFactory, UserFactory

from .helpers import client_for, codes_of, run_in_threads, seat_states

TRIALS = 20
PREMIUM_SIX = ["C1", "C2", "C3", "C4", "C5", "C6"]


def charged_for(gateway, reservation) -> Decimal:
    """Net money the gateway kept for ``reservation``'s charges."""
    references = set(
        reservation.events.filter(action=ReservationAction.PURCHASED).values_list(
            "details__payment_reference", flat=True
        )
    )
    refunded = {reference for reference, _ in gateway.refunds}
    kept = [
        c.amount
        for c in gateway.charges
        if c.reference not in refunded and c.reference in references
    ]
    return sum(kept, Decimal("0.00"))


def assert_money_agrees(gateway, reservation: Reservation) -> None:
    """Tickets, total, what was paid and what the gateway kept all agree."""
    reservation.refresh_from_db()
    seats = list(reservation.reserved_seats.filter(is_active=True))
    if reservation.status == ReservationStatus.CONFIRMED:
        event = reservation.events.get(action=ReservationAction.PURCHASED)
        assert reservation.tickets.count() == len(seats)
        assert reservation.total_price == sum(s.price for s in seats)
        assert Decimal(event.details["amount"]) == reservation.total_price
        assert reservation.amount_paid == reservation.total_price
        assert charged_for(gateway, reservation) == reservation.amount_paid
    else:
        assert reservation.tickets.count() == 0
        assert reservation.amount_paid is None
    # every charge that confirmed nothing was refunded in full
    confirmed = set(
        Reservation.objects.exclude(payment_reference="").values_list(
            "payment_reference", flat=True
        )
    )
    refunded = dict(gateway.refunds)
    for charge in gateway.charges:
        if charge.reference not in confirmed:
            assert refunded.get(charge.reference) == charge.amount, charge


# --- 1. a purchase racing a seat change ---------------------------------------------


@pytest.mark.django_db
def test_seat_change_between_charge_and_confirm_refunds_and_answers_409(user, gateway):
    showtime = ShowtimeFactory()
    reservation = services.create_reservation(
        user=user, showtime=showtime, labels=["A1"]
    )

    def change_seats_meanwhile(charge):
        gateway.on_charge = None
        services.change_seats(reservation=reservation, labels=PREMIUM_SIX)

    gateway.on_charge = change_seats_meanwhile
    client = client_for(user)
    response = client.post(f"/api/reservations/{reservation.pk}/purchase/")

    assert response.status_code == status.HTTP_409_CONFLICT, response.content
    body = response.json()["error"]
    assert body["code"] == "reservation_changed"
    assert body["details"] == {"charged": "10.00", "total_price": "93.00"}
    assert gateway.charges[0].amount == Decimal("10.00")
    assert gateway.refunds == [(gateway.charges[0].reference, Decimal("10.00"))]
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.HELD
    assert reservation.tickets.count() == 0
    assert_money_agrees(gateway, reservation)

    # The customer sees the new total and buys again: charged what is confirmed.
    response = client.post(f"/api/reservations/{reservation.pk}/purchase/")
    assert response.status_code == status.HTTP_200_OK, response.content
    assert response.json()["total_price"] == "93.00"
    assert len(response.json()["tickets"]) == 6
    assert gateway.charges[1].amount == Decimal("93.00")
    assert_money_agrees(gateway, reservation)


@pytest.mark.django_db
def test_cancel_refunds_what_was_paid_not_the_total(
    user, gateway, django_capture_on_commit_callbacks
):
    reservation = ReservationFactory(user=user, seats=["A1"], purchased=True)
    # A total that moved after payment (as the old race left behind) is not refunded.
    Reservation.objects.filter(pk=reservation.pk).update(total_price=Decimal("117.00"))

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).delete(f"/api/reservations/{reservation.pk}/")

    assert response.status_code == status.HTTP_204_NO_CONTENT
    reservation.refresh_from_db()
    assert reservation.refund_amount == Decimal("10.00") == reservation.amount_paid
    assert gateway.refunds == [(reservation.payment_reference, Decimal("10.00"))]


@pytest.mark.django_db(transaction=True)
def test_purchase_racing_seat_change_never_confirms_unpaid_seats(gateway):
    outcomes = []
    for _ in range(TRIALS):
        user = UserFactory()
        showtime = ShowtimeFactory()
        reservation = services.create_reservation(
            user=user, showtime=showtime, labels=["A1"]
        )
        url = f"/api/reservations/{reservation.pk}/"

        def act(i, url=url, user=user):
            client = client_for(user)
            if i == 0:
                return client.post(f"{url}purchase/")
            return client.patch(url, {"seats": PREMIUM_SIX}, format="json")

        purchase, change = codes_of(run_in_threads(2, act))
        outcomes.append((purchase, change))
        assert (purchase, change) in {
            (200, 409),  # bought A1 first; the change found it no longer held
            (200, 200),  # changed first, then bought the six premium seats
            (409, 200),  # changed between charge and confirm: refunded
        }
        assert_money_agrees(gateway, reservation)
        reservation.refresh_from_db()
        if reservation.status == ReservationStatus.CONFIRMED:
            cancelled = services.cancel_reservation(
                reservation=reservation, actor=reservation.user
            )
            assert cancelled.refund_amount == cancelled.amount_paid
    assert len(outcomes) == TRIALS


# --- 2. a used ticket is neither refunded nor sold again ------------------------------


@pytest.fixture
def started_soon(db):
    """Inside the check-in window (2 h before) and before the cutoff (60 min)."""
    return ShowtimeFactory(starts_at=timezone.now() + timedelta(minutes=90))


def check_in(code):
    from tickets.services import check_in_ticket

    return check_in_ticket(code=code)


@pytest.mark.django_db
def test_owner_cannot_cancel_after_check_in(user, started_soon, gateway):
    reservation = ReservationFactory(
        user=user, showtime=started_soon, seats=["A1", "A2"], purchased=True
    )
    for ticket in reservation.tickets.all():
        check_in(ticket.code)

    response = client_for(user).delete(f"/api/reservations/{reservation.pk}/")

    assert response.status_code == status.HTTP_409_CONFLICT
    error = response.json()["error"]
    assert error["code"] == "ticket_used"
    assert error["details"] == {"seats": ["A1", "A2"]}
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CONFIRMED
    assert gateway.refunds == []
    assert not reservation.tickets.filter(is_void=True).exists()


@pytest.mark.django_db
def test_used_seat_is_never_sold_again_even_after_staff_cancel(
    user, other_user, staff, started_soon, gateway, django_capture_on_commit_callbacks
):
    reservation = ReservationFactory(
        user=user, showtime=started_soon, seats=["A1", "A2"], purchased=True
    )
    check_in(reservation.tickets.get(seat__label="A1").code)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff).delete(f"/api/reservations/{reservation.pk}/")

    assert response.status_code == status.HTTP_204_NO_CONTENT
    reservation.refresh_from_db()
    # Only the unused seat is refunded; the used one stays claimed.
    assert reservation.refund_amount == Decimal("10.00")
    assert gateway.refunds == [(reservation.payment_reference, Decimal("10.00"))]
    states = seat_states(client_for(other_user), started_soon)
    assert states["A1"] == "sold"
    assert states["A2"] == "available"
    taken = client_for(other_user).post(
        "/api/reservations/", {"showtime": started_soon.pk, "seats": ["A1"]}
    )
    assert taken.status_code == status.HTTP_409_CONFLICT
    assert taken.json()["error"]["code"] == "seats_unavailable"
    assert reservation.tickets.get(seat__label="A1").is_void is False
    assert reservation.tickets.get(seat__label="A2").is_void is True
    event = reservation.events.get(action=ReservationAction.CANCELLED)
    assert event.details["used_seats"] == ["A1"]


@pytest.mark.django_db(transaction=True)
def test_cancel_racing_check_in_never_refunds_a_used_ticket(box_office, gateway):
    outcomes = set()
    for _ in range(TRIALS):
        user = UserFactory()
        # Inside the check-in window and before the owner's cutoff.
        showtime = ShowtimeFactory(starts_at=timezone.now() + timedelta(minutes=90))
        reservation = ReservationFactory(
            user=user, showtime=showtime, seats=["A1"], purchased=True
        )
        code = reservation.tickets.get().code

        def act(i, user=user, code=code, pk=reservation.pk):
            if i == 0:
                return client_for(user).delete(f"/api/reservations/{pk}/")
            return client_for(box_office).post("/api/check-in/", {"code": code})

        cancel, admit = codes_of(run_in_threads(2, act))
        outcomes.add((cancel, admit))
        reservation.refresh_from_db()
        ticket = reservation.tickets.get()
        if admit == status.HTTP_200_OK:
            assert cancel == status.HTTP_409_CONFLICT
            assert reservation.status == ReservationStatus.CONFIRMED
            assert ticket.checked_in_at is not None
            assert ticket.is_void is False
        else:
            assert (cancel, admit) == (204, 409)
            assert reservation.refund_amount == reservation.amount_paid
            assert ticket.checked_in_at is None
            assert ticket.is_void is True
    assert outcomes <= {(409, 200), (204, 409)}


# --- 3. a cancelled showtime does not strand its buyers ---------------------------------


@pytest.fixture
def inside_cutoff(db):
    return ShowtimeFactory(starts_at=timezone.now() + timedelta(minutes=30))


def cancel_showtime(client, showtime):
    response = client.patch(
        f"/api/showtimes/{showtime.pk}/", {"is_cancelled": True}, format="json"
    )
    assert response.status_code == status.HTTP_200_OK, response.content


@pytest.mark.django_db
def test_cancelling_a_showtime_releases_its_holds(
    user, manager, manager_client, inside_cutoff, gateway
):
    hold = ReservationFactory(user=user, showtime=inside_cutoff, seats=["B1", "B2"])
    sold = ReservationFactory(showtime=inside_cutoff, seats=["A1"], purchased=True)

    cancel_showtime(manager_client, inside_cutoff)

    hold.refresh_from_db()
    sold.refresh_from_db()
    assert hold.status == ReservationStatus.CANCELLED
    assert hold.refund_amount == Decimal("0.00")
    assert not hold.reserved_seats.filter(is_active=True).exists()
    event = hold.events.get(action=ReservationAction.CANCELLED)
    assert event.actor == manager
    assert event.details["reason"] == "showtime_cancelled"
    # refunded once the cancellation commits (test_cancelled_showtimes.py)
    assert sold.status == ReservationStatus.CONFIRMED
    states = seat_states(client_for(user), inside_cutoff)
    assert states["B1"] == states["B2"] == "available"
    assert states["A1"] == "sold"
    assert gateway.refunds == []


@pytest.mark.django_db
def test_owner_cancels_purchase_of_cancelled_showtime_inside_cutoff(
    user, manager_client, inside_cutoff, gateway, django_capture_on_commit_callbacks
):
    sold = ReservationFactory(user=user, showtime=inside_cutoff, purchased=True)
    refused = client_for(user).delete(f"/api/reservations/{sold.pk}/")
    assert refused.json()["error"]["code"] == "cancellation_closed"

    cancel_showtime(manager_client, inside_cutoff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).delete(f"/api/reservations/{sold.pk}/")

    assert response.status_code == status.HTTP_204_NO_CONTENT
    sold.refresh_from_db()
    assert sold.refund_amount == sold.amount_paid == Decimal("10.00")
    assert gateway.refunds == [(sold.payment_reference, Decimal("10.00"))]
    assert sold.tickets.get().is_void is True


@pytest.mark.django_db
def test_cancelled_show_refunds_in_full_even_after_check_in(
    user, started_soon, manager_client, gateway
):
    sold = ReservationFactory(user=user, showtime=started_soon, purchased=True)
    check_in(sold.tickets.get().code)
    cancel_showtime(manager_client, started_soon)

    response = client_for(user).delete(f"/api/reservations/{sold.pk}/")

    assert response.status_code == status.HTTP_204_NO_CONTENT
    sold.refresh_from_db()
    assert sold.refund_amount == sold.amount_paid


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "cancelled", "expected"),
    [
        ("box_office", True, status.HTTP_204_NO_CONTENT),
        ("box_office", False, status.HTTP_403_FORBIDDEN),
        ("staff", True, status.HTTP_204_NO_CONTENT),
        ("manager", True, status.HTTP_404_NOT_FOUND),
        ("other_user", True, status.HTTP_404_NOT_FOUND),
    ],
)
def test_who_may_cancel_a_purchase_of_a_cancelled_showtime(
    request, role, cancelled, expected, user, manager_client, inside_cutoff, gateway
):
    sold = ReservationFactory(user=user, showtime=inside_cutoff, purchased=True)
    if cancelled:
        cancel_showtime(manager_client, inside_cutoff)

    response = client_for(request.getfixturevalue(role)).delete(
        f"/api/reservations/{sold.pk}/"
    )

    assert response.status_code == expected, response.content
    sold.refresh_from_db()
    if expected == status.HTTP_204_NO_CONTENT:
        assert sold.refund_amount == sold.amount_paid
    else:
        assert sold.status == ReservationStatus.CONFIRMED


@pytest.mark.django_db
def test_tickets_of_a_cancelled_showtime_are_refused_at_the_door(
    user, box_office, started_soon, manager_client, gateway
):
    sold = ReservationFactory(user=user, showtime=started_soon, purchased=True)
    cancel_showtime(manager_client, started_soon)

    response = client_for(box_office).post(
        "/api/check-in/", {"code": sold.tickets.get().code}
    )

    assert response.status_code == status.HTTP_409_CONFLICT
    assert response.json()["error"]["code"] == "showtime_cancelled"

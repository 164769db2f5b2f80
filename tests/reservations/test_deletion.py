"""Deleting catalogue rows that bookings reference (issue 2's contract, literally).

"Deleting a movie, theater, screen or showtime that has active or sold reservations
is refused with 409; without them it is 204." Active means an unexpired hold. A
showtime whose reservations are all history (cancelled, expired, or holds that
lapsed without a sweep) goes, and its reservations, seats and tickets go with it;
their audit events stay, with the reservation's code.
"""

import threading

import pytest
from django.db import connection
from rest_framework import status

from movies.models import Movie
from reservations import services
from reservations.models import (
    Reservation,
    ReservationEvent,
    ReservationStatus,
    ReservedSeat,
    Ticket,
)
from showtimes.models import Showtime
from tests.factories import ReservationFactory, ScreenFactory, ShowtimeFactory
from theaters.models import Screen, Seat, Theater

pytestmark = pytest.mark.django_db

TARGETS = {
    "movie": lambda s: (f"/api/movies/{s.movie_id}/", Movie, s.movie_id),
    "theater": lambda s: (
        f"/api/theaters/{s.screen.theater_id}/",
        Theater,
        s.screen.theater_id,
    ),
    "screen": lambda s: (f"/api/screens/{s.screen_id}/", Screen, s.screen_id),
    "showtime": lambda s: (f"/api/showtimes/{s.pk}/", Showtime, s.pk),
}


def history_only(showtime, user, staff, clock) -> list[Reservation]:
    """One reservation in every finished state, each with seats (and one with tickets)."""
    swept = ReservationFactory(user=user, showtime=showtime, seats=["A3"])
    clock.advance(seconds=601)
    services.expire_holds()
    cancelled_hold = ReservationFactory(user=user, showtime=showtime, seats=["A1"])
    services.cancel_reservation(reservation=cancelled_hold, actor=user)
    refunded = ReservationFactory(
        user=user, showtime=showtime, seats=["A2", "B2"], purchased=True
    )
    services.cancel_reservation(reservation=refunded, actor=staff)
    # Last, since any booking of this showtime would release it: a hold that lapsed
    # and was never swept, so still "held" in the table.
    lapsed = ReservationFactory(user=user, showtime=showtime, seats=["A4"])
    clock.advance(seconds=601)
    assert lapsed.status == ReservationStatus.HELD
    return [swept, lapsed, cancelled_hold, refunded]


def error_code(response) -> str:
    return response.json()["error"]["code"]


@pytest.mark.parametrize("target", TARGETS)
def test_a_held_unexpired_reservation_refuses_deletion(
    target, manager_client, user, staff, showtime, clock
):
    history = history_only(showtime, user, staff, clock)
    ReservationFactory(user=user, showtime=showtime, seats=["C1"])
    path, model, pk = TARGETS[target](showtime)

    response = manager_client.delete(path)

    assert response.status_code == status.HTTP_409_CONFLICT
    assert error_code(response) == "protected"
    assert model.objects.filter(pk=pk).exists()
    assert Reservation.objects.count() == len(history) + 1  # history kept too
    assert Ticket.objects.count() == 2


@pytest.mark.parametrize("target", TARGETS)
def test_a_sold_reservation_refuses_deletion(
    target, manager_client, user, showtime, gateway
):
    ReservationFactory(user=user, showtime=showtime, seats=["A1"], purchased=True)
    path, model, pk = TARGETS[target](showtime)

    response = manager_client.delete(path)

    assert response.status_code == status.HTTP_409_CONFLICT
    assert error_code(response) == "protected"
    assert model.objects.filter(pk=pk).exists()
    assert Showtime.objects.filter(pk=showtime.pk).exists()
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize("target", TARGETS)
def test_only_history_lets_deletion_through_and_keeps_the_audit(
    target, manager_client, user, staff, showtime, clock, gateway
):
    history = history_only(showtime, user, staff, clock)
    codes = sorted(r.code for r in history)
    events_before = ReservationEvent.objects.count()
    path, model, pk = TARGETS[target](showtime)

    response = manager_client.delete(path)

    assert response.status_code == status.HTTP_204_NO_CONTENT, response.content
    assert not model.objects.filter(pk=pk).exists()
    assert not Showtime.objects.filter(pk=showtime.pk).exists()
    assert not Reservation.objects.exists()
    assert not ReservedSeat.objects.exists()
    assert not Ticket.objects.exists()
    events = ReservationEvent.objects.all()
    assert events.count() == events_before
    assert not events.filter(reservation__isnull=False).exists()
    assert sorted(set(events.values_list("reservation_code", flat=True))) == codes


def test_one_live_showtime_protects_the_screen_of_a_finished_one(
    manager_client, user, staff, clock
):
    screen = ScreenFactory()
    finished = ShowtimeFactory(screen=screen)
    history_only(finished, user, staff, clock)
    ReservationFactory(user=user, showtime=ShowtimeFactory(screen=screen))

    response = manager_client.delete(f"/api/screens/{screen.pk}/")

    assert response.status_code == status.HTTP_409_CONFLICT
    assert Showtime.objects.filter(pk=finished.pk).exists()
    assert Reservation.objects.filter(showtime=finished).count() == 4


def test_without_any_reservation_deletion_is_204(manager_client, showtime):
    response = manager_client.delete(f"/api/showtimes/{showtime.pk}/")

    assert response.status_code == status.HTTP_204_NO_CONTENT


def test_seats_and_tickets_cannot_go_without_their_reservation(
    user, staff, showtime, clock
):
    """RESTRICT: a seat that a claim or ticket names is deleted only with them."""
    from django.db.models import RestrictedError

    history_only(showtime, user, staff, clock)

    with pytest.raises(RestrictedError):
        Seat.objects.filter(screen=showtime.screen, label="A2").delete()


def test_a_user_with_reservations_still_cannot_be_deleted(user, showtime):
    from django.db.models import ProtectedError

    ReservationFactory(user=user, showtime=showtime)
    services.cancel_reservation(reservation=Reservation.objects.get(), actor=user)

    with pytest.raises(ProtectedError):
        user.delete()


# --- screen layout changes ----------------------------------------------------------


def new_layout(screen) -> dict:
    return {
        "theater": screen.theater_id,
        "name": screen.name,
        "layout": [{"row": "A", "seats": 4, "category": "standard"}],
    }


def test_layout_change_is_refused_while_seats_are_booked(
    manager_client, user, showtime
):
    ReservationFactory(user=user, showtime=showtime)

    response = manager_client.put(
        f"/api/screens/{showtime.screen_id}/", new_layout(showtime.screen)
    )

    assert response.status_code == status.HTTP_409_CONFLICT
    assert error_code(response) == "screen_has_reservations"


def test_layout_change_is_refused_while_history_names_the_seats(
    manager_client, user, staff, showtime, clock
):
    """Decision: cancelled/expired reservations keep their seats (history), so the
    seats cannot be replaced under them: the same clear 409 as for live bookings."""
    history_only(showtime, user, staff, clock)
    seat_ids = set(showtime.screen.seats.values_list("pk", flat=True))

    response = manager_client.put(
        f"/api/screens/{showtime.screen_id}/", new_layout(showtime.screen)
    )

    assert response.status_code == status.HTTP_409_CONFLICT
    assert error_code(response) == "screen_has_reservations"
    assert set(showtime.screen.seats.values_list("pk", flat=True)) == seat_ids
    assert Reservation.objects.count() == 4


def test_layout_change_works_once_the_finished_showtime_is_deleted(
    manager_client, user, staff, showtime, clock
):
    history_only(showtime, user, staff, clock)
    screen = showtime.screen
    assert manager_client.delete(f"/api/showtimes/{showtime.pk}/").status_code == 204

    response = manager_client.put(f"/api/screens/{screen.pk}/", new_layout(screen))

    assert response.status_code == status.HTTP_200_OK, response.content
    assert sorted(screen.seats.values_list("label", flat=True)) == [
        "A1",
        "A2",
        "A3",
        "A4",
    ]


# --- a booking racing the deletion ----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_hold_made_while_deletion_collects_stops_the_deletion(
    manager_client, user, other_user, showtime
):
    """The collector reads reservations before its transaction: a hold committed in
    that gap must make the delete fail (the foreign key), never be orphaned."""
    reservation = ReservationFactory(user=user, showtime=showtime, seats=["A1"])
    services.cancel_reservation(reservation=reservation, actor=user)
    field = Reservation._meta.get_field("showtime")
    real = field.remote_field.on_delete
    booked = []

    def book():
        try:
            booked.append(
                services.create_reservation(
                    user=other_user, showtime=showtime, labels=["B1"]
                )
            )
        finally:
            connection.close()  # the thread's own connection

    def collect_then_let_a_booking_in(collector, field_, sub_objs, using):
        real(collector, field_, sub_objs, using)
        thread = threading.Thread(target=book)
        thread.start()
        thread.join()

    field.remote_field.on_delete = collect_then_let_a_booking_in
    try:
        response = manager_client.delete(f"/api/showtimes/{showtime.pk}/")
    finally:
        field.remote_field.on_delete = real

    assert len(booked) == 1
    assert response.status_code == status.HTTP_409_CONFLICT
    assert Showtime.objects.filter(pk=showtime.pk).exists()
    assert Reservation.objects.count() == 2
    assert ReservedSeat.objects.filter(is_active=True).get().reservation == booked[0]

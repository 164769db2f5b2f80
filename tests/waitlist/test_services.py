"""Offering freed seats: every path that frees seats, order, lapse, limits, email."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from events.periodic import periodic_jobs
from reservations import services as booking
from reservations.models import Reservation, ReservationStatus, ReservedSeat
from tests.factories import (
    ReservationFactory,
    ScreenFactory,
    ShowtimeFactory,
    UserFactory,
)
from waitlist import selectors, services, tasks
from waitlist.models import WaitlistEntry, WaitlistStatus

from .conftest import offer_emails

pytestmark = pytest.mark.django_db


def wait(showtime, seats=1, user=None):
    return services.join_waitlist(
        user=user or UserFactory(), showtime=showtime, seats=seats
    )


def refreshed(*entries):
    for entry in entries:
        entry.refresh_from_db()
    return [entry.status for entry in entries]


def offered_labels(entry) -> list[str]:
    entry.refresh_from_db()
    return sorted(
        entry.reservation.reserved_seats.filter(is_active=True).values_list(
            "seat__label", flat=True
        )
    )


def test_cancellation_offers_the_seat_as_a_hold_with_an_email(
    showtime, sold, buyer, clock, commit, settings
):
    settings.WAITLIST_OFFER_SECONDS = 900
    entry = wait(showtime, 1)

    with commit():
        booking.cancel_reservation(reservation=sold["A2"], actor=buyer)

    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.OFFERED
    offer = entry.reservation
    assert (offer.user, offer.status) == (entry.user, ReservationStatus.HELD)
    assert offer.expires_at == clock.now + timedelta(seconds=900)
    assert offered_labels(entry) == ["A2"]
    assert set(offer.reserved_seats.values_list("held_until", flat=True)) == {
        offer.expires_at
    }
    [email] = offer_emails()
    assert email.to == [entry.user.email]
    assert showtime.movie.title in email.subject
    assert "A2" in email.body
    assert offer.code in email.body
    assert f"/api/reservations/{offer.pk}/purchase/" in email.body


def test_the_offer_waits_for_the_commit(showtime, sold, buyer, commit):
    entry = wait(showtime, 1)

    def cancel_then_roll_back():
        with transaction.atomic():
            booking.cancel_reservation(reservation=sold["A1"], actor=buyer)
            raise RuntimeError("rolled back")

    with commit(), pytest.raises(RuntimeError):
        cancel_then_roll_back()

    assert refreshed(entry) == [WaitlistStatus.WAITING]
    assert Reservation.objects.get(pk=sold["A1"].pk).status == "confirmed"
    assert offer_emails() == []


def test_an_offer_can_be_bought_like_any_hold(showtime, sold, buyer, commit):
    entry = wait(showtime, 1)
    with commit():
        booking.cancel_reservation(reservation=sold["A1"], actor=buyer)
    entry.refresh_from_db()

    with commit():
        booking.purchase_reservation(reservation=entry.reservation)
        services.process_showtime(showtime_id=showtime.pk)

    assert refreshed(entry) == [WaitlistStatus.PURCHASED]
    assert entry.closed_at is not None


def test_first_entry_that_fits_gets_the_seats_in_order(showtime, sold, buyer, commit):
    wants_three, first, second, third = (
        wait(showtime, 3),
        wait(showtime, 1),
        wait(showtime, 1),
        wait(showtime, 1),
    )

    with commit():
        booking.cancel_reservation(reservation=sold["A1"], actor=buyer)
        booking.cancel_reservation(reservation=sold["A4"], actor=buyer)

    assert refreshed(wants_three, first, second, third) == [
        WaitlistStatus.WAITING,  # three do not fit in two
        WaitlistStatus.OFFERED,
        WaitlistStatus.OFFERED,
        WaitlistStatus.WAITING,
    ]
    assert offered_labels(first) + offered_labels(second) == ["A1", "A4"]


def test_two_freed_seats_go_to_the_first_entry_while_it_fits(
    showtime, sold, buyer, commit
):
    pair, single = wait(showtime, 2), wait(showtime, 1)

    with commit():
        booking.cancel_reservation(reservation=sold["A2"], actor=buyer)
    assert refreshed(pair, single) == [WaitlistStatus.WAITING, WaitlistStatus.OFFERED]

    with commit():
        booking.cancel_reservation(reservation=sold["A3"], actor=buyer)
        booking.cancel_reservation(reservation=sold["A4"], actor=buyer)

    assert refreshed(pair, single) == [WaitlistStatus.OFFERED, WaitlistStatus.OFFERED]
    assert offered_labels(pair) == ["A3", "A4"]  # the adjacent pair, best block


def test_apart_seats_are_offered_when_no_adjacent_block_is_left(
    showtime, sold, buyer, commit
):
    pair = wait(showtime, 2)

    with commit():
        booking.cancel_reservation(reservation=sold["A1"], actor=buyer)
        booking.cancel_reservation(reservation=sold["A3"], actor=buyer)

    assert offered_labels(pair) == ["A1", "A3"]


def test_an_unclaimed_offer_lapses_and_passes_to_the_next(
    showtime, sold, buyer, clock, commit, settings
):
    settings.WAITLIST_OFFER_SECONDS = 60
    first, second = wait(showtime, 1), wait(showtime, 1)
    with commit():
        booking.cancel_reservation(reservation=sold["A3"], actor=buyer)
    lapsing = Reservation.objects.get(
        pk=WaitlistEntry.objects.get(pk=first.pk).reservation_id
    )
    clock.advance(seconds=59)
    with commit():
        assert services.process_waitlists() == 0  # still within the offer
    assert refreshed(first, second) == [WaitlistStatus.OFFERED, WaitlistStatus.WAITING]

    clock.advance(seconds=1)
    out = StringIO()
    with commit():
        call_command("process_waitlists", stdout=out)

    assert out.getvalue() == "Made 1 waiting-list offer(s).\n"

    assert refreshed(first, second) == [WaitlistStatus.LAPSED, WaitlistStatus.OFFERED]
    lapsing.refresh_from_db()
    assert lapsing.status == ReservationStatus.EXPIRED
    assert offered_labels(second) == ["A3"]
    assert [m.to for m in offer_emails()] == [[first.user.email], [second.user.email]]


def test_the_periodic_job_lapses_offers(showtime, sold, buyer, clock, commit):
    job = periodic_jobs()["waitlist_offers"]
    assert job.task is tasks.process_all_waitlists
    first, second = wait(showtime, 1), wait(showtime, 1)
    with commit():
        booking.cancel_reservation(reservation=sold["A3"], actor=buyer)
    clock.advance(minutes=15)

    with commit():
        result = job.task.enqueue()

    assert result.return_value == 1  # one showtime's run enqueued (and run)
    assert refreshed(first, second) == [WaitlistStatus.LAPSED, WaitlistStatus.OFFERED]


def test_a_lapsed_ordinary_hold_is_offered(showtime, buyer, clock, commit):
    hold = ReservationFactory(showtime=showtime, seats=["A1", "A2", "A3", "A4"])
    entry = wait(showtime, 2)

    clock.advance(minutes=11)
    with commit():
        booking.expire_holds()

    hold.refresh_from_db()
    assert hold.status == ReservationStatus.EXPIRED
    assert offered_labels(entry) == ["A2", "A3"]


def test_a_hold_that_gives_seats_back_is_offered(showtime, commit):
    hold = ReservationFactory(showtime=showtime, seats=["A1", "A2", "A3", "A4"])
    entry = wait(showtime, 1)

    with commit():
        booking.change_seats(reservation=hold, labels=["A1", "A2", "A3"])

    assert offered_labels(entry) == ["A4"]


def test_a_removed_showtime_block_is_offered(showtime, sold, buyer, staff, commit):
    booking.cancel_reservation(reservation=sold["A2"], actor=buyer)
    block = booking.block_seats(
        showtime=showtime, labels=["A2"], reason="broken", actor=staff
    )
    entry = wait(showtime, 1)

    with commit():
        booking.remove_block(block=block, actor=staff)

    assert offered_labels(entry) == ["A2"]


def test_a_removed_screen_block_is_offered(showtime, sold, buyer, staff, commit):
    booking.cancel_reservation(reservation=sold["A2"], actor=buyer)
    result = booking.block_screen_seats(
        screen=showtime.screen, labels=["A2"], reason="broken", actor=staff
    )
    entry = wait(showtime, 1)

    with commit():
        booking.remove_screen_block(block=result.block, actor=staff)

    assert offered_labels(entry) == ["A2"]


def test_a_swap_frees_the_seat_it_gives_up(showtime, buyer, commit):
    owner = UserFactory()
    swapping = ReservationFactory(
        user=owner, showtime=showtime, seats=["A1"], purchased=True
    )
    for label in ("A2", "A3"):
        ReservationFactory(showtime=showtime, seats=[label], purchased=True)
    entry = wait(showtime, 2)  # one seat is free: two do not fit
    assert refreshed(entry) == [WaitlistStatus.WAITING]

    with commit():
        booking.swap_seats(
            reservation=swapping, from_labels=["A1"], to_labels=["A4"], actor=owner
        )
        booking.cancel_reservation(reservation=swapping, actor=owner)

    assert offered_labels(entry) == ["A1", "A4"]


def test_offers_respect_hoarding_limits_and_keep_the_place(
    showtime, sold, buyer, commit, settings
):
    settings.RESERVATION_MAX_ACTIVE_HOLDS = 1
    hoarder = UserFactory()
    ReservationFactory(user=hoarder, seats=["A1"])  # on another showtime
    first, second = wait(showtime, 1, user=hoarder), wait(showtime, 1)

    with commit():
        booking.cancel_reservation(reservation=sold["A1"], actor=buyer)

    assert refreshed(first, second) == [WaitlistStatus.WAITING, WaitlistStatus.OFFERED]
    mine = selectors.list_entries(user=hoarder).get(pk=first.pk)
    assert mine.queue_position == 1  # still first in the queue


def test_cancelling_the_showtime_closes_its_waiting_list(
    showtime, sold, buyer, manager, commit
):
    offered, waiting = wait(showtime, 1), wait(showtime, 1)
    with commit():
        booking.cancel_reservation(reservation=sold["A1"], actor=buyer)

    from showtimes.services import update_showtime

    with commit():
        update_showtime(showtime=showtime, actor=manager, is_cancelled=True)

    assert refreshed(offered, waiting) == [WaitlistStatus.CLOSED, WaitlistStatus.CLOSED]


def test_a_started_showtime_closes_its_waiting_list(showtime, sold, clock):
    entry = wait(showtime, 1)
    clock.now = showtime.starts_at

    assert services.process_waitlists() == 0

    assert refreshed(entry) == [WaitlistStatus.CLOSED]


def test_no_email_for_an_account_without_an_address(showtime, sold, buyer, commit):
    entry = wait(showtime, 1, user=UserFactory(email=""))

    with commit():
        booking.cancel_reservation(reservation=sold["A1"], actor=buyer)

    assert refreshed(entry) == [WaitlistStatus.OFFERED]
    assert offer_emails() == []


def test_wheelchair_spaces_are_not_offered(buyer, commit):
    layout = [
        {
            "row": "A",
            "seats": 2,
            "category": "standard",
            "wheelchair": [1],
            "companion": [2],
        },
        {"row": "B", "seats": 1, "category": "standard"},
    ]
    showtime = ShowtimeFactory(screen=ScreenFactory(layout=layout))
    sold_b1 = ReservationFactory(showtime=showtime, seats=["B1"], purchased=True)
    entry = wait(showtime, 1)  # A1 and A2 are kept for wheelchair users

    with commit():
        booking.cancel_reservation(reservation=sold_b1, actor=sold_b1.user)

    assert offered_labels(entry) == ["B1"]
    assert (
        ReservedSeat.objects.filter(is_active=True, seat__label__startswith="A").count()
        == 0
    )

"""Check-in rules: once per ticket, only valid tickets, only inside the window."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from reservations import services as booking
from reservations.models import ReservationEvent, Ticket
from tests.factories import ShowtimeFactory, UserFactory
from tickets.exceptions import (
    AlreadyCheckedIn,
    CheckInClosed,
    ShowtimeCancelled,
    TicketNotFound,
    TicketVoid,
)
from tickets.services import check_in_ticket, check_in_window

from .conftest import buy

pytestmark = pytest.mark.django_db


def test_check_in_stamps_the_ticket_once(ticket):
    checked = check_in_ticket(code=ticket.code)
    ticket.refresh_from_db()
    assert ticket.checked_in_at == checked.checked_in_at is not None


def test_check_in_is_recorded_in_the_reservation_history(ticket, box_office):
    checked = check_in_ticket(code=ticket.code, actor=box_office)

    event = ReservationEvent.objects.get(action="checked_in")
    assert event.reservation == ticket.reservation
    assert event.actor == box_office
    assert event.at == checked.checked_in_at
    assert event.details == {"ticket": ticket.pk, "seat": "A1"}


def test_refused_check_in_records_nothing(ticket):
    check_in_ticket(code=ticket.code)
    with pytest.raises(AlreadyCheckedIn):
        check_in_ticket(code=ticket.code)

    assert ReservationEvent.objects.filter(action="checked_in").count() == 1


def test_second_check_in_reports_the_first_time(ticket):
    first = check_in_ticket(code=ticket.code).checked_in_at
    with pytest.raises(AlreadyCheckedIn) as exc:
        check_in_ticket(code=ticket.code)
    assert exc.value.details == {"checked_in_at": first}


def test_unknown_code_is_not_found(db):
    with pytest.raises(TicketNotFound):
        check_in_ticket(code="no-such-ticket")


def test_cancelled_reservation_ticket_is_void(staff, ticket):
    # Staff may cancel this close to the show; the owner no longer could.
    booking.cancel_reservation(reservation=ticket.reservation, actor=staff)
    with pytest.raises(TicketVoid):
        check_in_ticket(code=ticket.code)
    assert Ticket.objects.get(pk=ticket.pk).checked_in_at is None


def test_void_flag_alone_refuses(ticket):
    Ticket.objects.filter(pk=ticket.pk).update(is_void=True)
    with pytest.raises(TicketVoid):
        check_in_ticket(code=ticket.code)


def test_cancelled_showtime_refuses(ticket):
    showtime = ticket.reservation.showtime
    type(showtime).objects.filter(pk=showtime.pk).update(is_cancelled=True)
    with pytest.raises(ShowtimeCancelled):
        check_in_ticket(code=ticket.code)


@pytest.mark.parametrize(
    ("moment", "allowed"),
    [
        ("opens", True),
        ("closes", True),
        ("before_opening", False),
        ("after_closing", False),
    ],
)
def test_window_is_two_hours_before_start_to_the_end(ticket, moment, allowed):
    opens_at, closes_at = check_in_window(ticket.reservation.showtime)
    now = {
        "opens": opens_at,
        "closes": closes_at,
        "before_opening": opens_at - timedelta(seconds=1),
        "after_closing": closes_at + timedelta(seconds=1),
    }[moment]
    if allowed:
        assert check_in_ticket(code=ticket.code, now=now).checked_in_at == now
    else:
        with pytest.raises(CheckInClosed) as exc:
            check_in_ticket(code=ticket.code, now=now)
        assert exc.value.details == {"opens_at": opens_at, "closes_at": closes_at}
        assert Ticket.objects.get(pk=ticket.pk).checked_in_at is None


def test_window_matches_the_showtime(soon_showtime):
    assert check_in_window(soon_showtime) == (
        soon_showtime.starts_at - timedelta(hours=2),
        soon_showtime.ends_at,
    )


def test_tomorrows_ticket_cannot_be_used_today(user):
    showtime = ShowtimeFactory(starts_at=timezone.now() + timedelta(days=1))
    ticket = buy(user=user, showtime=showtime, labels=["B2"]).tickets.get()
    with pytest.raises(CheckInClosed):
        check_in_ticket(code=ticket.code)


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_scan_checks_in_once():
    """Several scanners read the same ticket at once: exactly one lets it in."""
    showtime = ShowtimeFactory(starts_at=timezone.now() + timedelta(hours=1))
    ticket = buy(user=UserFactory(), showtime=showtime, labels=["A1"]).tickets.get()
    scanners = 6
    barrier = threading.Barrier(scanners)
    outcomes: list[str] = []
    lock = threading.Lock()

    def scan():
        try:
            barrier.wait()
            check_in_ticket(code=ticket.code)
            result = "ok"
        except AlreadyCheckedIn:
            result = "already"
        except Exception as exc:  # any other outcome fails the test below
            result = repr(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=scan) for _ in range(scanners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["already"] * (scanners - 1) + ["ok"]
    assert Ticket.objects.get(pk=ticket.pk).checked_in_at is not None

"""Booking rules, exercised through reservations/services.py directly."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError
from rest_framework import status

from reservations import services
from reservations.exceptions import (
    CancellationClosed,
    HoldExpired,
    InvalidSeatSelection,
    PaymentDeclined,
    ReservationNotActive,
    ReservationNotHeld,
    SeatsUnavailable,
    ShowtimeClosed,
    UnknownSeats,
)
from reservations.models import (
    Reservation,
    ReservationStatus,
    ReservedSeat,
    ReservedSeatQuerySet,
    Ticket,
)
from showtimes.models import Showtime
from tests.factories import ReservationFactory, ShowtimeFactory
from tests.seams import switch_guards_off

from .helpers import active_labels, seat_states

pytestmark = pytest.mark.django_db


def hold(user, showtime, *labels):
    return services.create_reservation(user=user, showtime=showtime, labels=labels)


def seats_of(reservation) -> list[str]:
    return sorted(
        reservation.reserved_seats.filter(is_active=True).values_list(
            "seat__label", flat=True
        )
    )


def claims_snapshot(reservation) -> list[tuple]:
    return list(
        ReservedSeat.objects.filter(reservation=reservation)
        .order_by("pk")
        .values_list("pk", "seat__label", "price", "is_active", "held_until")
    )


# --- create -------------------------------------------------------------------------


def test_create_reservation_holds_seats_priced_by_category(user, showtime, clock):
    reservation = hold(user, showtime, "A1", "C2")

    assert reservation.status == ReservationStatus.HELD
    assert reservation.user == user
    assert reservation.total_price == Decimal("25.50")
    assert reservation.expires_at == clock.now + timedelta(seconds=600)
    assert reservation.created_at == clock.now
    prices = dict(reservation.reserved_seats.values_list("seat__label", "price"))
    assert prices == {"A1": Decimal("10.00"), "C2": Decimal("15.50")}
    assert set(reservation.reserved_seats.values_list("held_until", flat=True)) == {
        reservation.expires_at
    }
    assert active_labels(showtime) == ["A1", "C2"]


def test_create_reservation_hold_length_follows_setting(
    user, showtime, clock, settings
):
    settings.RESERVATION_HOLD_SECONDS = 90

    reservation = hold(user, showtime, "A1")

    assert reservation.expires_at == clock.now + timedelta(seconds=90)


def test_create_reservation_normalises_labels(user, showtime):
    reservation = hold(user, showtime, " a1 ", "c3")

    assert seats_of(reservation) == ["A1", "C3"]


def test_reservation_codes_are_short_unique_and_unambiguous(user, showtime, settings):
    settings.RESERVATION_MAX_ACTIVE_HOLDS = 10
    codes = [hold(user, showtime, f"A{n}").code for n in range(1, 11)]

    assert len(set(codes)) == len(codes)
    for code in codes:
        assert len(code) == 8
        assert not set(code) & set("01OIL")
        assert set(code) <= set(services.CODE_ALPHABET)


def test_create_reservation_rejects_taken_seat_and_reserves_nothing(
    user, other_user, showtime
):
    hold(other_user, showtime, "A2")

    with pytest.raises(SeatsUnavailable) as excinfo:
        hold(user, showtime, "A1", "A2", "A3")

    assert excinfo.value.status_code == status.HTTP_409_CONFLICT
    assert excinfo.value.code == "seats_unavailable"
    assert excinfo.value.details == {"seats": ["A2"]}
    assert not Reservation.objects.filter(user=user).exists()
    assert active_labels(showtime) == ["A2"]


def test_create_reservation_rejects_sold_seat(user, other_user, showtime, gateway):
    ReservationFactory(user=other_user, showtime=showtime, seats=["B5"], purchased=True)

    with pytest.raises(SeatsUnavailable) as excinfo:
        hold(user, showtime, "B5", "B6")

    assert excinfo.value.details == {"seats": ["B5"]}
    assert active_labels(showtime) == ["B5"]


def test_seats_of_another_showtime_do_not_conflict(user, other_user, showtime):
    hold(other_user, showtime, "A1")
    later = ShowtimeFactory(screen=showtime.screen)

    assert seats_of(hold(user, later, "A1")) == ["A1"]


def test_create_reservation_rejects_unknown_labels(user, showtime):
    with pytest.raises(UnknownSeats) as excinfo:
        hold(user, showtime, "A1", "Z9", "A11")

    assert excinfo.value.status_code == status.HTTP_400_BAD_REQUEST
    assert excinfo.value.details == {"seats": ["A11", "Z9"]}
    assert not Reservation.objects.exists()
    assert not ReservedSeat.objects.exists()


@pytest.mark.parametrize(
    "labels",
    [
        pytest.param([], id="empty"),
        pytest.param(["A1", "A1"], id="duplicate"),
        pytest.param(["A1", "a1 "], id="duplicate-after-normalising"),
        pytest.param([f"A{n}" for n in range(1, 5)], id="too-many"),
    ],
)
def test_create_reservation_rejects_invalid_selection(user, showtime, settings, labels):
    settings.RESERVATION_MAX_SEATS = 3

    with pytest.raises(InvalidSeatSelection) as excinfo:
        services.create_reservation(user=user, showtime=showtime, labels=labels)

    assert excinfo.value.status_code == status.HTTP_400_BAD_REQUEST
    assert not Reservation.objects.exists()


def test_create_reservation_allows_exactly_the_maximum(user, showtime, settings):
    settings.RESERVATION_MAX_SEATS = 3

    assert len(seats_of(hold(user, showtime, "A1", "A2", "A3"))) == 3


def test_create_reservation_rejects_started_showtime(user, clock):
    showtime = ShowtimeFactory(starts_at=clock.now + timedelta(minutes=5))
    clock.advance(minutes=5)

    with pytest.raises(ShowtimeClosed) as excinfo:
        hold(user, showtime, "A1")

    assert excinfo.value.status_code == status.HTTP_400_BAD_REQUEST
    assert not Reservation.objects.exists()


def test_create_reservation_rejects_cancelled_showtime(user):
    showtime = ShowtimeFactory(is_cancelled=True)

    with pytest.raises(ShowtimeClosed):
        hold(user, showtime, "A1")

    assert not Reservation.objects.exists()


def test_create_reservation_rereads_showtime_under_lock(user, showtime):
    """The caller's instance may be stale: the service decides on the locked row."""
    stale = Showtime.objects.get(pk=showtime.pk)
    Showtime.objects.filter(pk=showtime.pk).update(is_cancelled=True)

    with pytest.raises(ShowtimeClosed):
        hold(user, stale, "A1")


def test_unique_index_refuses_what_a_skipped_check_lets_through(
    user, other_user, showtime, monkeypatch
):
    """With the application guard off, the partial unique index still says no (409)."""
    hold(other_user, showtime, "A2")
    switch_guards_off(monkeypatch)

    with pytest.raises(SeatsUnavailable) as excinfo:
        hold(user, showtime, "A1", "A2")

    assert excinfo.value.details == {"seats": ["A2"]}
    assert not Reservation.objects.filter(user=user).exists()
    assert active_labels(showtime) == ["A2"]


def test_an_expired_hold_does_not_block_its_seats(user, other_user, showtime, clock):
    stale = hold(other_user, showtime, "A1", "A2")
    clock.advance(seconds=600)

    fresh = hold(user, showtime, "A2", "A3")

    assert seats_of(fresh) == ["A2", "A3"]
    stale.refresh_from_db()
    assert stale.status == ReservationStatus.EXPIRED
    assert seats_of(stale) == []
    assert active_labels(showtime) == ["A2", "A3"]


# --- change_seats -------------------------------------------------------------------


def test_change_seats_replaces_seats_and_total(user, showtime, clock):
    reservation = hold(user, showtime, "A1", "A2")
    expires_at = reservation.expires_at
    clock.advance(seconds=300)

    changed = services.change_seats(reservation=reservation, labels=["A2", "C1"])

    assert seats_of(changed) == ["A2", "C1"]
    assert changed.total_price == Decimal("25.50")
    changed.refresh_from_db()
    assert changed.total_price == Decimal("25.50")
    assert changed.expires_at == expires_at  # editing never extends a hold
    assert set(changed.reserved_seats.values_list("held_until", flat=True)) == {
        expires_at
    }
    assert active_labels(showtime) == ["A2", "C1"]


def test_change_seats_frees_dropped_seats_for_others(user, other_user, showtime):
    reservation = hold(user, showtime, "A1", "A2")
    services.change_seats(reservation=reservation, labels=["A2"])

    assert seats_of(hold(other_user, showtime, "A1")) == ["A1"]


def test_change_seats_conflict_keeps_old_seats_exactly(user, other_user, showtime):
    reservation = hold(user, showtime, "A1", "A2")
    hold(other_user, showtime, "B1")
    before = claims_snapshot(reservation)

    with pytest.raises(SeatsUnavailable) as excinfo:
        services.change_seats(reservation=reservation, labels=["A2", "B1", "B2"])

    assert excinfo.value.details == {"seats": ["B1"]}
    assert claims_snapshot(reservation) == before
    reservation.refresh_from_db()
    assert reservation.total_price == Decimal("20.00")
    assert active_labels(showtime) == ["A1", "A2", "B1"]


def test_change_seats_backstop_conflict_is_409_and_keeps_old_seats(
    user, other_user, showtime, monkeypatch
):
    """Moving onto a taken seat past a skipped check: the index refuses, not a 500."""
    reservation = hold(user, showtime, "A1")
    hold(other_user, showtime, "B1")
    before = claims_snapshot(reservation)
    switch_guards_off(monkeypatch)

    with pytest.raises(SeatsUnavailable) as excinfo:
        services.change_seats(reservation=reservation, labels=["B1"])

    assert excinfo.value.details == {"seats": ["B1"]}
    assert claims_snapshot(reservation) == before


def test_change_seats_rejects_unknown_labels_and_keeps_seats(user, showtime):
    reservation = hold(user, showtime, "A1")
    before = claims_snapshot(reservation)

    with pytest.raises(UnknownSeats):
        services.change_seats(reservation=reservation, labels=["A2", "Q7"])

    assert claims_snapshot(reservation) == before


def test_change_seats_of_confirmed_reservation_is_409(user, showtime, gateway):
    reservation = ReservationFactory(user=user, showtime=showtime, purchased=True)

    with pytest.raises(ReservationNotHeld) as excinfo:
        services.change_seats(reservation=reservation, labels=["A5"])

    assert excinfo.value.status_code == status.HTTP_409_CONFLICT
    assert seats_of(reservation) == ["A1"]


def test_change_seats_of_cancelled_reservation_is_409(user, showtime):
    reservation = hold(user, showtime, "A1")
    services.cancel_reservation(reservation=reservation, actor=user)

    with pytest.raises(ReservationNotHeld):
        services.change_seats(reservation=reservation, labels=["A5"])

    assert active_labels(showtime) == []


def test_change_seats_of_expired_hold_expires_it(user, showtime, clock):
    reservation = hold(user, showtime, "A1")
    clock.advance(seconds=601)

    with pytest.raises(HoldExpired):
        services.change_seats(reservation=reservation, labels=["A2"])

    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.EXPIRED
    assert active_labels(showtime) == []


# --- purchase -----------------------------------------------------------------------


def test_purchase_confirms_and_issues_one_ticket_per_seat(
    user, showtime, clock, gateway
):
    reservation = hold(user, showtime, "A1", "C2")

    confirmed = services.purchase_reservation(
        reservation=reservation, payment_token="tok_visa"
    )

    assert confirmed.status == ReservationStatus.CONFIRMED
    assert confirmed.confirmed_at == clock.now
    tickets = list(Ticket.objects.filter(reservation=reservation))
    assert sorted(t.seat.label for t in tickets) == ["A1", "C2"]
    assert all(len(t.code) >= 16 for t in tickets)
    assert len({t.code for t in tickets}) == 2
    assert not any(t.is_void for t in tickets)
    assert [c.amount for c in gateway.charges] == [Decimal("25.50")]
    assert gateway.refunds == []
    assert confirmed.payment_reference == gateway.charges[0].reference
    assert set(confirmed.reserved_seats.values_list("held_until", flat=True)) == {None}


def test_ticket_codes_are_random_and_unguessable(user, gateway):
    codes = []
    for _ in range(5):
        showtime = ShowtimeFactory()
        reservation = hold(user, showtime, "A1", "A2")
        services.purchase_reservation(reservation=reservation)
        codes += list(reservation.tickets.values_list("code", flat=True))

    assert len(set(codes)) == len(codes) == 10
    assert min(len(code) for code in codes) >= 16
    # No shared prefix: codes are not sequential or derived from ids.
    assert len({code[:4] for code in codes}) > 5


def test_purchased_seats_show_as_sold(user, showtime, gateway, api_client, clock):
    reservation = hold(user, showtime, "A1")
    services.purchase_reservation(reservation=reservation)
    clock.advance(days=1)  # a sale never lapses

    assert seat_states(api_client, showtime)["A1"] == "sold"


def test_declined_payment_is_402_and_leaves_hold_unchanged(user, showtime, gateway):
    reservation = hold(user, showtime, "A1", "A2")
    before = claims_snapshot(reservation)

    with pytest.raises(PaymentDeclined) as excinfo:
        services.purchase_reservation(
            reservation=reservation, payment_token="tok_declined"
        )

    assert excinfo.value.status_code == status.HTTP_402_PAYMENT_REQUIRED
    fresh = Reservation.objects.get(pk=reservation.pk)
    assert fresh.status == ReservationStatus.HELD
    assert fresh.expires_at == reservation.expires_at
    assert fresh.confirmed_at is None
    assert claims_snapshot(reservation) == before
    assert not Ticket.objects.exists()
    assert gateway.charges == []
    assert gateway.declined == 1


def test_built_in_test_gateway_declines_only_tok_declined(user, showtime, settings):
    settings.PAYMENT_GATEWAY = "reservations.payments.TestGateway"
    reservation = hold(user, showtime, "A1")

    with pytest.raises(PaymentDeclined):
        services.purchase_reservation(
            reservation=reservation, payment_token="tok_declined"
        )
    confirmed = services.purchase_reservation(
        reservation=reservation, payment_token="anything"
    )

    assert confirmed.status == ReservationStatus.CONFIRMED


def test_purchase_of_expired_hold_is_hold_expired_and_frees_seats(
    user, other_user, showtime, clock, gateway
):
    reservation = hold(user, showtime, "A1", "A2")
    clock.advance(seconds=600)

    with pytest.raises(HoldExpired) as excinfo:
        services.purchase_reservation(reservation=reservation)

    assert excinfo.value.status_code == status.HTTP_409_CONFLICT
    assert excinfo.value.code == "hold_expired"
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.EXPIRED
    assert active_labels(showtime) == []
    assert gateway.charges == []
    assert not Ticket.objects.exists()

    # Not resurrected: the seats go to someone else, and retrying still fails.
    hold(other_user, showtime, "A1")
    with pytest.raises(HoldExpired):
        services.purchase_reservation(reservation=reservation)
    assert active_labels(showtime) == ["A1"]
    assert gateway.charges == []


def test_hold_lapsing_during_the_charge_is_refunded(user, showtime, clock, gateway):
    reservation = hold(user, showtime, "A1")
    gateway.on_charge = lambda charge: clock.advance(seconds=601)

    with pytest.raises(HoldExpired):
        services.purchase_reservation(reservation=reservation)

    assert len(gateway.charges) == 1
    assert gateway.refunds == [(gateway.charges[0].reference, Decimal("10.00"))]
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.EXPIRED
    assert active_labels(showtime) == []
    assert not Ticket.objects.exists()


def test_hold_cancelled_during_the_charge_is_refunded(user, showtime, gateway):
    reservation = hold(user, showtime, "A1")
    gateway.on_charge = lambda charge: services.cancel_reservation(
        reservation=reservation, actor=user
    )

    with pytest.raises(ReservationNotHeld):
        services.purchase_reservation(reservation=reservation)

    assert gateway.net_charges() == 0
    assert not Ticket.objects.exists()


def test_purchase_again_does_not_charge_or_issue_twice(user, showtime, gateway):
    reservation = hold(user, showtime, "A1", "A2")
    first = services.purchase_reservation(reservation=reservation)
    codes = set(first.tickets.values_list("code", flat=True))

    again = services.purchase_reservation(reservation=reservation)

    assert again.pk == first.pk
    assert again.status == ReservationStatus.CONFIRMED
    assert again.confirmed_at == first.confirmed_at
    assert set(Ticket.objects.values_list("code", flat=True)) == codes
    assert len(gateway.charges) == 1


def test_purchase_when_a_concurrent_purchase_won_refunds(user, showtime, gateway):
    """The loser of two simultaneous purchases is refunded and sees the winner's result."""
    reservation = hold(user, showtime, "A1")

    def confirm_elsewhere(charge):
        gateway.on_charge = None
        services.purchase_reservation(reservation=reservation)

    gateway.on_charge = confirm_elsewhere

    result = services.purchase_reservation(reservation=reservation)

    assert result.status == ReservationStatus.CONFIRMED
    assert Ticket.objects.count() == 1
    assert len(gateway.charges) == 2
    assert gateway.net_charges() == 1


def test_purchase_of_cancelled_reservation_is_409(user, showtime, gateway):
    reservation = hold(user, showtime, "A1")
    services.cancel_reservation(reservation=reservation, actor=user)

    with pytest.raises(ReservationNotHeld):
        services.purchase_reservation(reservation=reservation)

    assert gateway.charges == []


def test_purchase_for_a_cancelled_showtime_is_refused(user, showtime, gateway):
    reservation = hold(user, showtime, "A1")
    Showtime.objects.filter(pk=showtime.pk).update(is_cancelled=True)

    with pytest.raises(ShowtimeClosed):
        services.purchase_reservation(reservation=reservation)

    assert gateway.charges == []
    assert not Ticket.objects.exists()


# --- cancel -------------------------------------------------------------------------


def test_cancel_held_frees_seats_at_once(user, other_user, showtime, clock):
    reservation = hold(user, showtime, "A1", "A2")

    cancelled = services.cancel_reservation(reservation=reservation, actor=user)

    assert cancelled.status == ReservationStatus.CANCELLED
    assert cancelled.cancelled_at == clock.now
    assert cancelled.refund_amount == Decimal("0.00")
    assert active_labels(showtime) == []
    # History is kept: the rows stay, inactive.
    assert seats_of(cancelled) == []
    assert reservation.reserved_seats.count() == 2
    assert seats_of(hold(other_user, showtime, "A1", "A2")) == ["A1", "A2"]


def test_owner_cancels_purchase_before_cutoff_with_refund(
    user, showtime, gateway, django_capture_on_commit_callbacks
):
    reservation = ReservationFactory(
        user=user, showtime=showtime, seats=["A1", "C1"], purchased=True
    )

    with django_capture_on_commit_callbacks(execute=True):
        cancelled = services.cancel_reservation(reservation=reservation, actor=user)

    cancelled.refresh_from_db()
    assert cancelled.status == ReservationStatus.CANCELLED
    assert cancelled.refund_amount == Decimal("25.50")
    assert cancelled.confirmed_at is not None
    assert set(cancelled.tickets.values_list("is_void", flat=True)) == {True}
    assert active_labels(showtime) == []
    assert gateway.refunds == [(cancelled.payment_reference, Decimal("25.50"))]


def test_owner_cannot_cancel_purchase_after_cutoff(user, gateway, clock):
    showtime = ShowtimeFactory(starts_at=clock.now + timedelta(hours=3))
    reservation = ReservationFactory(user=user, showtime=showtime, purchased=True)
    clock.now = showtime.starts_at - timedelta(minutes=60)

    with pytest.raises(CancellationClosed) as excinfo:
        services.cancel_reservation(reservation=reservation, actor=user)

    assert excinfo.value.status_code == status.HTTP_409_CONFLICT
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CONFIRMED
    assert reservation.refund_amount is None
    assert set(reservation.tickets.values_list("is_void", flat=True)) == {False}
    assert active_labels(showtime) == ["A1"]


def test_owner_can_cancel_just_before_cutoff(user, gateway, clock, settings):
    settings.CANCELLATION_CUTOFF_MINUTES = 30
    showtime = ShowtimeFactory(starts_at=clock.now + timedelta(hours=3))
    reservation = ReservationFactory(user=user, showtime=showtime, purchased=True)
    clock.now = showtime.starts_at - timedelta(minutes=31)

    cancelled = services.cancel_reservation(reservation=reservation, actor=user)

    assert cancelled.status == ReservationStatus.CANCELLED


def test_staff_can_cancel_purchase_after_cutoff(user, staff, gateway, clock):
    showtime = ShowtimeFactory(starts_at=clock.now + timedelta(hours=3))
    reservation = ReservationFactory(user=user, showtime=showtime, purchased=True)
    clock.now = showtime.starts_at + timedelta(minutes=5)

    cancelled = services.cancel_reservation(reservation=reservation, actor=staff)

    assert cancelled.status == ReservationStatus.CANCELLED
    assert cancelled.refund_amount == Decimal("10.00")
    assert active_labels(showtime) == []


def test_cancel_twice_is_409(user, showtime):
    reservation = hold(user, showtime, "A1")
    services.cancel_reservation(reservation=reservation, actor=user)

    with pytest.raises(ReservationNotActive) as excinfo:
        services.cancel_reservation(reservation=reservation, actor=user)

    assert excinfo.value.status_code == status.HTTP_409_CONFLICT


def test_cancel_expired_hold_is_409(user, showtime, clock):
    reservation = hold(user, showtime, "A1")
    clock.advance(seconds=600)

    with pytest.raises(ReservationNotActive):
        services.cancel_reservation(reservation=reservation, actor=user)

    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.EXPIRED


# --- expiry -------------------------------------------------------------------------


def test_expire_holds_command_expires_only_stale_holds(user, clock, gateway):
    first, second = ShowtimeFactory(), ShowtimeFactory()
    stale_a = hold(user, first, "A1")
    stale_b = hold(user, second, "A1", "A2")
    sold = ReservationFactory(user=user, showtime=first, seats=["B1"], purchased=True)
    clock.advance(seconds=300)
    fresh = hold(user, second, "C1")
    clock.advance(seconds=300)

    out = io.StringIO()
    call_command("expire_holds", stdout=out)

    assert out.getvalue().strip() == "Expired 2 hold(s)."
    statuses = dict(Reservation.objects.values_list("pk", "status"))
    assert statuses == {
        stale_a.pk: ReservationStatus.EXPIRED,
        stale_b.pk: ReservationStatus.EXPIRED,
        sold.pk: ReservationStatus.CONFIRMED,
        fresh.pk: ReservationStatus.HELD,
    }
    assert active_labels(first) == ["B1"]
    assert active_labels(second) == ["C1"]

    out = io.StringIO()
    call_command("expire_holds", stdout=out)
    assert out.getvalue().strip() == "Expired 0 hold(s)."


def test_seat_map_shows_expired_hold_available_before_any_sweep(
    user, showtime, clock, api_client
):
    reservation = hold(user, showtime, "A1", "C1")
    assert seat_states(api_client, showtime)["A1"] == "held"
    assert seat_states(api_client, showtime)["C1"] == "held"

    clock.advance(seconds=600)

    states = seat_states(api_client, showtime)
    assert states["A1"] == states["C1"] == "available"
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.HELD  # nothing swept yet


def test_available_seats_agrees_with_seat_map(
    user, other_user, showtime, clock, gateway, api_client
):
    def available_in_seat_map():
        return list(seat_states(api_client, showtime).values()).count("available")

    def available_seats():
        detail = api_client.get(f"/api/showtimes/{showtime.pk}/").json()
        listed = {
            row["id"]: row["available_seats"]
            for row in api_client.get("/api/showtimes/?page_size=100").json()["results"]
        }
        assert listed[showtime.pk] == detail["available_seats"]
        return detail["available_seats"]

    assert available_seats() == available_in_seat_map() == 28
    hold(user, showtime, "A1", "A2")
    ReservationFactory(user=other_user, showtime=showtime, seats=["C1"], purchased=True)
    clock.advance(seconds=300)
    hold(other_user, showtime, "B1")
    assert available_seats() == available_in_seat_map() == 24

    clock.advance(seconds=300)  # the first hold lapses; nobody has swept it
    assert available_seats() == available_in_seat_map() == 26

    clock.advance(seconds=300)
    assert available_seats() == available_in_seat_map() == 27


# --- all or nothing under injected failures -----------------------------------------


def fail_halfway(monkeypatch, manager) -> None:
    """Make ``manager.bulk_create`` really write the first row, then blow up."""
    real = manager.bulk_create

    def bulk_create(objs, *args, **kwargs):
        real(list(objs)[:1], *args, **kwargs)
        raise RuntimeError("injected failure halfway")

    monkeypatch.setattr(manager, "bulk_create", bulk_create)


def test_create_failing_halfway_leaves_nothing(user, showtime, monkeypatch):
    fail_halfway(monkeypatch, ReservedSeat.objects)

    with pytest.raises(RuntimeError, match="injected"):
        hold(user, showtime, "A1", "A2", "A3")

    assert not Reservation.objects.exists()
    assert not ReservedSeat.objects.exists()
    monkeypatch.undo()
    assert seats_of(hold(user, showtime, "A1")) == ["A1"]


def test_create_integrity_error_from_the_insert_is_409_with_nothing_left(
    user, showtime, monkeypatch
):
    def collide(objs, *args, **kwargs):
        raise IntegrityError("simulated unique violation")

    monkeypatch.setattr(ReservedSeat.objects, "bulk_create", collide)

    with pytest.raises(SeatsUnavailable):
        hold(user, showtime, "A1", "A2")

    assert not Reservation.objects.exists()


def test_change_seats_failing_halfway_keeps_old_seats(user, showtime, monkeypatch):
    reservation = hold(user, showtime, "A1", "A2")
    before = claims_snapshot(reservation)
    fail_halfway(monkeypatch, ReservedSeat.objects)

    with pytest.raises(RuntimeError, match="injected"):
        services.change_seats(reservation=reservation, labels=["B1", "B2"])

    assert claims_snapshot(reservation) == before
    reservation.refresh_from_db()
    assert reservation.total_price == Decimal("20.00")
    assert active_labels(showtime) == ["A1", "A2"]


def test_purchase_failing_after_charge_refunds_and_keeps_hold(
    user, showtime, gateway, monkeypatch
):
    reservation = hold(user, showtime, "A1", "A2")
    before = claims_snapshot(reservation)
    fail_halfway(monkeypatch, Ticket.objects)

    with pytest.raises(RuntimeError, match="injected"):
        services.purchase_reservation(reservation=reservation)

    assert len(gateway.charges) == 1
    assert gateway.refunds == [(gateway.charges[0].reference, Decimal("20.00"))]
    fresh = Reservation.objects.get(pk=reservation.pk)
    assert fresh.status == ReservationStatus.HELD
    assert fresh.confirmed_at is None
    assert fresh.payment_reference == ""
    assert claims_snapshot(reservation) == before
    assert not Ticket.objects.exists()


def test_gateway_error_before_charge_leaves_hold(user, showtime, gateway, monkeypatch):
    reservation = hold(user, showtime, "A1")

    def unreachable(self, **kwargs):
        raise ConnectionError("gateway timeout")

    monkeypatch.setattr(gateway, "charge", unreachable)

    with pytest.raises(ConnectionError):
        services.purchase_reservation(reservation=reservation)

    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.HELD
    assert active_labels(showtime) == ["A1"]
    assert not Ticket.objects.exists()


def test_cancel_failing_halfway_changes_nothing(user, showtime, gateway, monkeypatch):
    reservation = ReservationFactory(
        user=user, showtime=showtime, seats=["A1"], purchased=True
    )

    def broken_update(self, **kwargs):
        raise RuntimeError("injected failure halfway")

    monkeypatch.setattr(ReservedSeatQuerySet, "update", broken_update)

    with pytest.raises(RuntimeError, match="injected"):
        services.cancel_reservation(reservation=reservation, actor=user)

    monkeypatch.undo()
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CONFIRMED
    assert reservation.refund_amount is None
    assert reservation.cancelled_at is None
    assert set(reservation.tickets.values_list("is_void", flat=True)) == {False}
    assert active_labels(showtime) == ["A1"]
    assert gateway.refunds == []

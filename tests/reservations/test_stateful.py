"""Random booking histories: after every step the booking invariants still hold.

A Hypothesis state machine lets three customers hold seats, change them, buy them
(some cards are declined), cancel and let holds lapse, on two showtimes of a
six-seat screen (so they collide often); staff cancel too, and the clock moves by
hand. Each step goes through the services or through the API, at random, and its
outcome is compared with a small model (which refusal, which seats). After every
step the database itself is checked: no seat in two active reservations, the seat
map and ``available_seats`` say what the reservations imply, totals are the sum of
the seat prices, tickets exist exactly for purchases and are void once cancelled.

The run is derandomised, so CI replays the same histories every time. Set
``STATEFUL_MAX_EXAMPLES`` to explore more (and different) histories locally.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import hypothesis
import pytest
from django.db import transaction
from django.db.models import Count, Prefetch
from hypothesis import HealthCheck, event
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from rest_framework import status
from rest_framework.test import APIClient

from movie_api.exceptions import DomainError
from reservations import services
from reservations.exceptions import (
    CancellationClosed,
    HoldExpired,
    PaymentDeclined,
    ReservationNotActive,
    ReservationNotHeld,
    SeatsUnavailable,
    ShowtimeClosed,
)
from reservations.models import Reservation, ReservationStatus, ReservedSeat
from reservations.selectors import get_seat_map
from showtimes.selectors import list_showtimes
from tests.factories import ScreenFactory, ShowtimeFactory, UserFactory

from .helpers import RecordingGateway

pytestmark = pytest.mark.django_db

URL = "/api/reservations/"
HELD, CONFIRMED = ReservationStatus.HELD, ReservationStatus.CONFIRMED
CANCELLED, EXPIRED = ReservationStatus.CANCELLED, ReservationStatus.EXPIRED

LAYOUT = [
    {"row": "A", "seats": 4, "category": "standard"},
    {"row": "B", "seats": 2, "category": "premium"},
]
LABELS = ["A1", "A2", "A3", "A4", "B1", "B2"]
CATEGORY = {label: "standard" if label[0] == "A" else "premium" for label in LABELS}
# The first showtime starts inside the cancellation cutoff and closes after 45
# minutes of history; the second is far enough out that owners may cancel.
SHOWTIMES = [
    (timedelta(minutes=45), {"standard": "9.50", "premium": "14.25"}),
    (timedelta(hours=4), {"standard": "12.00", "premium": "18.75"}),
]
CUSTOMERS = 3
# The test owns the booking knobs (the model must not read them from the code it
# checks). Customers stay under the hoarding limits, so a refusal here always
# means a real conflict, never a limit: a user opens a hold only while holding
# fewer than MAX_OPEN_HOLDS, and a screen has fewer seats than one may hold.
HOLD = timedelta(seconds=600)
CUTOFF = timedelta(minutes=60)
MAX_OPEN_HOLDS = 4
BOOKING_SETTINGS = {
    "RESERVATION_HOLD_SECONDS": 600,
    "CANCELLATION_CUTOFF_MINUTES": 60,
    "RESERVATION_MAX_ACTIVE_HOLDS": MAX_OPEN_HOLDS + 1,
    "RESERVATION_MAX_HELD_SEATS_PER_SHOWTIME": 10,
}

EXAMPLES = int(os.environ.get("STATEFUL_MAX_EXAMPLES", "0"))
SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES or 80,
    stateful_step_count=40,
    derandomize=not EXAMPLES,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

labels_strategy = st.lists(st.sampled_from(LABELS), min_size=1, max_size=3, unique=True)
via_strategy = st.sampled_from(["service", "api"])


@dataclass
class World:
    """What every history starts from: the rows that never change, and the clock."""

    clock: object
    start: datetime
    showtimes: list
    customers: list
    staff: object
    clients: dict = field(default_factory=dict)


@dataclass
class Booking:
    """The model's view of one reservation."""

    owner: int
    showtime: int
    seats: frozenset[str]
    expires_at: datetime
    status: str = HELD
    was_paid: bool = False

    def state(self, now: datetime) -> str:
        if self.status == HELD and self.expires_at <= now:
            return EXPIRED
        return self.status


@dataclass
class Outcome:
    pk: int | None = None
    code: str | None = None
    status_code: int | None = None


class BookingHistories(RuleBasedStateMachine):
    world: World
    stats: Counter

    def __init__(self) -> None:
        super().__init__()
        self.world.clock.now = self.world.start
        RecordingGateway.reset()
        # Every history runs inside a savepoint that teardown rolls back.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.model: dict[int, Booking] = {}
        self._snapshot: list[Reservation] | None = None
        self.stats["histories"] += 1

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- helpers -----------------------------------------------------------------

    @property
    def now(self) -> datetime:
        return self.world.clock.now

    def _showtime(self, index: int):
        return self.world.showtimes[index]

    def _is_open(self, index: int) -> bool:
        return self.now < self._showtime(index).starts_at

    def _claimed(self, showtime: int, *, exclude: int | None = None) -> set[str]:
        return {
            label
            for pk, booking in self.model.items()
            if booking.showtime == showtime
            and pk != exclude
            and booking.state(self.now) in (HELD, CONFIRMED)
            for label in booking.seats
        }

    def _step(self) -> None:
        self.stats["steps"] += 1
        self._snapshot = None  # the database is about to change

    def _run(self, action: str, via: str, service_call, api_call) -> Outcome:
        """One step through the services or the API; a domain refusal is an outcome."""
        self._step()
        if via == "service":
            try:
                result = service_call()
            except DomainError as exc:
                outcome = Outcome(code=exc.code, status_code=exc.status_code)
            else:
                outcome = Outcome(pk=result.pk)
        else:
            response = api_call()
            assert response.status_code < 500, response.content
            if response.status_code < 300:
                body = response.json() if response.content else {}
                outcome = Outcome(pk=body.get("id"), status_code=response.status_code)
            else:
                error = response.json()["error"]
                outcome = Outcome(code=error["code"], status_code=response.status_code)
        self.stats[f"{action}: {outcome.code or 'ok'}"] += 1
        event(f"{action}: {outcome.code or 'ok'}")
        return outcome

    def _expect(self, outcome: Outcome, expected: type[DomainError] | None) -> None:
        if expected is None:
            assert outcome.code is None, f"expected success, got {outcome}"
        else:
            assert (outcome.code, outcome.status_code) == (
                expected.code,
                expected.status_code,
            ), f"expected {expected.__name__}, got {outcome}"

    def _client(self, user) -> APIClient:
        return self.world.clients[user.pk]

    def _pick(self, data) -> int:
        """A booking to act on: mostly a live one (held or bought), else any."""
        live = [
            pk
            for pk, booking in self.model.items()
            if booking.state(self.now) in (HELD, CONFIRMED)
        ]
        pool = data.draw(st.sampled_from(["live", "live", "live", "any"]), label="pool")
        if not live or pool == "any":
            live = list(self.model)
        return data.draw(st.sampled_from(sorted(live)), label="booking")

    # --- rules -------------------------------------------------------------------

    @rule(
        customer=st.integers(0, CUSTOMERS - 1),
        showtime=st.integers(0, len(SHOWTIMES) - 1),
        labels=labels_strategy,
        via=via_strategy,
    )
    def hold(self, customer, showtime, labels, via):
        user = self.world.customers[customer]
        if Reservation.objects.filter(user=user, status=HELD).count() >= MAX_OPEN_HOLDS:
            self.stats["hold: skipped at the hold limit"] += 1
            return
        if not self._is_open(showtime):
            expected = ShowtimeClosed
        elif set(labels) & self._claimed(showtime):
            expected = SeatsUnavailable
        else:
            expected = None
        target = self._showtime(showtime)
        outcome = self._run(
            "hold",
            via,
            lambda: services.create_reservation(
                user=user, showtime=target, labels=labels
            ),
            lambda: self._client(user).post(
                URL, {"showtime": target.pk, "seats": labels}
            ),
        )
        self._expect(outcome, expected)
        if expected is None:
            assert via == "service" or outcome.status_code == status.HTTP_201_CREATED
            self.model[outcome.pk] = Booking(
                customer, showtime, frozenset(labels), self.now + HOLD
            )

    @precondition(lambda self: self.model)
    @rule(data=st.data(), labels=labels_strategy, via=via_strategy)
    def change_seats(self, data, labels, via):
        booking = self._pick(data)
        model = self.model[booking]
        state = model.state(self.now)
        if state == EXPIRED:
            expected = HoldExpired
        elif state != HELD:
            expected = ReservationNotHeld
        elif not self._is_open(model.showtime):
            expected = ShowtimeClosed
        elif set(labels) & self._claimed(model.showtime, exclude=booking):
            expected = SeatsUnavailable
        else:
            expected = None
        owner = self.world.customers[model.owner]
        outcome = self._run(
            "change",
            via,
            lambda: services.change_seats(
                reservation=Reservation.objects.get(pk=booking), labels=labels
            ),
            lambda: self._client(owner).put(f"{URL}{booking}/", {"seats": labels}),
        )
        self._expect(outcome, expected)
        if expected is None:
            model.seats = frozenset(labels)

    @precondition(lambda self: self.model)
    @rule(data=st.data(), token=st.sampled_from(["tok_visa", None]), via=via_strategy)
    def purchase(self, data, token, via):
        self._purchase(self._pick(data), token, via)

    @precondition(lambda self: self.model)
    @rule(data=st.data(), via=via_strategy)
    def purchase_with_a_declined_card(self, data, via):
        """402 and the hold stays as it was (unless there was nothing to pay for)."""
        self._purchase(self._pick(data), "tok_declined", via)

    def _purchase(self, booking: int, token: str | None, via: str) -> None:
        model = self.model[booking]
        state = model.state(self.now)
        if state == CONFIRMED:
            expected = None  # buying twice returns the purchase unchanged
        elif state == EXPIRED:
            expected = HoldExpired
        elif state != HELD:
            expected = ReservationNotHeld
        elif not self._is_open(model.showtime):
            expected = ShowtimeClosed
        elif token == "tok_declined":
            expected = PaymentDeclined
        else:
            expected = None
        owner = self.world.customers[model.owner]
        outcome = self._run(
            "purchase",
            via,
            lambda: services.purchase_reservation(
                reservation=Reservation.objects.get(pk=booking), payment_token=token
            ),
            lambda: self._client(owner).post(
                f"{URL}{booking}/purchase/",
                {"payment_token": token} if token else {},
            ),
        )
        self._expect(outcome, expected)
        if expected is None:
            model.status, model.was_paid = CONFIRMED, True

    @precondition(lambda self: self.model)
    @rule(data=st.data(), via=via_strategy)
    def cancel(self, data, via):
        self._cancel(self._pick(data), via, by_staff=False)

    @precondition(lambda self: self.model)
    @rule(data=st.data(), via=via_strategy)
    def staff_cancel(self, data, via):
        """Staff may cancel a purchase at any time, even after the owner's cutoff."""
        self._cancel(self._pick(data), via, by_staff=True)

    def _cancel(self, booking: int, via: str, *, by_staff: bool) -> None:
        model = self.model[booking]
        state = model.state(self.now)
        actor = self.world.staff if by_staff else self.world.customers[model.owner]
        cutoff = self._showtime(model.showtime).starts_at - CUTOFF
        if state == HELD:
            expected = None
        elif state == CONFIRMED:
            closed = self.now >= cutoff and not by_staff
            expected = CancellationClosed if closed else None
        else:
            expected = ReservationNotActive
        outcome = self._run(
            "staff cancel" if by_staff else "cancel",
            via,
            lambda: services.cancel_reservation(
                reservation=Reservation.objects.get(pk=booking), actor=actor
            ),
            lambda: self._client(actor).delete(f"{URL}{booking}/"),
        )
        self._expect(outcome, expected)
        if expected is None:
            model.status = CANCELLED

    @precondition(lambda self: self.model)
    @rule(
        data=st.data(),
        offset=st.integers(1, CUSTOMERS - 1),
        method=st.sampled_from(["get", "put", "purchase", "delete"]),
    )
    def someone_else_tries(self, data, offset, method):
        """Another customer can neither see nor touch the booking: 404, no change."""
        booking = self._pick(data)
        intruder = self.world.customers[
            (self.model[booking].owner + offset) % CUSTOMERS
        ]
        client, url = self._client(intruder), f"{URL}{booking}/"
        response = {
            "get": lambda: client.get(url),
            "put": lambda: client.put(url, {"seats": ["A1"]}),
            "purchase": lambda: client.post(f"{url}purchase/", {}),
            "delete": lambda: client.delete(url),
        }[method]()
        self._step()
        self.stats[f"intruder {method}: {response.status_code}"] += 1
        assert response.status_code == status.HTTP_404_NOT_FOUND, response.content
        assert response.json()["error"]["code"] == "not_found"

    @precondition(lambda self: self.model)  # time matters once something is held
    @rule(seconds=st.sampled_from([1, 30, 60, 120, 300, 599, 600, 601, 1800, 3 * 3600]))
    def time_passes(self, seconds):
        self._step()
        self.stats["clock advanced"] += 1
        self.world.clock.advance(seconds=seconds)

    @precondition(lambda self: self.model)
    @rule()
    def sweep_expired_holds(self):
        self._step()
        lapsed = Reservation.objects.filter(status=HELD, expires_at__lte=self.now)
        expected = lapsed.count()
        assert services.expire_holds() == expected
        assert not lapsed.exists()
        self.stats["sweep expired"] += expected

    # --- invariants (checked after every step) ---------------------------------------

    def _reservations(self) -> list[Reservation]:
        """Every reservation with its seat rows and tickets, read once per step."""
        if self._snapshot is None:
            self._snapshot = list(
                Reservation.objects.select_related("showtime")
                .prefetch_related(
                    Prefetch(
                        "reserved_seats",
                        queryset=ReservedSeat.objects.select_related("seat"),
                    ),
                    "tickets",
                )
                .order_by("pk")
            )
        return self._snapshot

    def _implied_seat_states(self, showtime) -> dict[str, str]:
        """Held for an unexpired hold, sold for a purchase, available otherwise."""
        states = dict.fromkeys(LABELS, "available")
        for reservation in self._reservations():
            if reservation.showtime_id != showtime.pk:
                continue
            if reservation.status == CONFIRMED:
                state = "sold"
            elif reservation.status == HELD and reservation.expires_at > self.now:
                state = "held"
            else:
                continue
            for row in reservation.reserved_seats.all():
                states[row.seat.label] = state
        return states

    @invariant()
    def no_seat_is_in_two_active_reservations(self):
        doubles = list(
            ReservedSeat.objects.filter(is_active=True)
            .values("showtime_id", "seat_id")
            .annotate(claims=Count("pk"))
            .filter(claims__gt=1)
        )
        assert doubles == []

    @invariant()
    def claims_are_active_exactly_for_live_reservations(self):
        for reservation in self._reservations():
            live = reservation.status in (HELD, CONFIRMED)
            for row in reservation.reserved_seats.all():
                assert row.is_active == live, (reservation, row)
                if live:  # seat state is read from held_until: it mirrors the hold
                    held = reservation.status == HELD
                    assert row.held_until == (reservation.expires_at if held else None)

    @invariant()
    def database_matches_the_model(self):
        now, found = self.now, {}
        for reservation in self._reservations():
            status_ = reservation.status
            if status_ == HELD and reservation.expires_at <= now:
                status_ = EXPIRED  # lapsed, not swept yet: the same thing
            labels = {row.seat.label for row in reservation.reserved_seats.all()}
            found[reservation.pk] = (status_, reservation.expires_at, labels)
        expected = {
            pk: (booking.state(now), booking.expires_at, set(booking.seats))
            for pk, booking in self.model.items()
        }
        assert found == expected

    @invariant()
    def seat_map_shows_what_the_reservations_imply(self):
        for index, showtime in enumerate(self.world.showtimes):
            modelled = dict.fromkeys(LABELS, "available")
            for booking in self.model.values():
                state = booking.state(self.now)
                if booking.showtime == index and state in (HELD, CONFIRMED):
                    for label in booking.seats:
                        modelled[label] = "sold" if state == CONFIRMED else "held"
            seat_map = get_seat_map(showtime=showtime)
            shown = {seat["label"]: seat["status"] for seat in seat_map}
            assert shown == self._implied_seat_states(showtime) == modelled
            prices = {seat["label"]: seat["price"] for seat in seat_map}
            assert prices == {
                label: showtime.prices[CATEGORY[label]] for label in LABELS
            }

    @invariant()
    def available_seats_is_capacity_minus_live_claims(self):
        listed = {
            showtime.pk: (showtime.capacity, showtime.seats_available_now)
            for showtime in list_showtimes().filter(
                pk__in=[s.pk for s in self.world.showtimes]
            )
        }
        expected = {}
        for showtime in self.world.showtimes:
            states = self._implied_seat_states(showtime).values()
            taken = sum(state != "available" for state in states)
            expected[showtime.pk] = (len(LABELS), len(LABELS) - taken)
        assert listed == expected

    @invariant()
    def totals_are_the_sum_of_seat_prices(self):
        for reservation in self._reservations():
            rows = reservation.reserved_seats.all()
            prices = reservation.showtime.prices
            for row in rows:
                assert row.price == Decimal(prices[row.seat.category]), row
            total = sum((row.price for row in rows), Decimal("0.00"))
            assert reservation.total_price == total, reservation

    @invariant()
    def tickets_exist_exactly_for_purchases(self):
        purchases = 0
        for reservation in self._reservations():
            seats = sorted(row.seat_id for row in reservation.reserved_seats.all())
            tickets = reservation.tickets.all()
            was_paid = self.model[reservation.pk].was_paid
            purchases += was_paid
            assert (reservation.confirmed_at is not None) == was_paid
            if reservation.status == CONFIRMED:
                assert sorted(t.seat_id for t in tickets) == seats
                assert not any(t.is_void for t in tickets)
            elif reservation.status == CANCELLED and was_paid:
                assert sorted(t.seat_id for t in tickets) == seats
                assert all(t.is_void for t in tickets)
            else:
                assert list(tickets) == [], reservation
        # one charge per purchase: declined and refused purchases charge nothing
        assert len(RecordingGateway.charges) == purchases


def test_random_booking_histories_keep_every_invariant(
    clock, gateway, settings, capsys
):
    for name, value in BOOKING_SETTINGS.items():
        setattr(settings, name, value)
    start = clock.now
    screen = ScreenFactory(layout=LAYOUT)
    world = World(
        clock=clock,
        start=start,
        showtimes=[
            ShowtimeFactory(screen=screen, starts_at=start + offset, prices=prices)
            for offset, prices in SHOWTIMES
        ],
        customers=UserFactory.create_batch(CUSTOMERS),
        staff=UserFactory(is_staff=True),
    )
    for user in [*world.customers, world.staff]:
        world.clients[user.pk] = APIClient()
        world.clients[user.pk].force_authenticate(user=user)
    stats = Counter()
    machine = type(
        "BookingHistoriesTest", (BookingHistories,), {"world": world, "stats": stats}
    )

    run_state_machine_as_test(machine, settings=SETTINGS)

    with capsys.disabled():
        print(f"\nstateful booking histories: {dict(sorted(stats.items()))}")
    # The histories must reach the interesting corners, or they prove little.
    for outcome in [
        "hold: ok",
        "hold: seats_unavailable",
        "change: ok",
        "purchase: ok",
        "purchase: payment_declined",
        "purchase: hold_expired",
        "cancel: ok",
        "staff cancel: ok",
    ]:
        assert stats[outcome] > 0, (outcome, stats)

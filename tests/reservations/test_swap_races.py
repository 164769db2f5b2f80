"""A seat swap racing a hold for the target seat: one of them wins, every time."""

import pytest

from reservations.models import ReservedSeat, Ticket
from tests.factories import ReservationFactory, ShowtimeFactory, UserFactory
from tests.seams import widen_race_window

from .helpers import client_for, run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)

TRIALS = 20


def test_swap_and_hold_racing_for_a_seat_have_one_winner(
    monkeypatch, gateway, record_property
):
    widen_race_window(monkeypatch, 0.05)
    owner = UserFactory()
    outcomes = []
    for _ in range(TRIALS):
        rival = UserFactory()  # a fresh one: holds count towards the hoarding limit
        showtime = ShowtimeFactory()
        bought = ReservationFactory(
            user=owner, showtime=showtime, seats=["A1"], purchased=True
        )

        def race(i, showtime=showtime, bought=bought, rival=rival):
            if i == 0:
                return client_for(owner).post(
                    f"/api/reservations/{bought.pk}/swap-seats/",
                    {"from": ["A1"], "to": ["B5"]},
                    format="json",
                )
            return client_for(rival).post(
                "/api/reservations/",
                {"showtime": showtime.pk, "seats": ["B5"]},
                format="json",
            )

        swap, hold = run_in_threads(2, race)
        codes = (swap.status_code, hold.status_code)
        assert codes in ((200, 409), (409, 201)), (swap.content, hold.content)
        loser = hold if codes == (200, 409) else swap
        assert loser.json()["error"]["code"] == "seats_unavailable"
        claims = ReservedSeat.objects.filter(
            showtime=showtime, seat__label="B5", is_active=True
        )
        assert claims.count() == 1
        live = set(
            Ticket.objects.filter(reservation=bought, is_void=False).values_list(
                "seat__label", flat=True
            )
        )
        if codes == (200, 409):
            assert claims.get().reservation_id == bought.pk
            assert live == {"B5"}
            assert not ReservedSeat.objects.filter(
                showtime=showtime, seat__label="A1", is_active=True
            ).exists()
        else:
            assert claims.get().reservation_id != bought.pk
            assert live == {"A1"}
        outcomes.append("swap" if codes == (200, 409) else "hold")
    record_property("swap_wins", outcomes.count("swap"))
    record_property("hold_wins", outcomes.count("hold"))
    print(f"swap wins {outcomes.count('swap')}, hold wins {outcomes.count('hold')}")

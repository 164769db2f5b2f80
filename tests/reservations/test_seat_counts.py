"""The showtime's denormalised seat counts (``seats_claimed``, ``hold_deadlines``,
``holds_lapse_at``, ``has_claims``) equal a fresh count of the claims after every
kind of seat change, and ``available_seats`` with them, including under a race.

Kept by ``reservations.services.audit.bump_seats_version`` inside each booking
transaction; the catalogue reads only its own row.
"""

import random

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone
from rest_framework import status

from reservations import services
from reservations.models import ReservedSeat
from reservations.services.audit import bump_seats_version
from showtimes.models import Showtime, deadline_stamp
from showtimes.selectors import list_showtimes
from tests.factories import ReservationFactory, ShowtimeFactory, UserFactory

from .helpers import client_for, codes_of, run_in_threads


def fresh_count(showtime) -> dict:
    """What the row must say, counted from the claims themselves."""
    active = ReservedSeat.objects.filter(showtime=showtime, is_active=True)
    deadlines: dict[str, int] = {}
    for held_until in active.exclude(held_until=None).values_list(
        "held_until", flat=True
    ):
        stamp = deadline_stamp(held_until)
        deadlines[stamp] = deadlines.get(stamp, 0) + 1
    now = timezone.now()
    live = active.filter(Q(held_until__isnull=True) | Q(held_until__gt=now)).count()
    return {
        "seats_claimed": active.count(),
        "hold_deadlines": sorted([k, v] for k, v in deadlines.items()),
        "has_claims": ReservedSeat.objects.filter(showtime=showtime).exists(),
        "available_seats": showtime.screen.capacity - live,
    }


def stored(showtime) -> dict:
    row = list_showtimes().get(pk=showtime.pk)
    lapse = row.holds_lapse_at
    first = row.hold_deadlines[0][0] if row.hold_deadlines else None
    assert (deadline_stamp(lapse) if lapse else None) == first
    return {
        "seats_claimed": row.seats_claimed,
        "hold_deadlines": row.hold_deadlines,
        "has_claims": row.has_claims,
        "available_seats": row.seats_available_now,
    }


def assert_counts_fresh(showtime) -> None:
    assert stored(showtime) == fresh_count(showtime)


def test_counts_follow_every_kind_of_change(
    user, other_user, showtime, clock, gateway, api_client
):
    assert stored(showtime)["has_claims"] is False
    assert_counts_fresh(showtime)

    held = services.create_reservation(user=user, showtime=showtime, labels=["A1"])
    assert_counts_fresh(showtime)
    assert stored(showtime)["available_seats"] == 27

    services.change_seats(reservation=held, labels=["A2", "A3"])
    assert_counts_fresh(showtime)

    clock.advance(seconds=60)
    bought = ReservationFactory(
        user=other_user, showtime=showtime, seats=["B1", "B2"], purchased=True
    )
    assert_counts_fresh(showtime)
    assert stored(showtime)["available_seats"] == 24

    services.swap_seats(
        reservation=bought, from_labels=["B1"], to_labels=["B5"], actor=other_user
    )
    assert_counts_fresh(showtime)

    more = ReservationFactory(
        user=other_user, showtime=showtime, seats=["C5", "C6"], purchased=True
    )
    services.cancel_seats(reservation=more, labels=["C5"], actor=other_user)
    assert_counts_fresh(showtime)
    assert stored(showtime)["available_seats"] == 23
    services.cancel_seats(reservation=more, labels=["C6"], actor=other_user)
    assert_counts_fresh(showtime)

    block = services.block_seats(
        showtime=showtime, labels=["C1"], reason="broken", actor=user
    )
    assert_counts_fresh(showtime)
    services.remove_block(block=block, actor=user)
    assert_counts_fresh(showtime)

    services.cancel_reservation(reservation=bought, actor=other_user)
    assert_counts_fresh(showtime)
    assert stored(showtime)["available_seats"] == 26

    # The hold lapses by time: the row still counts it, the reads add it back.
    clock.advance(seconds=600)
    assert stored(showtime)["seats_claimed"] == 2
    assert_counts_fresh(showtime)
    assert stored(showtime)["available_seats"] == 28
    assert api_client.get(f"/api/showtimes/{showtime.pk}/").json()[
        "available_seats"
    ] == (28)

    call_command("expire_holds", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert stored(showtime)["seats_claimed"] == 0
    assert_counts_fresh(showtime)
    assert stored(showtime)["has_claims"] is True  # history stays


def test_two_deadlines_lapse_one_after_the_other(user, other_user, showtime, clock):
    services.create_reservation(user=user, showtime=showtime, labels=["A1", "A2"])
    clock.advance(seconds=300)
    services.create_reservation(user=other_user, showtime=showtime, labels=["B1"])
    assert stored(showtime)["available_seats"] == 25

    clock.advance(seconds=300)  # the first lapses, nobody released it
    assert_counts_fresh(showtime)
    assert stored(showtime)["available_seats"] == 27
    clock.advance(seconds=300)
    assert_counts_fresh(showtime)
    assert stored(showtime)["available_seats"] == 28


def test_ordering_by_available_seats_uses_the_counts(user, api_client):
    busy, quiet = ShowtimeFactory(), ShowtimeFactory()
    services.create_reservation(user=user, showtime=busy, labels=["A1", "A2"])

    body = api_client.get("/api/showtimes/", {"ordering": "available_seats"}).json()

    assert [(s["id"], s["available_seats"]) for s in body["results"]] == [
        (busy.pk, 26),
        (quiet.pk, 28),
    ]


def test_a_recount_repairs_a_row_written_outside_the_booking_side(user, showtime):
    services.create_reservation(user=user, showtime=showtime, labels=["A1"])
    Showtime.objects.filter(pk=showtime.pk).update(seats_claimed=7, hold_deadlines=[])

    bump_seats_version(showtime.pk)

    assert_counts_fresh(showtime)


@pytest.mark.django_db(transaction=True)
def test_counts_stay_fresh_when_holds_purchases_and_cancels_race(gateway):
    showtime = ShowtimeFactory()
    users = UserFactory.create_batch(12)
    labels = [f"{row}{n}" for row in "ABC" for n in range(1, 5)]
    rng = random.Random(16)

    def work(index: int):
        client = client_for(users[index])
        wanted = rng.sample(labels, 2)
        response = client.post(
            "/api/reservations/",
            {"showtime": showtime.pk, "seats": wanted},
            format="json",
        )
        if response.status_code == status.HTTP_201_CREATED:
            pk = response.json()["id"]
            if index % 3 == 0:
                response = client.post(f"/api/reservations/{pk}/purchase/")
            elif index % 3 == 1:
                response = client.delete(f"/api/reservations/{pk}/")
        return response

    codes = codes_of(run_in_threads(len(users), work))

    assert status.HTTP_201_CREATED in codes or status.HTTP_200_OK in codes
    assert ReservedSeat.objects.filter(showtime=showtime, is_active=True).exists()
    assert_counts_fresh(showtime)

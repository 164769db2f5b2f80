"""The booking guarantee under 4 gunicorn workers (separate processes), on this test
run's database engine: a temporary SQLite file, or a fresh PostgreSQL database.

Every race runs behind a barrier with the check-to-write window widened by the
test-side race window of tests.seams (workers serve tests.seams_wsgi), and a
negative control proves the harness sees a double booking when the guard is off.
"""

import json
from collections import Counter

import pytest

from tests.live import booking_seed, fire, live_gunicorn

pytestmark = pytest.mark.slow

SEAMS = {"SEAM_RACE_WINDOW_SECONDS": "0.02"}

ACTIVE_ROWS = """
SELECT st.label, count(*) FROM reservations_reservedseat rs
JOIN theaters_seat st ON st.id = rs.seat_id
WHERE rs.showtime_id = %s AND rs.is_active
GROUP BY st.label
"""


@pytest.fixture(scope="module")
def live():
    with live_gunicorn(workers=4, seams=SEAMS, seed=booking_seed(showtimes=3)) as (
        server,
        out,
    ):
        seed = json.loads(out)
        assert len(server.worker_pids()) == 4
        yield server, seed


def _statuses(results) -> Counter:
    return Counter(
        r.status if hasattr(r, "status") else type(r).__name__ for r in results
    )


def test_fifty_holds_of_one_seat_have_exactly_one_winner(live):
    server, seed = live
    showtime, tokens = seed["showtimes"][0], seed["tokens"]

    results = fire(
        lambda i: server.request(
            "POST",
            "/api/reservations/",
            token=tokens[i],
            body={"showtime": showtime, "seats": ["E5"]},
        ),
        50,
    )

    assert _statuses(results) == Counter({201: 1, 409: 49})
    assert all(
        r.body["error"]["code"] == "seats_unavailable"
        for r in results
        if r.status == 409
    )
    assert server.sql(ACTIVE_ROWS, (showtime,)) == [("E5", 1)]


def test_two_hundred_requests_over_twenty_seats(live):
    server, seed = live
    showtime, tokens = seed["showtimes"][1], seed["tokens"]
    seats = [f"{row}{n}" for row in "AB" for n in range(1, 11)]

    results = fire(
        lambda i: server.request(
            "POST",
            "/api/reservations/",
            token=tokens[i],
            body={"showtime": showtime, "seats": [seats[i % 20]]},
        ),
        200,
    )

    assert _statuses(results) == Counter({201: 20, 409: 180})
    rows = dict(server.sql(ACTIVE_ROWS, (showtime,)))
    assert sorted(rows) == sorted(seats)
    assert set(rows.values()) == {1}
    won = sorted(r.body["seats"][0] for r in results if r.status == 201)
    assert won == sorted(seats)


def test_overlapping_multi_seat_bookings_are_all_or_nothing(live):
    server, seed = live
    showtime, tokens = seed["showtimes"][2], seed["tokens"]
    # 8 clients, each 3 of the same 6 seats, asked for in different orders.
    picks = [
        ["C1", "C2", "C3"],
        ["C6", "C5", "C4"],
        ["C4", "C3", "C2"],
        ["C1", "C6", "C5"],
        ["C5", "C3", "C1"],
        ["C2", "C4", "C6"],
        ["C5", "C4", "C3"],
        ["C2", "C1", "C6"],
    ]

    results = fire(
        lambda i: server.request(
            "POST",
            "/api/reservations/",
            token=tokens[i],
            body={"showtime": showtime, "seats": picks[i]},
        ),
        8,
    )

    statuses = _statuses(results)
    assert set(statuses) <= {201, 409}, statuses
    assert statuses[201] >= 1
    rows = dict(server.sql(ACTIVE_ROWS, (showtime,)))
    assert set(rows.values()) <= {1}, rows  # no seat in two active reservations
    won = [r.body["seats"] for r in results if r.status == 201]
    assert sum(len(s) for s in won) == len(rows)  # losers left nothing behind
    assert all(len(s) == 3 for s in won)
    per_reservation = server.sql(
        "SELECT reservation_id, count(*) FROM reservations_reservedseat "
        "WHERE showtime_id = %s AND is_active GROUP BY reservation_id",
        (showtime,),
    )
    assert all(count == 3 for _, count in per_reservation)  # no partial booking


def test_negative_control_sees_double_booking_without_the_guard():
    """Same harness, guard off (no lock, no check, no unique index): it must fail."""
    seams = {"SEAM_GUARDS_OFF": "1", "SEAM_RACE_WINDOW_SECONDS": "0.2"}
    with live_gunicorn(
        workers=4,
        seams=seams,
        seed=booking_seed(showtimes=1, users=20),
        prepare_sql="DROP INDEX uniq_reservedseat_showtime_seat",
    ) as (server, out):
        seed = json.loads(out)
        showtime, tokens = seed["showtimes"][0], seed["tokens"]
        results = fire(
            lambda i: server.request(
                "POST",
                "/api/reservations/",
                token=tokens[i],
                body={"showtime": showtime, "seats": ["A1"]},
            ),
            20,
        )
        rows = dict(server.sql(ACTIVE_ROWS, (showtime,)))
    assert _statuses(results)[201] > 1
    assert rows["A1"] > 1  # the harness can observe a double booking

"""Ticket QR codes, check-in and best seats over HTTP: statuses, envelope, roles."""

import io
import threading
from datetime import timedelta

import pytest
import resvg_py
import zxingcpp
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone
from PIL import Image
from rest_framework import status

from accounts.roles import BOX_OFFICE
from reservations import services as booking
from reservations.models import Ticket
from tests.factories import ScreenFactory, ShowtimeFactory, UserFactory
from theaters import services as theater_services

from .conftest import buy

pytestmark = pytest.mark.django_db


def qr_url(code: str) -> str:
    return f"/api/tickets/{code}/qr.svg"


def decode_qr(svg: bytes) -> list[str]:
    """Render the served SVG to pixels and read every QR code in it back.

    resvg (a real SVG renderer) rasterises the bytes exactly as served and zxing-cpp
    decodes the bitmap, so this proves what a scanner at the door would read. Light on
    dark codes, which many scanners miss, are not read.
    """
    png = resvg_py.svg_to_bytes(svg_string=svg.decode(), zoom=4)
    image = Image.open(io.BytesIO(png)).convert("L")
    found = zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormat.QRCode, try_invert=False
    )
    return [barcode.text for barcode in found]


# --- QR code ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "box_office", "staff"])
def test_qr_svg_for_owner_box_office_and_staff(request, ticket, who):
    client = request.getfixturevalue(
        {"owner": "auth_client", "box_office": "box_office_client"}.get(
            who, "staff_client"
        )
    )
    r = client.get(qr_url(ticket.code), HTTP_ACCEPT="image/svg+xml")
    assert r.status_code == status.HTTP_200_OK
    assert r["Content-Type"] == "image/svg+xml"
    assert r["Cache-Control"] == "private, max-age=3600"
    assert r.content.startswith(b"<svg")
    assert b"<title>Ticket A1</title>" in r.content
    # A scanner reads back the ticket code and nothing else.
    assert decode_qr(r.content) == [ticket.code]


def test_qr_is_not_found_for_another_customer(other_client, ticket):
    r = other_client.get(qr_url(ticket.code))
    assert r.status_code == status.HTTP_404_NOT_FOUND
    assert r.json()["error"]["code"] == "not_found"


def test_qr_needs_a_login(api_client, ticket):
    r = api_client.get(qr_url(ticket.code), HTTP_ACCEPT="image/svg+xml")
    assert r.status_code == status.HTTP_401_UNAUTHORIZED
    assert r.json()["error"]["code"] == "not_authenticated"


def test_qr_unknown_code_is_not_found(auth_client):
    r = auth_client.get(qr_url("nope"))
    assert r.status_code == status.HTTP_404_NOT_FOUND


# --- Check-in ----------------------------------------------------------------------


def test_check_in_returns_seat_showtime_movie_and_holder(box_office_client, ticket):
    showtime = ticket.reservation.showtime
    holder = ticket.reservation.user
    r = box_office_client.post("/api/check-in/", {"code": ticket.code})
    assert r.status_code == status.HTTP_200_OK, r.content
    body = r.json()
    ticket.refresh_from_db()
    assert body == {
        "code": ticket.code,
        "seat": "A1",
        "category": "standard",
        "reservation": ticket.reservation.code,
        "showtime": {
            "id": showtime.pk,
            "starts_at": showtime.starts_at.isoformat().replace("+00:00", "Z"),
            "ends_at": showtime.ends_at.isoformat().replace("+00:00", "Z"),
            "theater": showtime.screen.theater.name,
            "screen": showtime.screen.name,
        },
        "movie": {"id": showtime.movie_id, "title": showtime.movie.title},
        "holder": {"id": holder.pk, "username": holder.username, "name": ""},
        "checked_in_at": ticket.checked_in_at.isoformat().replace("+00:00", "Z"),
    }


def test_check_in_shows_in_the_reservation_history(
    box_office_client, auth_client, box_office, ticket
):
    box_office_client.post("/api/check-in/", {"code": ticket.code})

    history = auth_client.get(
        f"/api/reservations/{ticket.reservation_id}/history/"
    ).json()["results"]
    last = history[-1]
    assert (last["action"], last["by"], last["details"]["seat"]) == (
        "checked_in",
        "staff",
        "A1",
    )
    staff_view = box_office_client.get(
        f"/api/reservations/{ticket.reservation_id}/history/"
    ).json()["results"][-1]
    assert staff_view["actor"] == box_office.username


def test_second_check_in_is_409_with_the_first_time(box_office_client, ticket):
    first = box_office_client.post("/api/check-in/", {"code": ticket.code}).json()
    r = box_office_client.post("/api/check-in/", {"code": ticket.code})
    assert r.status_code == status.HTTP_409_CONFLICT
    assert r.json() == {
        "error": {
            "code": "already_checked_in",
            "message": "This ticket has already been used.",
            "fields": {},
            "details": {"checked_in_at": first["checked_in_at"]},
        }
    }


def test_check_in_of_cancelled_ticket_is_409(box_office_client, staff, ticket):
    booking.cancel_reservation(reservation=ticket.reservation, actor=staff)
    r = box_office_client.post("/api/check-in/", {"code": ticket.code})
    assert r.status_code == status.HTTP_409_CONFLICT
    assert r.json()["error"]["code"] == "ticket_void"


def test_check_in_of_unknown_code_is_404(box_office_client):
    r = box_office_client.post("/api/check-in/", {"code": "not-a-ticket"})
    assert r.status_code == status.HTTP_404_NOT_FOUND
    assert r.json()["error"]["code"] == "ticket_not_found"


def test_check_in_without_code_is_400(box_office_client):
    r = box_office_client.post("/api/check-in/", {})
    assert r.status_code == status.HTTP_400_BAD_REQUEST
    assert r.json()["error"]["fields"] == {"code": ["This field is required."]}


def test_check_in_too_early_is_409(box_office_client, user):
    showtime = ShowtimeFactory(starts_at=timezone.now() + timedelta(hours=3))
    ticket = buy(user=user, showtime=showtime, labels=["B1"]).tickets.get()
    r = box_office_client.post("/api/check-in/", {"code": ticket.code})
    assert r.status_code == status.HTTP_409_CONFLICT
    error = r.json()["error"]
    assert error["code"] == "check_in_closed"
    assert set(error["details"]) == {"opens_at", "closes_at"}


def test_check_in_after_the_end_is_409(box_office_client, ticket):
    showtime = ticket.reservation.showtime
    past = timezone.now() - timedelta(hours=3)
    type(showtime).objects.filter(pk=showtime.pk).update(
        starts_at=past, ends_at=past + timedelta(hours=2)
    )
    r = box_office_client.post("/api/check-in/", {"code": ticket.code})
    assert r.status_code == status.HTTP_409_CONFLICT
    assert r.json()["error"]["code"] == "check_in_closed"


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", status.HTTP_401_UNAUTHORIZED),
        ("owner", status.HTTP_403_FORBIDDEN),
        ("other_customer", status.HTTP_403_FORBIDDEN),
        ("manager", status.HTTP_403_FORBIDDEN),
        ("box_office", status.HTTP_200_OK),
        ("staff", status.HTTP_200_OK),
        ("superuser", status.HTTP_200_OK),
    ],
)
def test_check_in_permission_matrix(
    api_client, client_for, ticket, user, who, expected
):
    actors = {
        "anonymous": None,
        "owner": user,
        "other_customer": UserFactory(),
        "manager": UserFactory(roles=["manager"]),
        "box_office": UserFactory(roles=["box_office"]),
        "staff": UserFactory(is_staff=True),
        "superuser": UserFactory(is_superuser=True),
    }
    actor = actors[who]
    client = api_client if actor is None else client_for(actor)
    r = client.post("/api/check-in/", {"code": ticket.code})
    assert r.status_code == expected
    checked_in = Ticket.objects.get(pk=ticket.pk).checked_in_at is not None
    assert checked_in is (expected == status.HTTP_200_OK)


# --- Best seats --------------------------------------------------------------------


def best_url(showtime, **params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"/api/showtimes/{showtime.pk}/best-seats/?{query}"


def test_best_seats_in_an_empty_hall(api_client):
    showtime = ShowtimeFactory()  # rows A, B standard (10 seats), C premium (8)
    r = api_client.get(best_url(showtime, count=2, category="standard"))
    assert r.status_code == status.HTTP_200_OK
    assert r.json() == {
        "showtime": showtime.pk,
        "count": 2,
        "category": "standard",
        "row": "B",
        "seats": ["B5", "B6"],
        "total_price": "20.00",
        "currency": "USD",
    }


def test_best_seats_without_category_takes_any(api_client):
    showtime = ShowtimeFactory()
    r = api_client.get(best_url(showtime, count=2))
    assert r.status_code == status.HTTP_200_OK
    assert r.json()["seats"] == ["B5", "B6"]
    assert r.json()["category"] is None


def test_best_seats_skip_taken_and_held_seats(api_client, user, other_user):
    showtime = ShowtimeFactory()
    buy(user=user, showtime=showtime, labels=["B5", "B6"])
    booking.create_reservation(user=other_user, showtime=showtime, labels=["A5"])
    r = api_client.get(best_url(showtime, count=2, category="standard"))
    # B5-B6 sold and A5 held: A6-A7 is 1 seat off the centre line, closer than
    # anything left in B, the middle row (B3-B4 and B7-B8 are 2 off).
    assert r.status_code == status.HTTP_200_OK
    assert r.json()["seats"] == ["A6", "A7"]


def test_best_seats_none_left_is_404_with_a_clear_code(api_client, user):
    screen = ScreenFactory(layout=[{"row": "A", "seats": 3, "category": "standard"}])
    showtime = ShowtimeFactory(screen=screen, prices={"standard": "9.00"})
    buy(user=user, showtime=showtime, labels=["A2"])
    r = api_client.get(best_url(showtime, count=2, category="standard"))
    assert r.status_code == status.HTTP_404_NOT_FOUND
    assert r.json() == {
        "error": {
            "code": "no_adjacent_seats",
            "message": "No block of that many free adjacent seats is left in one row.",
            "fields": {},
            "details": {"count": 2, "category": "standard"},
        }
    }


def test_best_seats_category_absent_from_the_screen_is_404(api_client):
    showtime = ShowtimeFactory()
    r = api_client.get(best_url(showtime, count=1, category="recliner"))
    assert r.status_code == status.HTTP_404_NOT_FOUND
    assert r.json()["error"]["code"] == "no_adjacent_seats"


@pytest.mark.parametrize("count", ["0", "11", "-1", "two", ""])
def test_best_seats_bad_count_is_400(api_client, count):
    showtime = ShowtimeFactory()
    r = api_client.get(best_url(showtime, count=count, category="standard"))
    assert r.status_code == status.HTTP_400_BAD_REQUEST
    assert r.json()["error"]["code"] == "invalid"
    assert "count" in r.json()["error"]["fields"]


def test_best_seats_missing_count_is_400(api_client):
    showtime = ShowtimeFactory()
    r = api_client.get(f"/api/showtimes/{showtime.pk}/best-seats/")
    assert r.status_code == status.HTTP_400_BAD_REQUEST
    assert r.json()["error"]["fields"] == {"count": ["This field is required."]}


def test_best_seats_count_limit_follows_the_setting(api_client, settings):
    settings.RESERVATION_MAX_SEATS = 3
    showtime = ShowtimeFactory()
    assert api_client.get(best_url(showtime, count=3)).status_code == status.HTTP_200_OK
    assert (
        api_client.get(best_url(showtime, count=4)).status_code
        == status.HTTP_400_BAD_REQUEST
    )


def test_best_seats_unknown_category_is_400(api_client):
    showtime = ShowtimeFactory()
    r = api_client.get(best_url(showtime, count=2, category="balcony"))
    assert r.status_code == status.HTTP_400_BAD_REQUEST
    assert "category" in r.json()["error"]["fields"]


def test_best_seats_of_unknown_showtime_is_404(api_client):
    r = api_client.get("/api/showtimes/999999/best-seats/?count=2")
    assert r.status_code == status.HTTP_404_NOT_FOUND
    assert r.json()["error"]["code"] == "not_found"


def test_best_seats_of_a_started_showtime_is_closed(api_client):
    showtime = ShowtimeFactory()
    type(showtime).objects.filter(pk=showtime.pk).update(
        starts_at=timezone.now() - timedelta(minutes=5)
    )
    r = api_client.get(best_url(showtime, count=2))
    assert r.status_code == status.HTTP_400_BAD_REQUEST
    assert r.json()["error"]["code"] == "showtime_closed"


def test_best_seats_query_count_is_constant(
    api_client, user, django_assert_num_queries
):
    showtime = ShowtimeFactory()
    buy(user=user, showtime=showtime, labels=["A1"])
    # The showtime, the seats, the active claims, the blocked seats: whatever the
    # hall's size.
    with django_assert_num_queries(4):
        api_client.get(best_url(showtime, count=2))


@pytest.mark.django_db(transaction=True)
def test_concurrent_scans_over_http_let_one_in(client_for):
    showtime = ShowtimeFactory(starts_at=timezone.now() + timedelta(hours=1))
    ticket = buy(user=UserFactory(), showtime=showtime, labels=["A1"]).tickets.get()
    # Transactional tests flush the tables, and with them the groups that a data
    # migration made; the role check needs only the group's name.
    Group.objects.get_or_create(name=BOX_OFFICE)
    scanners = [client_for(UserFactory(roles=["box_office"])) for _ in range(4)]
    barrier = threading.Barrier(len(scanners))
    statuses: list[int] = []

    def scan(client):
        try:
            barrier.wait()
            statuses.append(
                client.post("/api/check-in/", {"code": ticket.code}).status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=scan, args=(c,)) for c in scanners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [status.HTTP_200_OK] + [status.HTTP_409_CONFLICT] * 3


def _mark_access_places(showtime):
    """Row B: wheelchair spaces 5 and 6 (the best seats), companions 4 and 7."""
    screen = showtime.screen
    layout = [dict(row) for row in screen.layout]
    layout[1] = {**layout[1], "wheelchair": [5, 6], "companion": [4, 7]}
    theater_services.update_screen(screen=screen, layout=layout)


def test_best_seats_skip_wheelchair_and_companion_places(api_client):
    showtime = ShowtimeFactory()
    _mark_access_places(showtime)

    r = api_client.get(best_url(showtime, count=2, category="standard"))

    assert r.status_code == status.HTTP_200_OK
    assert r.json()["seats"] == ["A5", "A6"]  # B5, B6 would be best


def test_best_seats_accessible_proposes_a_space_and_its_companion(
    api_client, auth_client
):
    showtime = ShowtimeFactory()
    _mark_access_places(showtime)

    r = api_client.get(best_url(showtime, count=2, accessible=1))
    seats = r.json()["seats"]
    held = auth_client.post(
        "/api/reservations/",
        {"showtime": showtime.pk, "seats": seats, "accessible": True},
        format="json",
    )

    assert r.status_code == status.HTTP_200_OK
    assert seats in (["B4", "B5"], ["B6", "B7"])
    assert held.status_code == status.HTTP_201_CREATED, held.content


def test_best_seats_accessible_must_be_a_boolean(api_client):
    showtime = ShowtimeFactory()

    r = api_client.get(best_url(showtime, count=2, accessible="maybe"))

    assert r.status_code == status.HTTP_400_BAD_REQUEST
    assert list(r.json()["error"]["fields"]) == ["accessible"]

"""Waiting-list endpoints: status codes, envelope, permissions, scoping, shapes."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework import status

from reservations import services as booking
from reservations.models import ReservationStatus
from tests.factories import ShowtimeFactory, UserFactory
from waitlist.models import WaitlistEntry, WaitlistStatus

pytestmark = pytest.mark.django_db


def join(client, showtime, seats=2):
    return client.post(
        f"/api/showtimes/{showtime.pk}/waitlist/", {"seats": seats}, format="json"
    )


def error_code(response) -> str:
    return response.json()["error"]["code"]


def test_join_sold_out_showtime_is_201_with_position(auth_client, user, showtime, sold):
    response = join(auth_client, showtime, seats=2)

    assert response.status_code == status.HTTP_201_CREATED, response.content
    entry = WaitlistEntry.objects.get()
    assert (entry.user, entry.seats, entry.status) == (user, 2, WaitlistStatus.WAITING)
    body = response.json()
    assert body == {
        "id": entry.pk,
        "showtime": showtime.pk,
        "seats": 2,
        "status": "waiting",
        "position": 1,
        "created_at": body["created_at"],
        "offer": None,
    }
    assert body["created_at"].endswith("Z")


@pytest.mark.parametrize("role", ["user", "manager", "box_office", "staff"])
def test_every_signed_in_role_may_join_as_a_customer(
    request, role, client_for, showtime, sold
):
    response = join(client_for(request.getfixturevalue(role)), showtime, seats=1)

    assert response.status_code == status.HTTP_201_CREATED, response.content


def test_anonymous_gets_401_everywhere(api_client, showtime, sold, user):
    entry = WaitlistEntry.objects.create(user=user, showtime=showtime, seats=1)

    responses = [
        join(api_client, showtime),
        api_client.get("/api/waitlist/"),
        api_client.delete(f"/api/waitlist/{entry.pk}/"),
    ]

    assert [r.status_code for r in responses] == [status.HTTP_401_UNAUTHORIZED] * 3
    assert {error_code(r) for r in responses} == {"not_authenticated"}


@pytest.mark.parametrize(
    "payload",
    [{}, {"seats": 0}, {"seats": -1}, {"seats": "two"}, {"seats": 11}, {"seats": 1.5}],
)
def test_bad_seat_counts_are_400(auth_client, showtime, sold, payload):
    response = auth_client.post(
        f"/api/showtimes/{showtime.pk}/waitlist/", payload, format="json"
    )

    assert response.status_code == status.HTTP_400_BAD_REQUEST, response.content
    assert error_code(response) == "invalid"
    assert list(response.json()["error"]["fields"]) == ["seats"]
    assert not WaitlistEntry.objects.exists()


def test_unknown_showtime_is_404(auth_client):
    response = auth_client.post("/api/showtimes/999999/waitlist/", {"seats": 1})

    assert response.status_code == status.HTTP_404_NOT_FOUND


def test_enough_free_seats_is_409_book_instead(auth_client, showtime, sold, buyer):
    booking.cancel_reservation(reservation=sold["A1"], actor=buyer)
    booking.cancel_reservation(reservation=sold["A2"], actor=buyer)

    response = join(auth_client, showtime, seats=2)

    assert response.status_code == status.HTTP_409_CONFLICT
    assert response.json()["error"]["code"] == "seats_available"
    assert response.json()["error"]["details"] == {"available": 2, "seats": 2}
    assert join(auth_client, showtime, seats=3).status_code == status.HTTP_201_CREATED


def test_joining_twice_is_409_already_waiting(auth_client, showtime, sold):
    assert join(auth_client, showtime, seats=1).status_code == status.HTTP_201_CREATED

    response = join(auth_client, showtime, seats=2)

    assert response.status_code == status.HTTP_409_CONFLICT
    assert error_code(response) == "already_waiting"
    assert WaitlistEntry.objects.count() == 1


def test_cancelled_or_started_showtime_is_409_closed(auth_client, buyer):
    cancelled = ShowtimeFactory(is_cancelled=True)
    started = ShowtimeFactory(starts_at=timezone.now() - timedelta(minutes=1))

    for showtime in (cancelled, started):
        response = join(auth_client, showtime, seats=1)
        assert response.status_code == status.HTTP_409_CONFLICT
        assert error_code(response) == "waitlist_closed"
    assert not WaitlistEntry.objects.exists()


def test_list_shows_only_own_entries_with_live_positions(
    client_for, showtime, sold, user, other_user
):
    third = UserFactory()
    for who in (other_user, user, third):
        assert join(client_for(who), showtime, 1).status_code == status.HTTP_201_CREATED

    mine = client_for(user).get("/api/waitlist/").json()
    assert mine["count"] == 1
    assert [(e["position"], e["status"]) for e in mine["results"]] == [(2, "waiting")]

    first = WaitlistEntry.objects.get(user=other_user)
    left = client_for(other_user).delete(f"/api/waitlist/{first.pk}/")
    assert left.status_code == status.HTTP_204_NO_CONTENT

    assert client_for(user).get("/api/waitlist/").json()["results"][0]["position"] == 1
    assert client_for(third).get("/api/waitlist/").json()["results"][0]["position"] == 2
    gone = client_for(other_user).get("/api/waitlist/").json()["results"][0]
    assert (gone["status"], gone["position"]) == ("left", None)


def test_list_query_count_is_constant(
    client_for, user, django_assert_num_queries, buyer
):
    def entries(count):
        for _ in range(count):
            WaitlistEntry.objects.create(user=user, showtime=ShowtimeFactory(), seats=1)

    client = client_for(user)
    entries(1)
    with django_assert_num_queries(2) as one:  # the count, the page
        assert client.get("/api/waitlist/").status_code == status.HTTP_200_OK
    entries(4)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get("/api/waitlist/")
    assert response.json()["count"] == 5


def test_delete_someone_elses_entry_is_404(other_client, user, showtime, sold):
    entry = WaitlistEntry.objects.create(user=user, showtime=showtime, seats=1)

    response = other_client.delete(f"/api/waitlist/{entry.pk}/")

    assert response.status_code == status.HTTP_404_NOT_FOUND
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.WAITING


def test_delete_twice_is_409_entry_closed(auth_client, showtime, sold):
    entry_id = join(auth_client, showtime, 1).json()["id"]
    assert auth_client.delete(f"/api/waitlist/{entry_id}/").status_code == 204

    response = auth_client.delete(f"/api/waitlist/{entry_id}/")

    assert response.status_code == status.HTTP_409_CONFLICT
    assert error_code(response) == "waitlist_entry_closed"
    assert response.json()["error"]["details"] == {"status": "left"}


def test_delete_of_an_offer_lets_it_go_to_the_next(
    client_for, showtime, sold, buyer, user, other_user, commit
):
    join(client_for(user), showtime, 1)
    join(client_for(other_user), showtime, 1)
    with commit():
        booking.cancel_reservation(reservation=sold["A1"], actor=buyer)
    mine = WaitlistEntry.objects.get(user=user)
    offer = mine.reservation
    listed = client_for(user).get("/api/waitlist/").json()["results"][0]
    assert listed["status"] == "offered"
    assert listed["offer"] == {
        "reservation": offer.pk,
        "code": offer.code,
        "expires_at": listed["offer"]["expires_at"],
    }

    with commit():
        response = client_for(user).delete(f"/api/waitlist/{mine.pk}/")

    assert response.status_code == status.HTTP_204_NO_CONTENT
    offer.refresh_from_db()
    assert offer.status == ReservationStatus.CANCELLED
    mine.refresh_from_db()
    assert mine.status == WaitlistStatus.DECLINED
    theirs = WaitlistEntry.objects.get(user=other_user)
    assert theirs.status == WaitlistStatus.OFFERED
    assert theirs.reservation.reserved_seats.get().seat.label == "A1"


def test_staff_see_waiting_lists_in_the_admin_read_only(client, showtime, sold, user):
    from django.urls import reverse

    entry = WaitlistEntry.objects.create(user=user, showtime=showtime, seats=2)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    listing = client.get(reverse("admin:waitlist_waitlistentry_changelist"))
    detail = client.get(reverse("admin:waitlist_waitlistentry_change", args=[entry.pk]))
    changed = client.post(
        reverse("admin:waitlist_waitlistentry_change", args=[entry.pk]),
        {"seats": 5, "status": "left"},
    )

    assert listing.status_code == detail.status_code == status.HTTP_200_OK
    assert user.username in listing.content.decode()
    assert changed.status_code == status.HTTP_403_FORBIDDEN
    entry.refresh_from_db()
    assert (entry.seats, entry.status) == (2, WaitlistStatus.WAITING)

"""The reservation admin: lists, search, read-only detail, and the cancel action."""

import pytest
from django.test import Client

from reservations import services
from reservations.models import ReservationStatus
from tests.factories import ReservationFactory, UserFactory

from .helpers import active_labels

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/reservations/reservation/"


@pytest.fixture
def admin_client_():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_changelist_filters_and_searches(admin_client_, showtime, user):
    reservation = ReservationFactory(user=user, showtime=showtime)

    for query in (
        {},
        {"status__exact": "held"},
        {"q": reservation.code},
        {"q": user.username},
        {"showtime__screen__theater__id__exact": showtime.screen.theater_id},
    ):
        response = admin_client_.get(CHANGELIST, query)
        assert response.status_code == 200, query
        assert reservation.code in response.text, query


def test_change_page_shows_seats_and_tickets_read_only(
    admin_client_, showtime, gateway
):
    reservation = ReservationFactory(showtime=showtime, purchased=True)

    response = admin_client_.get(f"{CHANGELIST}{reservation.pk}/change/")

    assert response.status_code == 200
    ticket = reservation.tickets.get()
    assert ticket.code in response.text
    assert 'name="reserved_seats-0-seat"' not in response.text  # not editable


def test_cancel_selected_action_goes_through_the_service(admin_client_, showtime, user):
    held = ReservationFactory(user=user, showtime=showtime, seats=["A1"])
    gone = ReservationFactory(user=user, showtime=showtime, seats=["A2"])
    services.cancel_reservation(reservation=gone, actor=user)

    response = admin_client_.post(
        CHANGELIST,
        {"action": "cancel_selected", "_selected_action": [held.pk, gone.pk]},
        follow=True,
    )

    assert response.status_code == 200
    held.refresh_from_db()
    assert held.status == ReservationStatus.CANCELLED
    assert active_labels(showtime) == []
    assert "Cancelled 1 reservation(s)." in response.text
    assert f"{gone.code}:" in response.text


def test_admin_cannot_add_reservations(admin_client_):
    assert admin_client_.get(f"{CHANGELIST}add/").status_code == 403

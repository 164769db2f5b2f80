"""reports.selectors.get_sales_report: the cases the API scenario leaves out."""

from decimal import Decimal

import pytest
from django.utils import timezone

from reports.selectors import get_sales_report
from reservations import services
from showtimes import services as showtime_services
from tests.factories import ReservationFactory, ShowtimeFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_cancelled_show_refunds_used_tickets_and_offers_no_capacity():
    show = ShowtimeFactory()
    bought = ReservationFactory(showtime=show, seats=["A1", "A2"], purchased=True)
    bought.tickets.filter(seat__label="A1").update(checked_in_at=timezone.now())
    showtime_services.update_showtime(
        showtime=show, actor=UserFactory(is_staff=True), is_cancelled=True
    )
    bought = services.cancel_reservation(reservation=bought, actor=bought.user)

    [row] = get_sales_report(
        date_from=show.business_date, date_to=show.business_date, group_by="showtime"
    )

    assert bought.refund_amount == Decimal("20.00")
    assert (row.tickets_sold, row.tickets_refunded, row.admissions) == (2, 2, 0)
    assert (row.gross, row.refunds, row.net) == (
        Decimal("20.00"),
        Decimal("20.00"),
        Decimal("0.00"),
    )
    assert (row.showtimes, row.capacity, row.occupancy) == (0, 0, None)


def test_holds_lapsed_and_cancelled_holds_sell_nothing():
    show = ShowtimeFactory()
    ReservationFactory(showtime=show, seats=["A1"])  # held
    cancelled = ReservationFactory(showtime=show, seats=["A2"])
    services.cancel_reservation(reservation=cancelled, actor=cancelled.user)

    [row] = get_sales_report(
        date_from=show.business_date, date_to=show.business_date, group_by="day"
    )

    assert (row.tickets_sold, row.gross, row.capacity) == (0, Decimal("0.00"), 28)
    assert row.occupancy == 0.0
    assert row.average_ticket_price is None


def test_seats_given_back_are_refunded_less_the_fee_kept(settings):
    settings.CANCELLATION_POLICY = ((0, Decimal("50")),)
    show = ShowtimeFactory()
    bought = ReservationFactory(showtime=show, seats=["A1", "A2", "C1"], purchased=True)
    bought = services.cancel_seats(reservation=bought, labels=["C1"], actor=bought.user)

    [row] = get_sales_report(
        date_from=show.business_date, date_to=show.business_date, group_by="showtime"
    )

    assert bought.status == "confirmed"
    assert (bought.refund_amount, bought.fee) == (Decimal("7.75"), Decimal("7.75"))
    assert (row.tickets_sold, row.tickets_refunded, row.admissions) == (3, 1, 2)
    assert (row.gross, row.refunds, row.net) == (
        Decimal("35.50"),
        Decimal("7.75"),
        Decimal("27.75"),
    )

    bought = services.cancel_reservation(reservation=bought, actor=bought.user)
    [row] = get_sales_report(
        date_from=show.business_date, date_to=show.business_date, group_by="showtime"
    )
    assert row.tickets_refunded == 3
    assert row.refunds == bought.refund_amount == Decimal("17.75")
    assert row.net == bought.fee == Decimal("17.75")

"""GET /metrics (movie_api.metrics): who may read it, that it parses, and that the
booking counters, the latency histogram and the active-holds gauge say what
happened. These run in one process (no PROMETHEUS_MULTIPROC_DIR); the count across
gunicorn workers is tests/multiprocess/test_metrics.py's."""

from datetime import timedelta
from ipaddress import ip_network

import pytest
from django.db import transaction
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from rest_framework import status

from movie_api import metrics
from reservations import services as booking
from reservations.models import ReservationStatus
from tests.factories import ShowtimeFactory, UserFactory
from tests.reservations.helpers import client_for
from tickets.services import check_in_ticket

pytestmark = pytest.mark.django_db

URL = "/metrics"
TOKEN = "s3cret-metrics-token-for-tests"
COUNTERS = {
    "holds_created": "movie_api_holds_created_total",
    "seat_conflicts": "movie_api_seat_conflicts_total",
    "purchases": "movie_api_purchases_total",
    "payment_failures": "movie_api_payment_failures_total",
    "refunds": "movie_api_refunds_total",
    "holds_lapsed": "movie_api_holds_lapsed_total",
    "check_ins": "movie_api_check_ins_total",
    "throttled": "movie_api_throttled_requests_total",
}


def counts() -> dict[str, float]:
    return {
        key: metrics.LOCAL_REGISTRY.get_sample_value(name) or 0.0
        for key, name in COUNTERS.items()
    }


def moved(before: dict[str, float]) -> dict[str, float]:
    """The counters that changed since ``before``, by how much."""
    return {
        key: value - before[key]
        for key, value in counts().items()
        if value != before[key]
    }


def scrape(api_client) -> dict:
    response = api_client.get(URL, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == status.HTTP_200_OK
    return {
        family.name: family
        for family in text_string_to_metric_families(response.content.decode())
    }


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOW = ()


# --- who may read it ------------------------------------------------------------


def test_metrics_is_a_404_when_neither_token_nor_addresses_are_set(
    api_client, settings
):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOW = ()

    assert api_client.get(URL).status_code == status.HTTP_404_NOT_FOUND
    response = api_client.get(URL, HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == status.HTTP_404_NOT_FOUND


@pytest.mark.parametrize(
    ("authorization", "expected"),
    [
        (None, status.HTTP_404_NOT_FOUND),
        (f"Bearer {TOKEN}x", status.HTTP_404_NOT_FOUND),
        (f"Bearer {TOKEN[:-1]}", status.HTTP_404_NOT_FOUND),
        ("Bearer ", status.HTTP_404_NOT_FOUND),
        (f"Basic {TOKEN}", status.HTTP_404_NOT_FOUND),
        ("Bearer ünïcode", status.HTTP_404_NOT_FOUND),
        (f"Bearer {TOKEN}", status.HTTP_200_OK),
        (f"bearer {TOKEN}", status.HTTP_200_OK),
    ],
)
def test_metrics_needs_the_bearer_token(api_client, token, authorization, expected):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    response = api_client.get(URL, **headers)

    assert response.status_code == expected
    if expected == status.HTTP_404_NOT_FOUND:
        # The 404 of a path that does not exist: nothing says an endpoint is here.
        assert b"movie_api_" not in response.content


def test_a_refused_scrape_looks_like_any_unknown_path(api_client, token):
    refused = api_client.get(URL)
    unknown = api_client.get("/no-such-page")

    assert refused.status_code == unknown.status_code == status.HTTP_404_NOT_FOUND
    assert refused["Content-Type"] == unknown["Content-Type"]


@pytest.mark.parametrize(
    ("allow", "remote_addr", "expected"),
    [
        ("127.0.0.1", "127.0.0.1", status.HTTP_200_OK),
        ("10.0.0.0/8", "10.1.2.3", status.HTTP_200_OK),
        ("10.0.0.0/8", "192.168.0.1", status.HTTP_404_NOT_FOUND),
        ("::1", "::1", status.HTTP_200_OK),
        ("10.0.0.0/8", "::1", status.HTTP_404_NOT_FOUND),
    ],
)
def test_metrics_answers_an_allowed_address(
    api_client, settings, allow, remote_addr, expected
):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOW = (ip_network(allow),)

    response = api_client.get(URL, REMOTE_ADDR=remote_addr)

    assert response.status_code == expected


def test_metrics_ignores_x_forwarded_for_without_num_proxies(api_client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOW = (ip_network("10.0.0.0/8"),)

    response = api_client.get(
        URL, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.0.0.1"
    )

    assert response.status_code == status.HTTP_404_NOT_FOUND


def test_metrics_reads_the_proxys_address_with_num_proxies(api_client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOW = (ip_network("10.0.0.0/8"),)
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}

    # The proxy (REMOTE_ADDR) appends the address it saw; the client's own
    # claim in front of it is not believed.
    allowed = api_client.get(
        URL, REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.0.0.7"
    )
    refused = api_client.get(
        URL, REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="10.0.0.7, 203.0.113.9"
    )

    assert allowed.status_code == status.HTTP_200_OK
    assert refused.status_code == status.HTTP_404_NOT_FOUND


def test_metrics_other_methods_are_refused(api_client, token):
    response = api_client.post(URL, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED


# --- what it says -----------------------------------------------------------------


def test_metrics_text_parses_and_lists_every_metric(api_client, token):
    families = scrape(api_client)

    assert {
        "movie_api_holds_created",
        "movie_api_seat_conflicts",
        "movie_api_purchases",
        "movie_api_payment_failures",
        "movie_api_refunds",
        "movie_api_holds_lapsed",
        "movie_api_check_ins",
        "movie_api_throttled_requests",
        "movie_api_request_duration_seconds",
        "movie_api_active_holds",
    } <= set(families)
    assert families["movie_api_active_holds"].type == "gauge"
    assert families["movie_api_request_duration_seconds"].type == "histogram"
    assert families["movie_api_holds_created"].type == "counter"


def test_booking_counters_move_once_each_change_commits(
    api_client, token, django_capture_on_commit_callbacks
):
    showtime = ShowtimeFactory(starts_at=_in(hours=1))  # inside the check-in window
    customer, rival = UserFactory(), UserFactory()
    box_office = UserFactory(roles=["box_office"])
    client = client_for(customer)
    before = counts()

    with django_capture_on_commit_callbacks(execute=True):
        held = client.post(
            "/api/reservations/", {"showtime": showtime.pk, "seats": ["A1", "A2"]}
        )
        taken = client_for(rival).post(
            "/api/reservations/", {"showtime": showtime.pk, "seats": ["A2"]}
        )
    assert held.status_code == status.HTTP_201_CREATED
    assert taken.status_code == status.HTTP_409_CONFLICT
    assert taken.json()["error"]["code"] == "seats_unavailable"
    assert moved(before) == {"holds_created": 1, "seat_conflicts": 1}
    assert scrape(api_client)["movie_api_active_holds"].samples[0].value == 1

    before = counts()
    purchase = f"/api/reservations/{held.json()['id']}/purchase/"
    with django_capture_on_commit_callbacks(execute=True):
        declined = client.post(purchase, {"payment_token": "tok_declined"})
        bought = client.post(purchase, {})
    assert declined.status_code == status.HTTP_402_PAYMENT_REQUIRED
    assert bought.status_code == status.HTTP_200_OK
    assert moved(before) == {"payment_failures": 1, "purchases": 1}
    assert scrape(api_client)["movie_api_active_holds"].samples[0].value == 0

    before = counts()
    code = bought.json()["tickets"][0]["code"]
    with django_capture_on_commit_callbacks(execute=True):
        check_in_ticket(code=code, actor=box_office)
    assert moved(before) == {"check_ins": 1}

    before = counts()
    staff = UserFactory(is_staff=True, roles=["manager", "box_office"])
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = client_for(staff).delete(f"/api/reservations/{held.json()['id']}/")
    assert cancelled.status_code == status.HTTP_204_NO_CONTENT
    assert moved(before) == {"refunds": 1}  # the unused seat's price went back


def test_a_cancelled_hold_is_no_refund(token, django_capture_on_commit_callbacks):
    showtime = ShowtimeFactory()
    user = UserFactory()
    hold = booking.create_reservation(user=user, showtime=showtime, labels=["A1"])
    before = counts()

    with django_capture_on_commit_callbacks(execute=True):
        booking.cancel_reservation(reservation=hold, actor=user)

    assert moved(before) == {}


def test_seats_given_back_and_full_refunds_count_as_refunds(
    token, django_capture_on_commit_callbacks
):
    user = UserFactory()
    hold = booking.create_reservation(
        user=user, showtime=ShowtimeFactory(), labels=["A1", "A2"]
    )
    bought = booking.purchase_reservation(reservation=hold)
    before = counts()

    with django_capture_on_commit_callbacks(execute=True):
        booking.cancel_seats(reservation=bought, labels=["A1"], actor=user)
        booking.refund_in_full(
            reservation=bought, actor=UserFactory(is_staff=True), reason="goodwill"
        )

    assert moved(before) == {"refunds": 2}


def test_lapsed_holds_are_counted_and_leave_the_gauge(
    api_client, token, django_capture_on_commit_callbacks
):
    showtime = ShowtimeFactory()
    hold = booking.create_reservation(
        user=UserFactory(), showtime=showtime, labels=["A1"]
    )
    assert scrape(api_client)["movie_api_active_holds"].samples[0].value == 1
    before = counts()

    with django_capture_on_commit_callbacks(execute=True):
        expired = booking.expire_holds(now=hold.expires_at + timedelta(seconds=1))

    assert expired == 1
    assert moved(before) == {"holds_lapsed": 1}
    hold.refresh_from_db()
    assert hold.status == ReservationStatus.EXPIRED


def test_a_rolled_back_hold_is_never_counted(token, django_capture_on_commit_callbacks):
    showtime = ShowtimeFactory()
    before = counts()

    def hold_then_fail():
        with transaction.atomic():
            booking.create_reservation(
                user=UserFactory(), showtime=showtime, labels=["A1"]
            )
            raise RuntimeError("the caller's transaction fails after the hold")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        hold_then_fail()

    assert callbacks == []
    assert moved(before) == {}


def test_throttled_requests_are_counted(api_client, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "anon": "1/min"}
    before = counts()

    answers = [api_client.get("/api/movies/").status_code for _ in range(3)]

    assert answers == [200, 429, 429]
    assert moved(before) == {"throttled": 2}


def test_latency_is_labelled_by_route_name_never_by_path(api_client, token):
    showtime = ShowtimeFactory()

    api_client.get(f"/api/showtimes/{showtime.pk}/")
    api_client.get("/api/showtimes/999999/")
    api_client.get(f"/api/showtimes/{showtime.pk}/seats/")

    samples = [
        sample
        for sample in scrape(api_client)["movie_api_request_duration_seconds"].samples
        if sample.name.endswith("_count")
    ]
    labels = {
        (s.labels["route"], s.labels["method"], s.labels["status_class"])
        for s in samples
    }
    assert ("showtime-detail", "GET", "2xx") in labels
    assert ("showtime-detail", "GET", "4xx") in labels
    assert ("showtime-seats", "GET", "2xx") in labels
    assert not any(str(showtime.pk) in route for route, _, _ in labels)
    assert all(route and "/" not in route for route, _, _ in labels)


def test_unknown_methods_share_one_label(api_client, token):
    api_client.generic("BREW", "/api/health/")

    samples = scrape(api_client)["movie_api_request_duration_seconds"].samples
    assert {s.labels["method"] for s in samples} <= {
        "GET",
        "HEAD",
        "POST",
        "PUT",
        "PATCH",
        "DELETE",
        "OPTIONS",
        "other",
    }
    assert any(s.labels["method"] == "other" for s in samples)


def _in(**delta):
    return timezone.now() + timedelta(**delta)

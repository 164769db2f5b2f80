"""The showtime list is built from plain rows (``showtime_rows``): it must show
exactly what ShowtimeSerializer shows for the same showtimes."""

from datetime import timedelta

from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from reservations.services import create_reservation, purchase_reservation
from showtimes.models import Showtime
from showtimes.selectors import list_showtimes
from showtimes.serializers import SHOWTIME_ROW_FIELDS, ShowtimeSerializer, showtime_rows
from tests.factories import ScreenFactory, ShowtimeFactory, TheaterFactory


def rendered(data) -> bytes:
    return JSONRenderer().render(data)


def test_rows_equal_the_serializer_for_every_kind_of_showtime(
    user, monkeypatch, settings
):
    plain = ShowtimeFactory()
    ShowtimeFactory(
        screen=ScreenFactory(theater=TheaterFactory(timezone="America/New_York")),
        audio_language="en",
        subtitles="de",
        has_closed_captions=True,
        is_relaxed=True,
        format="IMAX",
        is_cancelled=True,
    )
    legacy = ShowtimeFactory(starts_at=timezone.now() + timedelta(days=9, hours=3))
    Showtime.objects.filter(pk=legacy.pk).update(price_table={})  # adult prices only
    create_reservation(user=user, showtime=plain, labels=["A1", "A2"])
    purchase_reservation(
        reservation=create_reservation(user=user, showtime=plain, labels=["B1"])
    )
    # Later, the first hold has lapsed without a write: both must add it back.
    later = timezone.now() + timedelta(seconds=settings.RESERVATION_HOLD_SECONDS + 1)
    monkeypatch.setattr(timezone, "now", lambda: later)

    queryset = list_showtimes()
    by_serializer = ShowtimeSerializer(queryset, many=True).data
    by_rows = showtime_rows(queryset.values(*SHOWTIME_ROW_FIELDS))

    assert rendered(by_rows) == rendered(by_serializer)
    assert {row["id"]: row["available_seats"] for row in by_rows}[plain.pk] == 27


def test_list_and_detail_agree_through_the_api(api_client, user):
    showtime = ShowtimeFactory(has_audio_description=True, subtitles="fr")
    create_reservation(user=user, showtime=showtime, labels=["A1"])

    listed = api_client.get("/api/showtimes/").json()["results"]
    detail = api_client.get(f"/api/showtimes/{showtime.pk}/").json()

    assert listed == [detail]

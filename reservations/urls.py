"""Routes for /api/reservations/, the seat map /api/showtimes/{id}/seats/ and seat
blocks (per showtime and per screen)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    ReservationViewSet,
    ScreenBlockDetailView,
    ScreenBlockListView,
    SeatMapView,
    ShowtimeBlockDetailView,
    ShowtimeBlockListView,
)

router = SimpleRouter()
router.register("reservations", ReservationViewSet, basename="reservation")
urlpatterns = [
    path("showtimes/<id:pk>/seats/", SeatMapView.as_view(), name="showtime-seats"),
    path(
        "showtimes/<id:pk>/blocks/",
        ShowtimeBlockListView.as_view(),
        name="showtime-blocks",
    ),
    path(
        "showtimes/<id:pk>/blocks/<id:block_id>/",
        ShowtimeBlockDetailView.as_view(),
        name="showtime-block-detail",
    ),
    path(
        "screens/<id:pk>/seat-blocks/",
        ScreenBlockListView.as_view(),
        name="screen-seat-blocks",
    ),
    path(
        "screens/<id:pk>/seat-blocks/<id:block_id>/",
        ScreenBlockDetailView.as_view(),
        name="screen-seat-block-detail",
    ),
    *router.urls,
]

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
    path("showtimes/<int:pk>/seats/", SeatMapView.as_view(), name="showtime-seats"),
    path(
        "showtimes/<int:pk>/blocks/",
        ShowtimeBlockListView.as_view(),
        name="showtime-blocks",
    ),
    path(
        "showtimes/<int:pk>/blocks/<int:block_id>/",
        ShowtimeBlockDetailView.as_view(),
        name="showtime-block-detail",
    ),
    path(
        "screens/<int:pk>/seat-blocks/",
        ScreenBlockListView.as_view(),
        name="screen-seat-blocks",
    ),
    path(
        "screens/<int:pk>/seat-blocks/<int:block_id>/",
        ScreenBlockDetailView.as_view(),
        name="screen-seat-block-detail",
    ),
    *router.urls,
]

"""Routes for /api/reservations/ and the seat map /api/showtimes/{id}/seats/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import ReservationViewSet, SeatMapView

router = SimpleRouter()
router.register("reservations", ReservationViewSet, basename="reservation")
urlpatterns = [
    path("showtimes/<int:pk>/seats/", SeatMapView.as_view(), name="showtime-seats"),
    *router.urls,
]

"""Routes for waiting lists (under /api/): /showtimes/{id}/waitlist/ and /waitlist/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import ShowtimeWaitlistView, WaitlistEntryViewSet

router = SimpleRouter()
router.register("waitlist", WaitlistEntryViewSet, basename="waitlist-entry")
urlpatterns = [
    path(
        "showtimes/<id:pk>/waitlist/",
        ShowtimeWaitlistView.as_view(),
        name="showtime-waitlist",
    ),
    *router.urls,
]

"""Routes for /api/theaters/ and /api/screens/."""

from rest_framework.routers import SimpleRouter

from .views import ScreenViewSet, TheaterViewSet

router = SimpleRouter()
router.register("theaters", TheaterViewSet, basename="theater")
router.register("screens", ScreenViewSet, basename="screen")
urlpatterns = router.urls

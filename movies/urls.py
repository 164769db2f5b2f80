"""Routes for /api/movies/."""

from rest_framework.routers import SimpleRouter

from .views import MovieViewSet

router = SimpleRouter()
router.register("movies", MovieViewSet, basename="movie")
urlpatterns = router.urls

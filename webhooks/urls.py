"""Routes for /api/webhooks/."""

from rest_framework.routers import SimpleRouter

from .views import EndpointViewSet

router = SimpleRouter()
router.register("webhooks", EndpointViewSet, basename="webhook")

urlpatterns = router.urls

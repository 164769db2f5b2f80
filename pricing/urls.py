"""Routes for /api/ticket-types/, /api/price-cards/ and /api/vouchers/."""

from rest_framework.routers import SimpleRouter

from .views import PriceCardViewSet, TicketTypeViewSet, VoucherViewSet

router = SimpleRouter()
router.register("ticket-types", TicketTypeViewSet, basename="ticket-type")
router.register("price-cards", PriceCardViewSet, basename="price-card")
router.register("vouchers", VoucherViewSet, basename="voucher")
urlpatterns = router.urls

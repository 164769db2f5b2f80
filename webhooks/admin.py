"""Admin: endpoints, deliveries and attempts, read-mostly."""

from django.contrib import admin

from .models import Delivery, DeliveryAttempt, Endpoint


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    """Endpoints are created through the API, which shows the new secret once."""

    list_display = ["url", "active", "failing_since", "disabled_reason"]
    exclude = ["secret"]
    readonly_fields = ["failing_since", "disabled_reason"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["event", "endpoint", "status", "attempts", "next_attempt_at"]
    list_filter = ["status"]
    raw_id_fields = ["event", "endpoint"]


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(admin.ModelAdmin):
    list_display = ["delivery", "number", "at", "status_code", "duration_ms", "error"]
    raw_id_fields = ["delivery"]

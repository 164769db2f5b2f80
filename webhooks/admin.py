"""Admin: endpoints, deliveries and attempts, read-mostly."""

from django.contrib import admin

from .models import Delivery, DeliveryAttempt, Endpoint


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "active", "failing_since", "disabled_reason"]
    exclude = ["secret"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["event", "endpoint", "status", "attempts", "next_attempt_at"]
    list_filter = ["status"]
    raw_id_fields = ["event", "endpoint"]


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(admin.ModelAdmin):
    list_display = ["delivery", "number", "at", "status_code", "duration_ms", "error"]
    raw_id_fields = ["delivery"]

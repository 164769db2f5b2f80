"""Admin for payments, refunds and provider events: read-only (services write them)."""

from django.contrib import admin

from movie_api.admin import ViewOnlyMixin

from .models import Payment, Refund, WebhookEvent


class RefundInline(ViewOnlyMixin, admin.TabularInline):
    model = Refund
    fields = ("amount", "provider_id", "status", "reason", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Payment)
class PaymentAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "reservation_code",
        "provider",
        "provider_id",
        "amount",
        "currency",
        "status",
    )
    list_filter = ("provider", "status")
    search_fields = ("provider_id", "reservation_code")
    readonly_fields = (
        "reservation",
        "reservation_code",
        "provider",
        "provider_id",
        "amount",
        "currency",
        "status",
        "failure_code",
        "quote",
        "created_at",
        "updated_at",
    )
    inlines = [RefundInline]


@admin.register(Refund)
class RefundAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "payment", "amount", "provider_id", "status")
    list_filter = ("status",)
    search_fields = ("provider_id", "payment__provider_id", "idempotency_key")
    list_select_related = ("payment",)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ("received_at", "provider", "event_id", "type")
    list_filter = ("provider", "type")
    search_fields = ("event_id",)

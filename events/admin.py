"""Admin: the outbox, read-only (to see an event that is stuck and why)."""

from django.contrib import admin

from .models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["id", "type", "created", "dispatched_at", "attempts"]
    list_filter = ["type", ("dispatched_at", admin.EmptyFieldListFilter)]
    readonly_fields = [field.name for field in Event._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

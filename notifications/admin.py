"""Admin for notifications: which booking emails went out, and why one did not."""

from django.contrib import admin

from movie_api.admin import ViewOnlyMixin

from .models import Email


@admin.register(Email)
class EmailAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "kind",
        "reservation_code",
        "to",
        "status",
        "attempts",
        "sent_at",
    )
    list_filter = ("status", "kind")
    search_fields = ("reservation_code", "to", "event_id")
    readonly_fields = [field.name for field in Email._meta.fields]

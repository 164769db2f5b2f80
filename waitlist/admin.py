"""Admin for waiting lists: view only (entries change through the API and the offer runs)."""

from django.contrib import admin

from movie_api.admin import ViewOnlyMixin

from .models import WaitlistEntry


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "showtime",
        "user",
        "seats",
        "status",
        "created_at",
        "offered_at",
        "reservation",
        "closed_at",
    )
    list_filter = ("status",)
    list_select_related = ("showtime__movie", "showtime__screen", "user", "reservation")
    search_fields = ("user__username", "reservation__code")
    ordering = ("-id",)

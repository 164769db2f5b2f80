"""Admin for showtimes."""

from django.contrib import admin

from . import services
from .models import Showtime


@admin.register(Showtime)
class ShowtimeAdmin(admin.ModelAdmin):
    list_display = ("movie", "screen", "starts_at", "ends_at", "is_cancelled")
    list_filter = ("starts_at", "screen__theater", "is_cancelled")
    search_fields = ("movie__title", "screen__name", "screen__theater__name")
    date_hierarchy = "starts_at"
    list_select_related = ("movie", "screen", "screen__theater")
    readonly_fields = ("ends_at",)
    autocomplete_fields = ("movie",)

    def save_model(self, request, obj, form, change):
        # ends_at is derived and overlaps are refused by the service.
        obj.ends_at = services.compute_ends_at(movie=obj.movie, starts_at=obj.starts_at)
        services.save_showtime(obj)

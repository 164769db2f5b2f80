"""Admin for movies."""

from django.contrib import admin
from django.db import models

from .models import Movie


@admin.register(Movie)
class MovieAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "director",
        "genre",
        "certificate",
        "release_date",
        "duration_minutes",
    )
    list_filter = ("genre", "certificate", "language")
    search_fields = ("title", "director", "synopsis")
    date_hierarchy = "release_date"
    # Django 6 will assume https for scheme-less URLs; choose it now, explicitly.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

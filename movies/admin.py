"""Admin for movies."""

from django import forms
from django.contrib import admin
from django.db import models
from rest_framework import serializers

from movie_api.exceptions import detail_messages

from .models import Movie
from .serializers import check_min_age


class MovieAdminForm(forms.ModelForm):
    """The API's rule: a restricting certificate comes with its min_age.

    No Meta: the admin builds the fields (with its formfield_overrides)."""

    def clean(self):
        cleaned = super().clean()
        try:
            check_min_age(
                rating_system=cleaned.get("rating_system", ""),
                certificate=cleaned.get("certificate", ""),
                min_age=cleaned.get("min_age"),
            )
        except serializers.ValidationError as exc:
            self.add_error("min_age", detail_messages(exc.detail))
        return cleaned


@admin.register(Movie)
class MovieAdmin(admin.ModelAdmin):
    form = MovieAdminForm
    list_display = (
        "title",
        "director",
        "genre",
        "rating_system",
        "certificate",
        "min_age",
        "release_date",
        "duration_minutes",
    )
    list_filter = ("genre", "rating_system", "certificate", "language")
    search_fields = ("title", "director", "synopsis")
    date_hierarchy = "release_date"
    # Django 6 will assume https for scheme-less URLs; choose it now, explicitly.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

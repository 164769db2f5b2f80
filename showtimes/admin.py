"""Admin for showtimes."""

import json

from django import forms
from django.contrib import admin
from rest_framework import serializers

from movie_api.admin import csv_export_action, rule_errors_as_form_errors
from movie_api.business_day import local_time
from movie_api.exceptions import detail_messages

from . import selectors, services
from .exceptions import ShowtimeHasReservations
from .models import Showtime
from .serializers import (
    check_language,
    check_prices_cover,
    check_start_in_range,
    normalise_prices,
)


class ShowtimeAdminForm(forms.ModelForm):
    """The API's rules, so a bad showtime is a form error rather than a crash."""

    class Meta:
        model = Showtime
        fields = (
            "movie",
            "screen",
            "starts_at",
            "prices",
            "is_cancelled",
            "format",
            "audio_language",
            "subtitles",
            "has_closed_captions",
            "has_audio_description",
            "is_relaxed",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # edit the full table, so child prices are not lost
            self.initial["prices"] = self.instance.ticket_prices

    def clean_starts_at(self):
        # Out of range, deriving ends_at in clean() would overflow: a crash.
        try:
            return check_start_in_range(self.cleaned_data["starts_at"])
        except serializers.ValidationError as exc:
            raise forms.ValidationError(detail_messages(exc.detail)) from exc

    def _language(self, field: str) -> str | None:
        value = self.cleaned_data[field]
        if value is None:
            return None
        try:
            return check_language(value)
        except serializers.ValidationError as exc:
            raise forms.ValidationError(detail_messages(exc.detail)) from exc

    def clean_audio_language(self):
        return self._language("audio_language")

    def clean_subtitles(self):
        return self._language("subtitles")

    def clean_prices(self):
        try:
            return normalise_prices(self.cleaned_data["prices"])
        except serializers.ValidationError as exc:
            raise forms.ValidationError(detail_messages(exc.detail)) from exc

    def clean(self):
        cleaned = super().clean()
        movie, screen = cleaned.get("movie"), cleaned.get("screen")
        starts_at, prices = cleaned.get("starts_at"), cleaned.get("prices")
        if None in (movie, screen, starts_at, prices):
            return cleaned
        try:
            check_prices_cover(screen, prices)
        except serializers.ValidationError as exc:
            self.add_error("prices", detail_messages(exc.detail))
        instance = self.instance
        moved = instance.pk and (
            movie.pk != instance.movie_id or screen.pk != instance.screen_id
        )
        candidate = Showtime(
            pk=instance.pk,
            movie=movie,
            screen=screen,
            starts_at=starts_at,
            ends_at=services.compute_ends_at(movie=movie, starts_at=starts_at),
            is_cancelled=cleaned.get("is_cancelled", False),
        )
        with rule_errors_as_form_errors():
            if moved and selectors.has_reservations(instance):
                raise ShowtimeHasReservations()
            services.check_overlap(candidate)
        return cleaned


EXPORT_COLUMNS = [
    ("id", lambda s: s.pk),
    ("movie", lambda s: s.movie.title),
    ("theater", lambda s: s.screen.theater.name),
    ("screen", lambda s: s.screen.name),
    ("starts_at", lambda s: s.starts_at.isoformat()),
    (
        "local_starts_at",
        lambda s: local_time(s.starts_at, s.screen.theater.timezone).isoformat(),
    ),
    ("business_date", lambda s: s.business_date.isoformat()),
    ("ends_at", lambda s: s.ends_at.isoformat()),
    ("format", lambda s: s.format),
    ("audio_language", lambda s: s.audio_language),
    ("subtitles", lambda s: s.subtitles),
    ("is_cancelled", lambda s: s.is_cancelled),
    ("capacity", lambda s: s.screen.capacity),
    ("currency", lambda s: s.screen.theater.currency),
    ("prices", lambda s: json.dumps(s.ticket_prices, sort_keys=True)),
]


@admin.register(Showtime)
class ShowtimeAdmin(admin.ModelAdmin):
    form = ShowtimeAdminForm
    actions = [
        csv_export_action(
            name="showtimes",
            columns=EXPORT_COLUMNS,
            prepare=lambda queryset: queryset.select_related(
                "movie", "screen__theater"
            ).order_by("starts_at", "pk"),
            description="Export selected showtimes as CSV",
        )
    ]
    list_display = (
        "movie",
        "screen",
        "starts_at",
        "business_date",
        "format",
        "audio_language",
        "subtitles",
        "is_cancelled",
    )
    list_filter = ("business_date", "screen__theater", "format", "is_cancelled")
    search_fields = ("movie__title", "screen__name", "screen__theater__name")
    date_hierarchy = "starts_at"
    list_select_related = ("movie", "screen", "screen__theater")
    readonly_fields = ("ends_at", "business_date")
    autocomplete_fields = ("movie",)

    def save_model(self, request, obj, form, change):
        # Through the services, as the API does: they derive ends_at and re-check
        # the rules the form checked, under their locks.
        # The form's "prices" is the full table (either form is accepted).
        as_args = {"prices": "price_table"}
        if change:
            changes = {
                as_args.get(field, field): form.cleaned_data[field]
                for field in form.changed_data
            }
            saved = services.update_showtime(
                showtime=obj, actor=request.user, **changes
            )
        else:
            saved = services.create_showtime(
                **{
                    as_args.get(field, field): form.cleaned_data[field]
                    for field in ShowtimeAdminForm.Meta.fields
                }
            )
        obj.pk, obj.ends_at = saved.pk, saved.ends_at
        obj.business_date = saved.business_date

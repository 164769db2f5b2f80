"""Admin for theaters, screens and seats."""

from django import forms
from django.contrib import admin
from rest_framework import serializers

from movie_api.admin import ReadOnlyTabularInline, rule_errors_as_form_errors
from movie_api.exceptions import detail_messages

from . import services
from .models import Screen, Seat, Theater
from .serializers import ScreenSerializer, check_currency, check_timezone


class ScreenInline(admin.TabularInline):
    model = Screen
    fields = ("name", "capacity")
    readonly_fields = ("name", "capacity")
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # a screen needs a layout: add it on its own page


class TheaterAdminForm(forms.ModelForm):
    """The API's rules for the time zone and the currency."""

    class Meta:
        model = Theater
        fields = ("name", "location", "city", "timezone", "currency")

    def _checked(self, field: str, check) -> str:
        try:
            return check(self.cleaned_data[field])
        except serializers.ValidationError as exc:
            raise forms.ValidationError(detail_messages(exc.detail)) from exc

    def clean_timezone(self):
        return self._checked("timezone", check_timezone)

    def clean_currency(self):
        return self._checked("currency", check_currency)


@admin.register(Theater)
class TheaterAdmin(admin.ModelAdmin):
    form = TheaterAdminForm
    list_display = ("name", "city", "location", "timezone", "currency")
    list_filter = ("city", "timezone", "currency")
    search_fields = ("name", "city", "location")
    inlines = [ScreenInline]

    def save_model(self, request, obj, form, change):
        # Through the service, as the API does: a new time zone moves the business
        # dates of the theater's showtimes in the same transaction.
        if change:
            services.update_theater(
                theater=obj, **{f: form.cleaned_data[f] for f in form.changed_data}
            )
        else:
            super().save_model(request, obj, form, change)


class SeatInline(ReadOnlyTabularInline):
    model = Seat
    fields = ("label", "row", "number", "category")


class ScreenAdminForm(forms.ModelForm):
    class Meta:
        model = Screen
        fields = ("theater", "name", "layout")

    def clean_layout(self):
        layout = self.cleaned_data["layout"]
        checker = ScreenSerializer().fields["layout"]
        try:
            layout = ScreenSerializer().validate_layout(checker.run_validation(layout))
        except serializers.ValidationError as exc:
            raise forms.ValidationError(detail_messages(exc.detail)) from exc
        if self.instance.pk and layout != self.instance.layout:
            with rule_errors_as_form_errors():
                services.check_layout_change(screen=self.instance, layout=layout)
        return layout


@admin.register(Screen)
class ScreenAdmin(admin.ModelAdmin):
    form = ScreenAdminForm
    list_display = ("name", "theater", "capacity")
    list_filter = ("theater__city", "theater")
    search_fields = ("name", "theater__name")
    readonly_fields = ("capacity",)
    inlines = [SeatInline]

    def save_model(self, request, obj, form, change):
        # Seats are created and replaced with the layout, so go through the service.
        if change:
            services.update_screen(
                screen=obj, **{f: form.cleaned_data[f] for f in form.changed_data}
            )
        else:
            created = services.create_screen(
                theater=obj.theater, name=obj.name, layout=obj.layout
            )
            obj.pk, obj.capacity = created.pk, created.capacity

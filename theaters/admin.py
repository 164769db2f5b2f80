"""Admin for theaters, screens and seats."""

from django import forms
from django.contrib import admin
from rest_framework import serializers

from movie_api.admin import ReadOnlyTabularInline, rule_errors_as_form_errors
from movie_api.exceptions import detail_messages

from . import services
from .models import Screen, Seat, Theater
from .serializers import ScreenSerializer


class ScreenInline(admin.TabularInline):
    model = Screen
    fields = ("name", "capacity")
    readonly_fields = ("name", "capacity")
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # a screen needs a layout: add it on its own page


@admin.register(Theater)
class TheaterAdmin(admin.ModelAdmin):
    list_display = ("name", "city", "location")
    list_filter = ("city",)
    search_fields = ("name", "city", "location")
    inlines = [ScreenInline]


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

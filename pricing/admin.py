"""Admin for ticket types, price cards and vouchers (their API's rules as form errors)."""

from django import forms
from django.contrib import admin
from rest_framework import serializers

from movie_api.exceptions import detail_messages

from .models import PriceCard, TicketType, Voucher
from .serializers import (
    VOUCHER_TERMS,
    PriceCardRuleSerializer,
    check_voucher_value,
    normalise_price_table,
)


@admin.register(TicketType)
class TicketTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "min_age", "max_age", "requires_id")
    search_fields = ("code", "name")


class PriceCardAdminForm(forms.ModelForm):
    class Meta:
        model = PriceCard
        fields = ("name", "theater", "prices", "rules", "priority")

    def clean_prices(self):
        try:
            return normalise_price_table(self.cleaned_data["prices"])
        except serializers.ValidationError as exc:
            raise forms.ValidationError(detail_messages(exc.detail)) from exc

    def clean_rules(self):
        rules = PriceCardRuleSerializer(
            data=self.cleaned_data["rules"], many=True, allow_empty=False
        )
        if not rules.is_valid():
            raise forms.ValidationError(detail_messages(rules.errors))
        return rules.validated_data


@admin.register(PriceCard)
class PriceCardAdmin(admin.ModelAdmin):
    form = PriceCardAdminForm
    list_display = ("name", "theater", "priority", "updated_at")
    list_filter = ("theater",)
    list_select_related = ("theater",)
    search_fields = ("name",)


class VoucherAdminForm(forms.ModelForm):
    class Meta:
        model = Voucher
        fields = VOUCHER_TERMS

    def clean(self):
        cleaned = super().clean()
        kind, value = cleaned.get("kind"), cleaned.get("value")
        if kind and value is not None:
            try:
                check_voucher_value(kind, str(value))
            except serializers.ValidationError as exc:
                self.add_error("value", detail_messages(exc.detail))
        return cleaned


@admin.register(Voucher)
class VoucherAdmin(admin.ModelAdmin):
    """``uses`` is the booking service's counter: shown, never edited. Comps are
    issued at the box office and only viewed here."""

    form = VoucherAdminForm
    list_display = ("code", "kind", "value", "uses", "max_uses", "is_comp")
    list_filter = ("kind", "is_comp")
    search_fields = ("code", "note")
    readonly_fields = ("uses", "is_comp", "created_at")
    filter_horizontal = ("movies", "theaters", "ticket_types")

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_comp:
            return False
        return super().has_change_permission(request, obj)

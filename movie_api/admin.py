"""Admin building blocks shared by the apps' admin modules."""

from collections.abc import Iterator
from contextlib import contextmanager

from django import forms
from django.contrib import admin

from .exceptions import DomainError


class ViewOnlyMixin:
    """For a ``ModelAdmin`` or inline whose rows are only ever viewed (an audit
    trail): nobody adds, changes or deletes them here, superusers included."""

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyTabularInline(admin.TabularInline):
    """Rows shown under their parent and never changed there: no add, no delete,
    every listed field read-only."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


@contextmanager
def rule_errors_as_form_errors() -> Iterator[None]:
    """Inside a form's ``clean``: a business rule's refusal becomes a form error."""
    try:
        yield
    except DomainError as exc:
        raise forms.ValidationError(exc.message) from exc

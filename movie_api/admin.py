"""Admin building blocks shared by the apps' admin modules."""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.utils import timezone

from .csv_export import stream_csv
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


Column = tuple[str, Callable]  # (header, value of one row)


def csv_export_action(
    *,
    name: str,
    columns: Sequence[Column],
    prepare: Callable[[QuerySet], QuerySet],
    description: str,
):
    """An admin action streaming the selected rows as CSV, one line per row.

    ``prepare`` adds the joins and annotations ``columns`` read (one query, read in
    chunks, however many rows are selected). Needs only the view permission.
    """

    @admin.action(description=description, permissions=["view"])
    def export(modeladmin, request, queryset):
        rows = prepare(queryset).iterator(chunk_size=2000)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        return stream_csv(
            header=[header for header, _ in columns],
            rows=([value(obj) for _, value in columns] for obj in rows),
            filename=f"{name}-{stamp}.csv",
        )

    export.__name__ = f"export_{name}_csv"
    return export

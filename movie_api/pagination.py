"""Page-number pagination with a client-chosen page size, capped."""

from django.core.paginator import EmptyPage
from django.core.paginator import Paginator as DjangoPaginator
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination


def _positive_int(value: str) -> bool:
    try:
        return int(value) >= 1
    except (TypeError, ValueError):
        return False


class _Paginator(DjangoPaginator):
    def validate_number(self, number):
        try:
            return super().validate_number(number)
        except EmptyPage as exc:
            # Names the last page, so the client's error tells it where to go.
            raise EmptyPage(
                f"Page {number} is past the last page; use a page from 1 to "
                f"{self.num_pages}."
            ) from exc


class StandardPagination(PageNumberPagination):
    """``?page=`` and ``?page_size=`` (capped at 100, silently: the contract says so).

    A page or page size that is not a whole number from 1, or a page past the last,
    is a 400 ``invalid`` naming the parameter, as the README promises. DRF would
    answer 404 (or quietly fall back), which tells a client the list itself is gone.
    Page 1 of an empty list is an empty page, not an error.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    django_paginator_class = _Paginator
    invalid_page_message = "{message}"
    page_query_description = (
        "A page number from 1 to the last page (or `last`); any other value, a page "
        "past the last included, is a 400 `invalid`. Page 1 of an empty list is empty."
    )
    page_size_query_description = (
        "Results per page: a whole number from 1; above 100 counts as 100."
    )

    def get_page_number(self, request, paginator):
        number = super().get_page_number(request, paginator)
        if number not in self.last_page_strings and not _positive_int(number):
            raise ValidationError(
                {self.page_query_param: ["Use a whole number from 1."]}
            )
        return number

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None and not _positive_int(raw):
            raise ValidationError(
                {self.page_size_query_param: ["Use a whole number from 1."]}
            )
        return super().get_page_size(request)

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound as exc:  # only the page can be missing: see _Paginator
            raise ValidationError({self.page_query_param: [str(exc.detail)]}) from exc

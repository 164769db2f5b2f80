"""Page-number pagination with a client-chosen page size, capped."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


def _positive_int(value: str) -> bool:
    try:
        return int(value) >= 1
    except (TypeError, ValueError):
        return False


class StandardPagination(PageNumberPagination):
    """``?page=`` and ``?page_size=`` (capped at 100, silently: the contract says so).

    A page or page size that is not a whole number from 1 is a 400 naming the
    parameter (DRF would answer 404 or quietly fall back); a page past the last
    is still a 404.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

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

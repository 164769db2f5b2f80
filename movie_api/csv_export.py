"""CSV downloads: a renderer that lets ``?format=csv`` or ``Accept: text/csv`` pick
the CSV branch of an API view, and a streaming response the views and the admin's
export actions share."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal, InvalidOperation

from django.http import StreamingHttpResponse
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

# A spreadsheet runs a cell that starts with one of these as a formula ("CSV
# injection"); movie titles, theater names and usernames are typed by people.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """csv.writer writes into this and gets the line back, so rows can be yielded
    one by one (Django's streaming CSV recipe)."""

    def write(self, value: str) -> str:
        return value


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


def csv_cell(value) -> object:
    """A cell as written: empty for None, formula-looking text quoted with ``'``."""
    if value is None:
        return ""
    formula = isinstance(value, str) and value.startswith(_FORMULA_STARTS)
    if formula and not _is_number(value):
        return "'" + value
    return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence]) -> Iterator[str]:
    """``header`` then each of ``rows``, one CSV line at a time."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])


def stream_csv(
    *, header: Sequence[str], rows: Iterable[Sequence], filename: str
) -> StreamingHttpResponse:
    """``header`` then ``rows`` as a CSV download, written while it is sent."""
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class CSVRenderer(BaseRenderer):
    """Selected by ``?format=csv`` or ``Accept: text/csv``.

    A view that offers it checks ``isinstance(request.accepted_renderer,
    CSVRenderer)`` and streams its rows with ``stream_csv``; what reaches this
    renderer is only a list of flat dicts (each key a column).
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if not data:
            return b""
        header = list(data[0])
        rows = ([row.get(name) for name in header] for row in data)
        return "".join(csv_lines(header, rows)).encode()


class FormatParameterNegotiation(DefaultContentNegotiation):
    """``?format=`` names one of the view's renderers; any other value is a 400
    naming the parameter (DRF answers 404, which says the path does not exist)."""

    def filter_renderers(self, renderers, format):
        chosen = [renderer for renderer in renderers if renderer.format == format]
        if not chosen:
            known = ", ".join(renderer.format for renderer in renderers)
            raise ValidationError({"format": [f"Use one of: {known}."]})
        return chosen


class CSVOrJSONErrorsMixin:
    """For an APIView offering CSVRenderer: errors keep the JSON envelope.

    A CSV download is a StreamingHttpResponse built by the view, so a DRF Response
    that arrives here while CSV was chosen is an error (401, 403, 400...).
    """

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response) and isinstance(
            getattr(request, "accepted_renderer", None), CSVRenderer
        ):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

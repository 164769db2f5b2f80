"""The request body parser every endpoint uses."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, but a body nested deeper than the interpreter's recursion
    limit (3,000 "[" then 3,000 "]") is a 400 ``parse_error`` like any other bad
    JSON: DRF catches only ValueError, so the RecursionError became a 500 with a
    traceback in the log for every such request."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None

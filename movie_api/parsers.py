"""The request body parser every endpoint uses."""

import codecs
import math
import re

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class JSONNumber(float):
    """A JSON number with a fraction or exponent: a float that remembers its text.

    ``str()`` gives the text as sent, so string-based rules (the strict price
    parser, DRF's DecimalField) judge ``10.00000000000000000001`` or ``1e-400`` as
    written, not as the float they round to. Everything else sees a float.
    """

    text: str

    def __new__(cls, text: str):
        value = super().__new__(cls, text)
        if not math.isfinite(value):
            raise ValueError(f"number out of range: {text[:20]}")
        value.text = text
        return value

    def __str__(self) -> str:
        return self.text


def _check_strings(value) -> None:
    """Refuse lone surrogates (``"\\ud800"``): valid JSON escapes, but no text, and
    they break every encoder downstream (hashes, the database, the log)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if LONE_SURROGATE.search(item):
                raise ParseError("JSON parse error - a string holds a lone surrogate.")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, stricter where DRF's let input through to a 500:

    - a body nested deeper than the interpreter's recursion limit (3,000 "[" then
      3,000 "]") is a 400 ``parse_error`` (DRF catches only ValueError);
    - a number that overflows a float (``1e999``) is a 400, as NaN and Infinity
      already were (it became ``inf`` and an OverflowError in an id field);
    - a string with a lone surrogate is a 400 (a UnicodeEncodeError elsewhere).
    """

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.load(
                codecs.getreader(encoding)(stream),
                parse_constant=json.strict_constant,
                parse_float=JSONNumber,
            )
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        _check_strings(data)
        return data

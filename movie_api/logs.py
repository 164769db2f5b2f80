"""Log records as one JSON object per line (``LOG_FORMAT=json``), and the loggers
that write the request and booking-event lines.

Every record becomes ``{"time", "level", "logger", "message", "request_id", ...}``
plus the fields a caller passed as ``extra={"data": {...}}``; a traceback is one
string field, so a record is always one line. The stdlib's ``logging`` is enough
for this: a dependency (python-json-logger) would add nothing we use.

Two loggers carry the operational lines:

- ``movie_api.requests``: one line per request (``RequestMetricsMiddleware``), written
  only when ``LOG_FORMAT=json``; in text mode gunicorn's access log and runserver's
  own lines already say it.
- ``movie_api.events``: one line per committed booking event (created, purchased,
  cancelled, expired, checked in, ...) from ``reservations.services.audit``, in both
  formats.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from .middleware import current_request_id

request_logger = logging.getLogger("movie_api.requests")
event_logger = logging.getLogger("movie_api.events")


def _request_id_of(record: logging.LogRecord) -> str | None:
    """Django logs a 4xx/5xx ("Not Found: ...") after the middleware has returned,
    outside the request id's context, but passes the request along."""
    return getattr(getattr(record, "request", None), "request_id", None)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": current_request_id() or _request_id_of(record),
        }
        data = getattr(record, "data", None)
        if isinstance(data, dict):
            entry.update(data)
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        # default=str: a stray Decimal or datetime in ``data`` must not lose the line.
        return json.dumps(entry, default=str)

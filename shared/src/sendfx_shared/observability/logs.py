"""Structured logs: one JSON object per line, with the service, the level, the
request id and the trace and span ids of whatever is running.

``LOG_FORMAT=text`` keeps the plain ``time level logger message`` lines for a
person at a terminal; ``sendfx-dev logs`` pretty-prints the JSON lines anyway.
Log calls carry no secrets: the handlers add ids, never headers or bodies.
"""

import logging
import os
from typing import Final

from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter

from sendfx_shared.problems import current_request_id

_FIELDS: Final = "{asctime}{levelname}{name}{message}"
_RENAMED: Final = {"asctime": "time", "levelname": "level", "name": "logger"}


class LogContext(logging.Filter):
    """Adds the service, request id and trace context to every record."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self._service
        request_id = current_request_id.get()
        if request_id != "-":
            record.request_id = request_id
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            record.trace_id = format(span.trace_id, "032x")
            record.span_id = format(span.span_id, "016x")
        return True


def json_formatter() -> logging.Formatter:
    return JsonFormatter(_FIELDS, style="{", rename_fields=_RENAMED)


def setup_logging(service: str, level: str = "info") -> None:
    """The root handler of a process: JSON lines on stderr (unless
    ``LOG_FORMAT=text``). Uvicorn's loggers propagate here when it runs with
    ``log_config=None``."""
    handler = logging.StreamHandler()
    handler.addFilter(LogContext(service))
    if os.environ.get("LOG_FORMAT", "json").lower() == "text":
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    else:
        handler.setFormatter(json_formatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())

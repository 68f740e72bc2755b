"""The service's log lines: plain text by default, one JSON object per line with LOG_FORMAT=json.

Every line of the `usage_dashboard` loggers carries the id of the request it was written for,
when there is one, so a request's access line and its warnings can be found together.
"""

from __future__ import annotations

import contextvars
import datetime
import logging
import sys
from typing import Any, Literal, TextIO

import msgspec

LogFormat = Literal["text", "json"]
"""LOG_FORMAT: how log lines are written."""

ROOT_LOGGER = "usage_dashboard"

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
"""The id of the request being served by the current task, if any."""


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields: dict[str, Any] = dict(getattr(record, "fields", {}))
    current = request_id.get()
    if current is not None:
        fields.setdefault("request_id", current)
    return fields


def _when(record: logging.LogRecord) -> str:
    return datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(timespec="milliseconds")


def _text_value(value: Any) -> str:
    text = str(value)
    # Values come from requests (a workspace slug): quoted when they could break the line apart.
    if not text or any(c.isspace() or c in '"=' or not c.isprintable() for c in text):
        return msgspec.json.encode(text).decode()
    return text


class TextFormatter(logging.Formatter):
    """`<time> <LEVEL> <logger>: <message> key=value ...`, one line per record."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line (a traceback follows on its own lines)."""
        pairs = " ".join(f"{key}={_text_value(value)}" for key, value in _fields(record).items())
        line = f"{_when(record)} {record.levelname} {record.name}: {record.getMessage()}"
        line = f"{line} {pairs}" if pairs else line
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the record's fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one JSON line, its traceback (if any) in `exception`."""
        body: dict[str, Any] = {
            "time": _when(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            body["exception"] = self.formatException(record.exc_info)
        return msgspec.json.encode(body).decode()


def configure_logging(log_format: LogFormat, stream: TextIO | None = None) -> None:
    """Sends the service's loggers to stream (default stderr) in log_format, replacing any
    handler an earlier call installed (an app is created once per worker, tests make many)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    logger = logging.getLogger(ROOT_LOGGER)
    for old in list(logger.handlers):
        logger.removeHandler(old)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    # Our lines are complete here; the server's root handlers would print them a second time.
    logger.propagate = False

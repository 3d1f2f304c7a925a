"""How `brandbot` logs: text (the default) or one JSON object a line, every line with the
request id it belongs to, and every secret of the configuration masked, whatever logged it.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from bot.config import Config
from bot.core.clock import iso
from bot.core.redact import Redactor
from bot.core.tracing import current_request_id

TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# What every LogRecord has; anything else on a record came as `extra=` and is a field.
STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


class RequestIds(logging.Filter):
    """Stamps each record with the request id of the code that logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keep the record; note its request id."""
        record.request_id = current_request_id()
        return True


class TextFormatter(logging.Formatter):
    """The classic line, with `[request id]` after the level when there is one."""

    def __init__(self) -> None:
        super().__init__(TEXT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        """The line, the request id in brackets before the logger's name."""
        line = super().formatMessage(record)
        request_id = getattr(record, "request_id", "")
        if request_id:
            line = line.replace(f" {record.name}: ", f" [{request_id}] {record.name}: ", 1)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id, then the fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        data: dict[str, Any] = {
            "time": iso(datetime.fromtimestamp(record.created, UTC)),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", ""),
        }
        for key, value in vars(record).items():
            if key not in STANDARD and key not in data:
                data[key] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            data["exception"] = record.exc_text
        return json.dumps(data, ensure_ascii=False, default=str)


class Masking(logging.Formatter):
    """Formats with another formatter, then masks secrets in the finished line."""

    def __init__(self, inner: logging.Formatter, redact: Redactor) -> None:
        super().__init__()
        self.inner = inner
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        """The inner formatter's line, secrets masked (tracebacks included)."""
        return self.redact(self.inner.format(record))


class Logs:
    """The one handler of the `brandbot` process, reconfigured once the config is read."""

    def __init__(self) -> None:
        self.handler = logging.StreamHandler(sys.stderr)
        self.handler.addFilter(RequestIds())
        self.handler.setFormatter(Masking(TextFormatter(), Redactor()))

    def install(self, level: int) -> None:
        """Make this the root logger's only handler, at `level`."""
        root = logging.getLogger()
        for handler in list(root.handlers):
            root.removeHandler(handler)
        root.addHandler(self.handler)
        root.setLevel(level)

    def use(self, config: Config) -> None:
        """Log in the configured format and mask the configuration's secrets."""
        inner = JsonFormatter() if config.server.log_format == "json" else TextFormatter()
        self.handler.setFormatter(Masking(inner, Redactor(config.secrets)))


LOGS = Logs()

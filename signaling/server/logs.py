"""Structured logs: one JSON object per line on stderr.

Every record carries ``ts``, ``level``, ``event`` and ``msg``; the room logic adds ``room``,
``participant``, ``code``, ``type`` and ``to`` where they apply (pass them in ``extra``).
Frame bodies (SDP, candidates, tokens) are never logged, only their type and addressing.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any, TextIO

# Attributes copied from ``extra`` into the JSON object, in this order.
FIELDS = (
    "event",
    "room",
    "participant",
    "peer_name",
    "code",
    "type",
    "to",
    "remote",
    "node",
    "host",
    "port",
    "path",
    "status",
    "redis",
    "dev_mode",
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
        }
        for key in FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                out[key] = value
        out.setdefault("event", "log")
        out["msg"] = record.getMessage()
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def configure(level: str = "INFO", stream: TextIO | None = None) -> None:
    """Send ``signaling.*`` and ``websockets.*`` records to ``stream`` as JSON lines."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # websockets logs every rejected handshake (our 404s) at INFO; keep warnings and up.
    logging.getLogger("websockets").setLevel(max(logging.WARNING, root.level))

"""Structured logs: one JSON object per line on stderr.

Every record carries ``ts``, ``level``, ``event`` and ``msg``; the room logic adds ``room``,
``participant``, ``code``, ``type`` and ``to`` where they apply (pass them in ``extra``).
Frame bodies (SDP, candidates, tokens) are never logged, only their type and addressing.

What one client makes the server log is bounded (``LogBudget``): per connection, the first
``LOG_BURST`` records of each ``LOG_INTERVAL`` seconds are written and the rest are counted;
the count comes out as one ``log-suppressed`` line (``count``) with the next record after the
interval, or when the connection ends. A flood of bad frames therefore costs a few lines per
interval per connection, not one line per frame.
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
    "close_code",
    "count",
    "queued_bytes",
)

LOG_BURST = 5  # records per connection per interval before suppression
LOG_INTERVAL = 10.0  # seconds


class LogBudget:
    """``burst`` records per ``interval`` pass; the rest are counted for a summary line.

    Time comes in as an argument (a monotonic clock reading)."""

    def __init__(self, burst: int = LOG_BURST, interval: float = LOG_INTERVAL) -> None:
        self.burst = burst
        self.interval = interval
        self._window_end: float | None = None
        self._used = 0
        self._suppressed = 0

    def admit(self, now: float) -> tuple[bool, int]:
        """Whether to write a record now, and how many suppressed records to report first
        (non-zero only once per interval, when an interval with suppressions is over)."""
        report = 0
        if self._window_end is None or now >= self._window_end:
            report, self._suppressed = self._suppressed, 0
            self._window_end = now + self.interval
            self._used = 0
        if self._used < self.burst:
            self._used += 1
            return True, report
        self._suppressed += 1
        return False, report

    def take_suppressed(self) -> int:
        """The records suppressed and not yet reported (at the end of a connection)."""
        count, self._suppressed = self._suppressed, 0
        return count


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

"""Strict mode: unexpected exceptions inside a core re-raise instead of becoming a counter.

A sans-IO core never lets bad remote input escape ``receive_datagram`` / ``handle_timer``: the
expected errors (parse errors, :class:`~rtcpeer.errors.RemoteProtocolError`, ...) are dropped
and counted. Anything else is a bug. In production a core still counts such a bug (in
``stats["internal_errors"]``) rather than break a live connection; in strict mode it re-raises,
so tests and fuzzers see every bug with its traceback instead of a silent counter.

One switch for every core: ``RTCPEER_STRICT=1`` in the environment at import time, or
:func:`set_strict` at run time (the test suite turns it on: rtcpeer.testing.pytest_strict). Cores
read :data:`STRICT` only on the exception path, so it costs nothing per packet.
"""

from __future__ import annotations

import os

STRICT: bool = os.environ.get("RTCPEER_STRICT") == "1"


def set_strict(enabled: bool) -> None:
    """Turn strict mode on or off for every core in this process."""
    global STRICT
    STRICT = enabled


def is_strict() -> bool:
    return STRICT


def count_internal_error(stats: dict[str, int]) -> None:
    """Count an unexpected exception in ``stats``; re-raise it in strict mode.

    Call only from inside an ``except Exception:`` block (a bare ``raise`` re-raises the
    exception being handled, with its traceback)."""
    stats["internal_errors"] = stats.get("internal_errors", 0) + 1
    if STRICT:
        raise  # the exception the caller is handling, with its traceback

"""pytest plugin: the whole suite runs the cores in strict mode (see rtcpeer/_strict.py).

Loaded by ``addopts = "-p rtcpeer.testing.pytest_strict"`` in pyproject.toml, so every run
(CI included, and each xdist worker) has it. An unexpected exception inside a core, which
production code only counts in ``stats["internal_errors"]``, re-raises and fails the test that
hit it. The environment variable is set too, so peers that tests start in subprocesses run
strict as well.

A plugin rather than ``tests/conftest.py``: a conftest at the root of ``tests/`` puts
``tests/`` on ``sys.path``, where ``tests/signaling/`` then shadows the ``signaling`` package.
"""

from __future__ import annotations

import os

from rtcpeer import _strict

os.environ["RTCPEER_STRICT"] = "1"
_strict.set_strict(True)


def pytest_report_header() -> str:
    return "rtcpeer strict mode: on (rtcpeer.testing.pytest_strict)"


def pytest_runtest_teardown() -> None:
    """Safety net: no test leaves a thread of the test process in real-time scheduling (SVT-AV1
    does that when run as root, and its spinning workers then starve the rest of the suite)."""
    from rtcpeer.media.codecs.video import demote_realtime_threads

    demote_realtime_threads(keep=_REALTIME_AT_START)


def _realtime_at_start() -> set[int]:
    from rtcpeer.media.codecs.video import realtime_threads

    return realtime_threads()


_REALTIME_AT_START = _realtime_at_start()

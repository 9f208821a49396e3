"""Suite-wide settings: every test runs the cores in strict mode (see rtcpeer/_strict.py).

An unexpected exception inside a core (one that production code would only count in
``stats["internal_errors"]``) re-raises, so a bug fails the test that hit it. The environment
variable is set too, so peers the tests start in subprocesses run strict as well.
"""

from __future__ import annotations

import os

from rtcpeer import _strict

os.environ["RTCPEER_STRICT"] = "1"
_strict.set_strict(True)

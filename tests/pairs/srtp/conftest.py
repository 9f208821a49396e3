"""Let the SRTP pair tests reuse the sans-IO DTLS pair helpers."""

import sys
from pathlib import Path

_DTLS = str(Path(__file__).resolve().parent.parent / "dtls")
if _DTLS not in sys.path:
    sys.path.insert(0, _DTLS)

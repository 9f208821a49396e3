"""Serial number arithmetic (RFC 9260 §1.6) via unwrapping to unbounded integers.

Inside the association TSNs are plain, ever-increasing Python ints; only the wire carries
them modulo 2**32. ``unwrap`` maps a wire value to the unbounded value nearest ``ref``.
"""

from __future__ import annotations

MASK32 = 0xFFFFFFFF
HALF32 = 1 << 31


def unwrap(wire: int, ref: int) -> int:
    d = (wire - ref) & MASK32
    return ref + d - (1 << 32) if d >= HALF32 else ref + d


def ssn_newer(a: int, b: int) -> bool:
    """True when 16-bit SSN ``a`` is after ``b`` (serial arithmetic, RFC 1982)."""
    return a != b and ((a - b) & 0xFFFF) < 0x8000

"""CRC32c (Castagnoli) as used by the SCTP common header (RFC 9260 §6.8, Appendix A).

The optional ``google-crc32c`` wheel is used when importable (a C implementation, ~100x
faster); otherwise a table-driven pure-Python fallback computes the same value.
"""

from __future__ import annotations

from collections.abc import Callable

_POLY = 0x82F63B78  # reflected Castagnoli polynomial


def _make_table() -> tuple[int, ...]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ _POLY if c & 1 else c >> 1
        table.append(c)
    return tuple(table)


_TABLE = _make_table()


def crc32c_pure_extend(crc: int, data: bytes) -> int:
    """Extend a finished CRC32c value ``crc`` over more ``data`` (pure Python)."""
    crc ^= 0xFFFFFFFF
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def crc32c_pure(data: bytes) -> int:
    """Pure-Python CRC32c of ``data`` (reflected, init and final xor 0xFFFFFFFF)."""
    return crc32c_pure_extend(0, data)


_Extend = Callable[[int, bytes], int]


def _load_accelerated() -> _Extend | None:
    try:
        import google_crc32c  # type: ignore[import-not-found, unused-ignore]
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    if getattr(google_crc32c, "implementation", "python") != "c":  # pragma: no cover
        return None
    extend: _Extend = google_crc32c.extend
    return extend


_accelerated = _load_accelerated()
crc32c_extend: _Extend = _accelerated or crc32c_pure_extend


def crc32c(data: bytes) -> int:
    """CRC32c of ``data`` (accelerated when google-crc32c is installed)."""
    return crc32c_extend(0, data)


IMPLEMENTATION = "google-crc32c" if _accelerated is not None else "python"

"""Unwrapping RTP sequence numbers (16-bit) and timestamps (32-bit) into unbounded ints.

RFC 3550 §5.1: both fields wrap. A receiver that orders packets or computes durations needs
them on a line: each new value is placed at the representation closest to the last one
seen (a signed difference modulo 2^bits), so a packet reordered across a wrap lands just
below its neighbours instead of a whole cycle away (the cause of aiortc #1041's pts jumps).
The reference only moves forward, so one very old packet does not drag it back.
The first value is placed one cycle up (``1 << bits`` plus it) so early reordered values
never go negative.
"""

from __future__ import annotations

__all__ = ["SeqUnwrapper", "TimestampUnwrapper", "Unwrapper"]


class Unwrapper:
    """Maps ``bits``-bit wrapping values to ints, each nearest to the previous one."""

    __slots__ = ("_half", "_last", "_mask", "_mod")

    def __init__(self, bits: int) -> None:
        self._mod = 1 << bits
        self._mask = self._mod - 1
        self._half = self._mod >> 1
        self._last: int | None = None

    def unwrap(self, value: int) -> int:
        last = self._last
        if last is None:
            out = self._mod + (value & self._mask)
        else:
            diff = (value - last) & self._mask
            out = last + diff - self._mod if diff >= self._half else last + diff
            if out < last:  # reordered: keep the reference at the newest value
                return out
        self._last = out
        return out

    def peek(self, value: int) -> int:
        """What :meth:`unwrap` would return, without moving the reference point."""
        last = self._last
        if last is None:
            return self._mod + (value & self._mask)
        diff = (value - last) & self._mask
        return last + diff - self._mod if diff >= self._half else last + diff


class SeqUnwrapper(Unwrapper):
    """RTP sequence numbers (RFC 3550 §5.1, 16 bits)."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(16)


class TimestampUnwrapper(Unwrapper):
    """RTP timestamps (RFC 3550 §5.1, 32 bits)."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(32)

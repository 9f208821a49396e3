"""Per-connection limits: frame size, a token-bucket rate limit, a join deadline, the bytes
queued for writing, and connections per source address.

Frame size has two thresholds. ``max_message_bytes`` is the application limit: a text frame
longer than that (UTF-8 bytes) is answered with a ``too-large`` error frame and dropped, and
the connection keeps working. The ``websockets`` library's own ``max_size`` is set to
``hard_max_bytes`` (by default 16 times the application limit, at least 1 MiB): a frame above
*that* is never buffered at all; websockets closes the connection with code 1009 (message too
big), because reading it just to say so would be the very cost the limit exists to avoid.

A connection that has not joined ``join_timeout`` seconds after its WebSocket handshake is
closed (1008, ``join timeout``); the handshake itself gets the same time (``open_timeout``).
At most ``max_connections_per_address`` TCP connections from one source IP address are open
at once; more are reset at accept, before any HTTP is read.

Frames waiting to be written to one connection are bounded in bytes (``queue_bytes()``: by
default ``max(1 MiB, 4 x max_message_bytes)``, each frame counted as its UTF-8 length plus
``FRAME_OVERHEAD``). A frame that would go over the bound is not queued: the reader is not
keeping up, so its queue is dropped and it is disconnected (1013, ``slow-consumer`` logged).
Memory per connection is therefore at most the bound plus the ``websockets`` write buffer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FRAME_OVERHEAD = 128  # bytes counted per queued frame on top of its text (object, slot)


@dataclass(frozen=True)
class Limits:
    max_message_bytes: int = 64 * 1024
    rate: float = 50.0  # frames per second, sustained
    burst: int = 50  # frames allowed back to back
    max_participants: int = 50  # per room, across every node
    hard_max_bytes: int | None = None  # websockets max_size; None: derived
    join_timeout: float = 5.0  # seconds from the handshake to a successful join
    max_queued_bytes: int | None = None  # per connection, awaiting write; None: derived
    max_connections_per_address: int = 50  # concurrent TCP connections per source IP

    def websocket_max_size(self) -> int:
        if self.hard_max_bytes is not None:
            return max(self.hard_max_bytes, self.max_message_bytes)
        return max(16 * self.max_message_bytes, 1 << 20)

    def queue_bytes(self) -> int:
        """Bytes a connection may have queued for writing (always fits one largest frame)."""
        floor = self.max_message_bytes + 4096 + FRAME_OVERHEAD  # one relayed frame, stamped
        if self.max_queued_bytes is not None:
            return max(self.max_queued_bytes, floor)
        return max(4 * self.max_message_bytes, 1 << 20)


def utf8_length_exceeds(text: str, limit: int) -> bool:
    """Whether ``text`` encodes to more than ``limit`` UTF-8 bytes (cheap when it clearly fits)."""
    if len(text) > limit:
        return True  # every character is at least one byte
    if 4 * len(text) <= limit:
        return False  # every character is at most four bytes
    return len(text.encode("utf-8", "surrogatepass")) > limit


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` stored; one token per frame.

    Time comes in as an argument (a monotonic clock reading), so tests need no sleeps."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = rate
        self.burst = float(burst)
        self._tokens = float(burst)
        self._stamp = now

    def take(self, now: float) -> bool:
        elapsed = max(0.0, now - self._stamp)
        self._stamp = now
        self._tokens = min(self.burst, self._tokens + elapsed * self.rate)
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:/\s*s)?\s*$")


def parse_rate(text: str) -> float:
    """``"20/s"`` or ``"20"`` -> 20.0 frames per second."""
    match = _RATE.match(text)
    if match is None or float(match.group(1)) <= 0:
        raise ValueError(f"rate must look like 20/s, not {text!r}")
    return float(match.group(1))

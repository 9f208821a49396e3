"""``Outbox``: the frames waiting to be written to one connection, bounded in bytes.

A frame counts (its UTF-8 length plus ``FRAME_OVERHEAD``) from ``put`` until the writer calls
``done`` after handing it to the socket, so the frame being written counts too. ``put``
refuses a frame that would take the total over ``max_bytes``; the caller decides what a full
outbox means (the room server disconnects the reader). Counting frames alone is not enough:
1024 frames of 64 KB is 64 MB for one connection that never reads.
"""

from __future__ import annotations

import asyncio
from collections import deque

from .limits import FRAME_OVERHEAD


class Outbox:
    def __init__(self, max_bytes: int) -> None:
        if max_bytes < 1:
            raise ValueError("max_bytes must be >= 1")
        self.max_bytes = max_bytes
        self.queued_bytes = 0
        self._frames: deque[bytes] = deque()
        self._wake = asyncio.Event()  # a frame is waiting, or the outbox is closed
        self._empty = asyncio.Event()  # nothing queued nor being written
        self._empty.set()
        self._closed = False

    def put(self, data: bytes) -> bool:
        """Queue ``data``; False, queuing nothing, if it would go over ``max_bytes``.

        After ``close`` frames are ignored (True: there is nothing left to refuse)."""
        if self._closed:
            return True
        size = len(data) + FRAME_OVERHEAD
        if self.queued_bytes + size > self.max_bytes:
            return False
        self.queued_bytes += size
        self._frames.append(data)
        self._empty.clear()
        self._wake.set()
        return True

    async def get(self) -> bytes | None:
        """The next frame to write; None once closed and empty."""
        while not self._frames:
            if self._closed:
                return None
            self._wake.clear()
            await self._wake.wait()
        return self._frames.popleft()

    def done(self, data: bytes) -> None:
        """``data`` (from ``get``) was written, or failed to be: it no longer counts."""
        self.queued_bytes = max(0, self.queued_bytes - len(data) - FRAME_OVERHEAD)
        if not self._frames and self.queued_bytes == 0:
            self._empty.set()

    def close(self, *, discard: bool = False) -> None:
        """No more frames; ``get`` returns what is queued (nothing if ``discard``), then None."""
        self._closed = True
        if discard:
            for data in self._frames:
                self.queued_bytes -= len(data) + FRAME_OVERHEAD
            self._frames.clear()
            if self.queued_bytes <= 0:
                self.queued_bytes = 0
                self._empty.set()
        self._wake.set()

    async def drained(self, timeout: float) -> bool:
        """Wait (at most ``timeout`` s) until everything queued was written; whether it was."""
        try:
            await asyncio.wait_for(self._empty.wait(), timeout)
        except TimeoutError:
            return False
        return True

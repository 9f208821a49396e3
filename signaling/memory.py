"""In-memory transport pair, for tests and for two peers inside one process.

``a, b = memory_pair()``: what ``a`` sends, ``b`` receives, in order, and vice versa. Every
message goes through :func:`~signaling.messages.encode` and
:func:`~signaling.messages.decode`, exactly as on a wire, so code tested over memory behaves
the same over TCP or WebSocket (a message the codec rejects fails here too).

Closing one end ends the other's stream once it has read what was already sent; sending to a
closed end raises :class:`~signaling.errors.TransportClosed`.
"""

from __future__ import annotations

import asyncio

from .errors import TransportClosed
from .messages import Message, decode, encode
from .transport import BaseTransport

__all__ = ["MemoryTransport", "memory_pair"]

_END = None  # queued after the last frame when the sending end closes


class MemoryTransport(BaseTransport):
    """One end of a :func:`memory_pair` (already connected; ``connect()`` does nothing)."""

    def __init__(self) -> None:
        super().__init__()
        self._inbox: asyncio.Queue[str | None] = asyncio.Queue()
        self._peer: MemoryTransport | None = None
        self._peer_gone = False

    async def connect(self) -> None:
        self._check_open()

    async def send(self, message: Message) -> None:
        self._check_open()
        frame = encode(message)
        peer = self._peer
        if peer is None or peer.closed:
            raise TransportClosed("the other end is closed")
        peer._inbox.put_nowait(frame)

    async def receive(self) -> Message:
        self._check_open()
        if self._peer_gone and self._inbox.empty():
            raise TransportClosed("the other end closed")
        frame = await self._unless_closed(self._inbox.get())
        if frame is _END:
            self._peer_gone = True
            raise TransportClosed("the other end closed")
        return decode(frame)

    async def _close(self) -> None:
        if self._peer is not None:
            self._peer._inbox.put_nowait(_END)


def memory_pair() -> tuple[MemoryTransport, MemoryTransport]:
    """Two connected in-memory transports."""
    a, b = MemoryTransport(), MemoryTransport()
    a._peer, b._peer = b, a
    return a, b

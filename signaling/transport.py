"""The transport interface every signaling transport implements, and a base class.

A transport carries :mod:`signaling.messages` between two endpoints (memory, TCP, Unix socket,
stdin/stdout) or between a participant and a room server (WebSocket)::

    async with transport:                     # connect() ... close()
        await transport.send(Offer(description))
        async for message in transport:       # ends cleanly when the other side is gone
            ...

Contract (``Transport``):

- ``connect()`` opens the transport; calling it on an open transport does nothing.
- ``send(message)`` delivers one message, in order. On a closed transport, or when the other
  side is known to be gone, it raises :class:`~signaling.errors.TransportClosed`. A message
  the codec rejects raises ``ValueError`` before anything is sent.
- ``receive()`` returns the next message. At the end of the stream, after ``close()``, or when
  ``close()`` is called while it waits, it raises ``TransportClosed``. A malformed incoming
  frame raises :class:`~signaling.errors.SignalingProtocolError` for that frame only; the
  next ``receive()`` reads the next frame (unless the transport says otherwise).
- ``async for message in transport`` yields messages until the stream ends and then stops
  without an exception. It skips malformed frames (logged at WARNING on the ``signaling``
  logger and counted in ``dropped_frames``): a bad line from a peer should not end a session.
  Call ``receive()`` directly to see each error.
- ``close()`` is idempotent. Only one task should call ``receive()`` at a time.

A new transport is one module: subclass :class:`BaseTransport` (or implement the protocol
directly) and nothing else in the package changes.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable
from types import TracebackType
from typing import Protocol, Self, TypeVar, runtime_checkable

from .errors import SignalingProtocolError, TransportClosed
from .messages import Message

__all__ = ["BaseTransport", "Transport"]

logger = logging.getLogger("signaling")

T = TypeVar("T")


@runtime_checkable
class Transport(Protocol):
    """What signaling code needs from a transport (see the module docstring)."""

    async def connect(self) -> None: ...

    async def send(self, message: Message) -> None: ...

    async def receive(self) -> Message: ...

    def __aiter__(self) -> AsyncIterator[Message]: ...

    async def close(self) -> None: ...


class BaseTransport(ABC):
    """Shared behaviour: iteration, ``async with``, and close-aware waiting.

    Subclasses implement ``connect``, ``send``, ``receive`` and ``_close``; they wrap every
    blocking read in :meth:`_unless_closed` so that ``close()`` wakes a pending ``receive``.
    """

    def __init__(self) -> None:
        self._closing = asyncio.Event()
        self.dropped_frames = 0

    @property
    def closed(self) -> bool:
        """True once ``close()`` was called."""
        return self._closing.is_set()

    @abstractmethod
    async def connect(self) -> None: ...

    @abstractmethod
    async def send(self, message: Message) -> None: ...

    @abstractmethod
    async def receive(self) -> Message: ...

    @abstractmethod
    async def _close(self) -> None:
        """Release the underlying resources (called once, by ``close``)."""

    async def close(self) -> None:
        if self._closing.is_set():
            return
        self._closing.set()
        await self._close()

    def _check_open(self) -> None:
        if self._closing.is_set():
            raise TransportClosed("the transport is closed")

    async def _unless_closed(self, operation: Awaitable[T]) -> T:
        """Await ``operation``; raise ``TransportClosed`` if ``close()`` happens first."""
        return await unless_closed(operation, self._closing, "the transport is closed")

    def __aiter__(self) -> AsyncIterator[Message]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Message]:
        while True:
            try:
                message = await self.receive()
            except TransportClosed:
                return
            except SignalingProtocolError as exc:
                self.dropped_frames += 1
                logger.warning("%s: dropped a malformed frame: %s", type(self).__name__, exc)
                continue
            yield message

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


async def unless_closed(operation: Awaitable[T], closing: asyncio.Event, what: str) -> T:
    """Await ``operation`` unless ``closing`` is set first: then cancel it and raise
    ``TransportClosed(what)``. Shared by transports and listeners."""
    task = asyncio.ensure_future(operation)
    if closing.is_set():
        task.cancel()
        raise TransportClosed(what)
    closed = asyncio.ensure_future(closing.wait())
    try:
        await asyncio.wait({task, closed}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:  # cancelled from outside
        task.cancel()
        raise
    finally:
        closed.cancel()
    if task.done():
        return task.result()
    task.cancel()
    raise TransportClosed(what)

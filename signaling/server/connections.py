"""Concurrent TCP connections per source address, counted at accept.

``counted_connection`` makes a ``websockets`` ``ServerConnection`` subclass that takes a slot
from an ``AddressCounter`` when the TCP connection is made (before any HTTP is read) and gives
it back when the connection is lost. Without a slot, the connection is reset at once: it never
costs a handshake, a compression context or a session. Static-file requests count too, as
they share the port. The key is the IP address as the socket reports it (an IPv6 client is
one /128; a deployment behind a proxy sees the proxy's address and should cap there).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from websockets.asyncio.server import ServerConnection


class AddressCounter:
    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be >= 1")
        self.limit = limit
        self._counts: dict[str, int] = {}

    def acquire(self, address: str) -> bool:
        """Take a slot for ``address``; False if it already holds ``limit``."""
        count = self._counts.get(address, 0)
        if count >= self.limit:
            return False
        self._counts[address] = count + 1
        return True

    def release(self, address: str) -> None:
        count = self._counts.get(address, 0) - 1
        if count > 0:
            self._counts[address] = count
        else:
            self._counts.pop(address, None)

    def count(self, address: str) -> int:
        return self._counts.get(address, 0)


def peer_address(transport: asyncio.BaseTransport) -> str:
    peer = transport.get_extra_info("peername")
    if isinstance(peer, tuple) and peer:
        return str(peer[0])
    return str(peer) if peer else ""


def counted_connection(
    counter: AddressCounter, on_refused: Callable[[str], None]
) -> type[ServerConnection]:
    """A ``ServerConnection`` class for ``serve(create_connection=...)`` that holds a slot of
    ``counter`` for its lifetime, or resets the connection (calling ``on_refused``)."""

    class CountedConnection(ServerConnection):
        _slot: str | None = None

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            address = peer_address(transport)
            if counter.acquire(address):
                self._slot = address
            else:
                on_refused(address)
                self.transport.abort()

        def connection_lost(self, exc: Exception | None) -> None:
            super().connection_lost(exc)
            if self._slot is not None:
                counter.release(self._slot)
                self._slot = None

    return CountedConnection

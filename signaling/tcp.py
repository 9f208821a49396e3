"""Newline-delimited JSON over TCP or a Unix stream socket.

Client::

    transport = await tcp_connect("127.0.0.1", 9000)      # or: await unix_connect("/tmp/s")
    # equivalently: TcpTransport("127.0.0.1", 9000) / TcpTransport(path=...), then connect()

Server (each accepted connection is a connected :class:`TcpTransport`)::

    async with await tcp_listen("127.0.0.1", 0) as listener:   # or unix_listen(path)
        print(listener.port)
        transport = await listener.accept()

Framing and the size limit are those of :mod:`signaling._lines`: one JSON frame per line; a
line over ``max_line`` bytes (1 MiB by default) raises ``SignalingProtocolError`` with code
``too-large`` for that line, which is skipped, and the stream continues with the next line.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Self

from ._lines import DEFAULT_MAX_LINE, LineTransport
from .errors import TransportClosed
from .transport import unless_closed

__all__ = [
    "TcpListener",
    "TcpTransport",
    "tcp_connect",
    "tcp_listen",
    "unix_connect",
    "unix_listen",
]


class TcpTransport(LineTransport):
    """A TCP (``host``, ``port``) or Unix-socket (``path``) signaling connection."""

    def __init__(
        self,
        host: str | None = None,
        port: int | None = None,
        *,
        path: str | os.PathLike[str] | None = None,
        max_line: int = DEFAULT_MAX_LINE,
    ) -> None:
        super().__init__(max_line=max_line)
        if path is not None and (host is not None or port is not None):
            raise TypeError("TcpTransport takes host and port, or path, not both")
        self.host = host
        self.port = port
        self.path = None if path is None else os.fspath(path)

    @classmethod
    def from_streams(
        cls,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        max_line: int = DEFAULT_MAX_LINE,
    ) -> TcpTransport:
        """A connected transport over an existing stream pair (e.g. an accepted socket)."""
        transport = cls(max_line=max_line)
        transport._attach(reader, writer)
        return transport

    async def connect(self) -> None:
        self._check_open()
        if self._writer is not None:
            return
        if self.path is None and (self.host is None or self.port is None):
            raise TypeError("TcpTransport needs host and port, or path")
        try:
            if self.path is not None:
                reader, writer = await asyncio.open_unix_connection(self.path)
            else:
                reader, writer = await asyncio.open_connection(self.host, self.port)
        except OSError as exc:
            where = self.path or f"{self.host}:{self.port}"
            raise TransportClosed(f"cannot connect to {where}: {exc}") from exc
        self._attach(reader, writer)

    async def _close(self) -> None:
        writer = self._writer
        if writer is None:
            return
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


class TcpListener:
    """Accepts signaling connections; ``accept()`` returns each as a :class:`TcpTransport`."""

    def __init__(self, max_line: int) -> None:
        self._max_line = max_line
        self._server: asyncio.Server | None = None
        self._accepted: asyncio.Queue[TcpTransport] = asyncio.Queue()
        self._closed = asyncio.Event()
        self._unix_path: str | None = None

    def _on_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._closed.is_set():
            writer.close()
            return
        self._accepted.put_nowait(
            TcpTransport.from_streams(reader, writer, max_line=self._max_line)
        )

    async def _start_tcp(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._on_connection, host, port)

    async def _start_unix(self, path: str) -> None:
        self._server = await asyncio.start_unix_server(self._on_connection, path)
        self._unix_path = path

    @property
    def address(self) -> tuple[str, int] | str:
        """(host, port) for TCP (the real port when 0 was asked), the path for Unix."""
        assert self._server is not None
        name = self._server.sockets[0].getsockname()
        return name if isinstance(name, str) else (name[0], name[1])

    @property
    def port(self) -> int:
        address = self.address
        if isinstance(address, str):
            raise AttributeError("a Unix-socket listener has no port")
        return address[1]

    async def accept(self) -> TcpTransport:
        """The next incoming connection; ``TransportClosed`` once the listener is closed."""
        return await unless_closed(self._accepted.get(), self._closed, "the listener is closed")

    async def __aiter__(self) -> AsyncIterator[TcpTransport]:
        while True:
            try:
                yield await self.accept()
            except TransportClosed:
                return

    async def close(self) -> None:
        """Stop listening and close connections not yet accepted (accepted ones stay open)."""
        if self._closed.is_set():
            return
        self._closed.set()
        if self._server is not None:
            self._server.close()
        if self._unix_path is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._unix_path)
        while not self._accepted.empty():
            await self._accepted.get_nowait().close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


async def tcp_connect(host: str, port: int, *, max_line: int = DEFAULT_MAX_LINE) -> TcpTransport:
    """A connected TCP transport."""
    transport = TcpTransport(host, port, max_line=max_line)
    await transport.connect()
    return transport


async def unix_connect(
    path: str | os.PathLike[str], *, max_line: int = DEFAULT_MAX_LINE
) -> TcpTransport:
    """A connected Unix-socket transport."""
    transport = TcpTransport(path=path, max_line=max_line)
    await transport.connect()
    return transport


async def tcp_listen(
    host: str = "127.0.0.1", port: int = 0, *, max_line: int = DEFAULT_MAX_LINE
) -> TcpListener:
    """Listen on ``host:port`` (port 0 picks a free one; see ``listener.port``)."""
    listener = TcpListener(max_line)
    await listener._start_tcp(host, port)
    return listener


async def unix_listen(
    path: str | os.PathLike[str], *, max_line: int = DEFAULT_MAX_LINE
) -> TcpListener:
    """Listen on the Unix socket ``path``."""
    listener = TcpListener(max_line)
    await listener._start_unix(os.fspath(path))
    return listener

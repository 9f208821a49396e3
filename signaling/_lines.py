"""Newline-delimited JSON over an asyncio stream pair, shared by the TCP and stdio transports.

Framing: one frame per line, UTF-8, terminated by ``\\n`` (a trailing ``\\r`` and surrounding
blanks are tolerated; blank lines are skipped). ``encode`` never emits a raw newline, because
JSON escapes control characters inside strings.

Size limit: a line longer than ``max_line`` bytes (default 1 MiB) makes ``receive()`` raise
:class:`~signaling.errors.SignalingProtocolError` with ``code="too-large"`` as soon as the limit
is passed; the rest of that line is read and thrown away without buffering it, and the stream
**continues** with the next line. So memory stays bounded, one oversize frame costs only
that frame, and the caller decides whether to hang up. (asyncio's own ``readline`` cannot do
this: over its limit it leaves the reader at an arbitrary point inside the line.)

At end of stream, unterminated trailing text is treated as a last line (a human may paste
without a final newline); for a truncated TCP frame that gives one protocol error, then
``TransportClosed``.
"""

from __future__ import annotations

import asyncio
from typing import Final

from .errors import SignalingProtocolError, TransportClosed
from .messages import Message, decode, encode
from .transport import BaseTransport

DEFAULT_MAX_LINE: Final = 1 << 20
_CHUNK: Final = 64 * 1024


class LineReader:
    """Bounded lines from a ``StreamReader`` (see the module docstring)."""

    def __init__(self, reader: asyncio.StreamReader, max_line: int = DEFAULT_MAX_LINE) -> None:
        self._reader = reader
        self._max = max_line
        self._buffer = bytearray()
        self._scanned = 0  # bytes of _buffer known to hold no newline
        self._skipping = False  # inside an oversize line: drop bytes up to its newline
        self._eof = False

    def _too_large(self) -> SignalingProtocolError:
        return SignalingProtocolError(
            f"line longer than the limit of {self._max} bytes", code="too-large"
        )

    async def readline(self) -> bytes | None:
        """The next line without its terminator, or None at end of stream."""
        while True:
            newline = self._buffer.find(b"\n", self._scanned)
            if newline >= 0:
                line = bytes(self._buffer[:newline])
                del self._buffer[: newline + 1]
                self._scanned = 0
                if self._skipping:
                    self._skipping = False
                    continue
                if len(line) > self._max:
                    raise self._too_large()
                return line
            if self._skipping:
                self._buffer.clear()
            elif len(self._buffer) > self._max:
                self._buffer.clear()
                self._skipping = True
                self._scanned = 0
                raise self._too_large()
            self._scanned = len(self._buffer)
            if self._eof:
                if self._skipping or not self._buffer:
                    return None
                line = bytes(self._buffer)
                self._buffer.clear()
                self._scanned = 0
                return line
            chunk = await self._reader.read(_CHUNK)
            if chunk:
                self._buffer += chunk
            else:
                self._eof = True


class LineTransport(BaseTransport):
    """Newline-delimited JSON frames over a reader and a writer (set by ``_attach``)."""

    def __init__(self, *, max_line: int = DEFAULT_MAX_LINE) -> None:
        super().__init__()
        self.max_line = max_line
        self._lines: LineReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    def _attach(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter | None) -> None:
        self._lines = LineReader(reader, self.max_line)
        self._writer = writer

    def _unwrap(self, line: bytes) -> bytes:
        """The JSON text of a non-blank line (stdio strips its human-readable prefix here)."""
        return line

    async def receive(self) -> Message:
        self._check_open()
        if self._lines is None:
            raise TransportClosed("the transport is not connected")
        while True:
            line = await self._unless_closed(self._lines.readline())
            if line is None:
                raise TransportClosed("the other side closed the stream")
            line = line.strip()
            if line:
                return decode(self._unwrap(line))

    async def _write_line(self, text: str) -> None:
        writer = self._writer
        if writer is None:
            raise TransportClosed("the transport is not connected")
        if writer.is_closing():
            raise TransportClosed("the other side closed the stream")
        try:
            writer.write(text.encode("utf-8") + b"\n")
            await writer.drain()
        except ConnectionError as exc:
            raise TransportClosed(f"the other side closed the stream: {exc}") from exc

    async def send(self, message: Message) -> None:
        self._check_open()
        await self._write_line(encode(message))

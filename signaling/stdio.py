"""Copy-and-paste signaling over stdin/stdout, for trying two peers on two machines by hand.

Each outgoing message is printed to stdout as one line::

    rtcpeer-signal {"type":"offer","description":{"type":"offer","sdp":"v=0\\r\\no=..."}}

Copy such lines (with or without the ``rtcpeer-signal`` prefix) into the other program's
terminal. Incoming lines are read from stdin; blank lines are ignored, surrounding spaces and
the prefix are stripped, and a line that is not a valid frame raises
``SignalingProtocolError`` from ``receive()`` (``async for`` logs and skips it), so a bad paste
can be corrected by pasting again. End the input with Ctrl-D.

Note for terminals: a canonical-mode tty accepts at most 4095 bytes per line on Linux; an
offer with a data channel only is well below that, but an SDP with many media sections may
not be; pipe the text through a file (``program < lines.txt``) in that case.

Over arbitrary streams (for tests, or another process's pipes): pass ``reader`` (a
``StreamReader``) and ``writer`` (a ``StreamWriter``); then nothing touches the real stdio.
Without them, ``connect()`` reads stdin with a daemon thread (blocking reads, so the
terminal's file status flags are left alone, and it works for ttys, pipes and files alike)
and writes stdout synchronously with a flush after each line.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from typing import Final

from ._lines import DEFAULT_MAX_LINE, LineTransport
from .errors import TransportClosed

__all__ = ["PREFIX", "StdioTransport"]

PREFIX: Final = "rtcpeer-signal "


class StdioTransport(LineTransport):
    """Signaling by copy and paste (see the module docstring)."""

    def __init__(
        self,
        reader: asyncio.StreamReader | None = None,
        writer: asyncio.StreamWriter | None = None,
        *,
        prefix: str = PREFIX,
        hint: bool = True,
        max_line: int = DEFAULT_MAX_LINE,
    ) -> None:
        super().__init__(max_line=max_line)
        self.prefix = prefix
        self._prefix_bytes = prefix.strip().encode("utf-8")
        self._hint = hint
        self._given = (reader, writer)
        self._connected = False

    async def connect(self) -> None:
        self._check_open()
        if self._connected:
            return
        reader, writer = self._given
        if reader is None:
            reader = asyncio.StreamReader(limit=self.max_line)
            _start_stdin_thread(reader, asyncio.get_running_loop())
        self._attach(reader, writer)
        self._connected = True
        if self._given[0] is None and self._hint:
            print(
                f"[signaling] paste the other side's '{self.prefix.strip()}' lines here; "
                "Ctrl-D ends",
                file=sys.stderr,
                flush=True,
            )

    def _unwrap(self, line: bytes) -> bytes:
        if self._prefix_bytes and line.startswith(self._prefix_bytes):
            return line[len(self._prefix_bytes) :]
        return line

    async def _write_line(self, text: str) -> None:
        if not self._connected:
            raise TransportClosed("the transport is not connected")
        if self._writer is not None:
            await super()._write_line(self.prefix + text)
            return
        try:
            sys.stdout.write(f"{self.prefix}{text}\n")
            sys.stdout.flush()
        except (BrokenPipeError, ValueError) as exc:  # ValueError: stdout closed
            raise TransportClosed(f"stdout is closed: {exc}") from exc

    async def _close(self) -> None:
        # Given streams belong to the caller, except that our writer is ours to end.
        writer = self._writer
        if writer is not None and not writer.is_closing():
            writer.close()


def _start_stdin_thread(reader: asyncio.StreamReader, loop: asyncio.AbstractEventLoop) -> None:
    """Feed ``reader`` from file descriptor 0 on a daemon thread until EOF or loop close."""
    fd = sys.stdin.fileno()

    def run() -> None:
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            try:
                if chunk:
                    loop.call_soon_threadsafe(reader.feed_data, chunk)
                else:
                    loop.call_soon_threadsafe(reader.feed_eof)
                    return
            except RuntimeError:  # the loop is closed: nobody is listening any more
                return

    threading.Thread(target=run, name="signaling-stdin", daemon=True).start()

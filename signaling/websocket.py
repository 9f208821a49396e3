"""WebSocket client of the room server (``python -m signaling.server``).

::

    transport = WebSocketTransport("ws://127.0.0.1:8765/ws", "room1", token=token, name="bot")
    await transport.connect()          # sends join, waits for joined (JoinRefused on error)
    print(transport.id, transport.peers)
    await transport.send(Offer(description, to=transport.peers[0].id))
    async for message in transport:    # offers/answers/... with .sender, plus presence
        ...

- ``connect()`` opens the WebSocket with ``websockets.asyncio.client.connect``, sends
  :class:`~signaling.messages.Join` and waits (``join_timeout``) for the server's
  :class:`~signaling.messages.Joined`. An :class:`~signaling.messages.Error` answer raises
  :class:`~signaling.errors.JoinRefused` (with the server's ``code``); a failed connection or
  handshake raises :class:`~signaling.errors.TransportClosed`. Frames that arrive before the
  ``joined`` frame (other than an error) are kept and returned by ``receive()`` first.
- ``id`` is this participant's id; ``peers`` the other participants, kept up to date from the
  ``peer-joined``/``peer-left`` messages as ``receive()`` returns them.
- ``receive()`` returns every frame the server sends after joining: peer messages (with
  ``sender`` set by the server), presence events, and ``Error`` frames the server sends
  without closing (e.g. ``unknown-peer``, ``rate-limited``) — those are messages, not
  exceptions. When the connection closes it raises ``TransportClosed``.
- ``send(message)`` sends one frame; set ``to`` on peer messages to address one participant.

Extra keyword arguments go to ``websockets.asyncio.client.connect`` (e.g. ``ssl``,
``additional_headers``, ``proxy=None``). Incoming frames over ``max_size`` (1 MiB) close the
connection (WebSocket status 1009), so ``receive()`` then raises ``TransportClosed``.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from .errors import JoinRefused, TransportClosed
from .messages import Error, Join, Joined, Message, PeerInfo, PeerJoined, PeerLeft, decode, encode
from .transport import BaseTransport

__all__ = ["WebSocketTransport"]


class WebSocketTransport(BaseTransport):
    """A participant in one room of the signaling server."""

    def __init__(
        self,
        url: str,
        room: str,
        token: str | None = None,
        name: str | None = None,
        *,
        join_timeout: float = 10.0,
        max_size: int = 1 << 20,
        **connect_options: Any,
    ) -> None:
        super().__init__()
        self.url = url
        self.room = room
        self.token = token
        self.name = name
        self.join_timeout = join_timeout
        self.max_size = max_size
        self.connect_options = connect_options
        self.id: str | None = None
        self.peers: tuple[PeerInfo, ...] = ()
        self._ws: ClientConnection | None = None
        self._early: deque[Message] = deque()

    async def connect(self) -> None:
        self._check_open()
        if self._ws is not None:
            return
        try:
            ws = await connect(self.url, max_size=self.max_size, **self.connect_options)
        except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
            raise TransportClosed(f"cannot connect to {self.url}: {exc}") from exc
        self._ws = ws
        try:
            await ws.send(encode(Join(self.room, self.token, self.name)))
            joined = await asyncio.wait_for(self._await_joined(ws), self.join_timeout)
        except BaseException:
            self._ws = None
            await ws.close()
            raise
        self.id = joined.id
        self.peers = joined.peers

    async def _await_joined(self, ws: ClientConnection) -> Joined:
        while True:
            message = decode(await self._recv(ws))
            if isinstance(message, Joined):
                return message
            if isinstance(message, Error):
                raise JoinRefused(message.code, message.message)
            self._early.append(message)

    async def _recv(self, ws: ClientConnection) -> str | bytes:
        try:
            return await ws.recv()
        except ConnectionClosed as exc:
            raise TransportClosed(f"the server closed the connection: {exc}") from exc

    async def send(self, message: Message) -> None:
        self._check_open()
        ws = self._ws
        if ws is None:
            raise TransportClosed("the transport is not connected")
        frame = encode(message)
        try:
            await ws.send(frame)
        except ConnectionClosed as exc:
            raise TransportClosed(f"the server closed the connection: {exc}") from exc

    async def receive(self) -> Message:
        self._check_open()
        ws = self._ws
        if ws is None:
            raise TransportClosed("the transport is not connected")
        if self._early:
            message = self._early.popleft()
        else:
            message = decode(await self._unless_closed(self._recv(ws)))
        self._track_presence(message)
        return message

    def _track_presence(self, message: Message) -> None:
        if isinstance(message, PeerJoined):
            others = tuple(p for p in self.peers if p.id != message.id)
            self.peers = (*others, PeerInfo(message.id, message.name))
        elif isinstance(message, PeerLeft):
            self.peers = tuple(p for p in self.peers if p.id != message.id)

    async def _close(self) -> None:
        ws = self._ws
        if ws is not None:
            await ws.close()

    def __repr__(self) -> str:
        return f"<WebSocketTransport {self.url} room={self.room!r} id={self.id!r}>"

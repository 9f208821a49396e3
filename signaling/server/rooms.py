"""The room logic: one ``Session`` per WebSocket connection, over a ``Broker``.

Per incoming text frame, in this order (the first failing check answers with an error frame
and drops the frame; the connection keeps working):

1. rate limit (token bucket per connection)         -> ``rate-limited``
2. binary frame                                     -> ``malformed``
3. size over ``max_message_bytes`` (UTF-8 bytes)    -> ``too-large``
4. ``signaling.messages.decode``                    -> ``malformed`` / ``unknown-type``
5. before a successful join, anything but ``join``  -> ``not-joined``
6. a second ``join``                                -> ``malformed``;
   a server-to-client type (joined, error, ...)     -> ``unknown-type``
7. ``to`` not a participant of the room             -> ``unknown-peer``

A ``join`` that fails authentication (``bad-token``, ``expired-token``, ``wrong-room``) or
finds the room full (``room-full``) gets the error frame and then the connection is closed
(1008), as it has nothing else to do. A join with a bad room or name is ``malformed`` and the
client may try again. The server assigns the participant id (random, unique across nodes);
a token that carries a ``name`` fixes the participant's name, overriding the join's.
Participant frames are forwarded with ``from`` set to the sender's id (a client-supplied
``from`` is replaced).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from ..errors import SignalingProtocolError
from ..messages import (
    Answer,
    Bye,
    Candidate,
    EndOfCandidates,
    Error,
    Join,
    Joined,
    Message,
    Offer,
    PeerInfo,
    decode,
    encode,
)
from .broker import Broker, RoomFull
from .limits import Limits, TokenBucket, utf8_length_exceeds
from .tokens import TokenError, verify_token

log = logging.getLogger("signaling.server")

PEER_MESSAGES = (Offer, Answer, Candidate, EndOfCandidates, Bye)
ROOM_NAME = re.compile(r"^[A-Za-z0-9_.~:@-]{1,128}$", re.ASCII)
MAX_NAME_CHARS = 64
MAX_QUEUED_FRAMES = 1024
POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013
INTERNAL_ERROR = 1011


class Socket(Protocol):
    """What a session needs of a connection (``websockets``' ServerConnection fits)."""

    def __aiter__(self) -> AsyncIterator[str | bytes]: ...

    async def send(self, message: str) -> None: ...

    async def close(self, code: int = 1000, reason: str = "") -> None: ...


@dataclass(frozen=True)
class RoomConfig:
    limits: Limits
    secret: bytes | None  # None: insecure dev mode, no token checks


class _Refused(Exception):
    def __init__(self, code: str, message: str, *, close: bool) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.close = close


class Session:
    """One connection: reads frames, answers errors, joins and relays through the broker."""

    def __init__(
        self, socket: Socket, broker: Broker, config: RoomConfig, remote: str = ""
    ) -> None:
        self.socket = socket
        self.broker = broker
        self.config = config
        self.remote = remote
        self.room: str | None = None
        self.id: str | None = None
        self._loop = asyncio.get_running_loop()
        self._bucket = TokenBucket(config.limits.rate, config.limits.burst, self._loop.time())
        self._outbox: asyncio.Queue[str | None] = asyncio.Queue(MAX_QUEUED_FRAMES)
        self._held: list[Message] | None = None  # frames delivered while joining

    async def run(self) -> None:
        writer = self._loop.create_task(self._write())
        try:
            async for data in self.socket:
                if not await self._handle(data):
                    break
        finally:
            if self.room is not None and self.id is not None:
                room, pid, self.room = self.room, self.id, None
                with contextlib.suppress(Exception):
                    await self.broker.leave(room, pid)
                log.info("left", extra={"event": "leave", "room": room, "participant": pid})
            with contextlib.suppress(asyncio.QueueFull):
                self._outbox.put_nowait(None)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(writer), 5.0)
            writer.cancel()

    # ------------------------------------------------------------------ output

    async def _write(self) -> None:
        while (text := await self._outbox.get()) is not None:
            try:
                await self.socket.send(text)
            except Exception:
                return
            finally:
                self._outbox.task_done()

    def _enqueue(self, text: str) -> None:
        try:
            self._outbox.put_nowait(text)
        except asyncio.QueueFull:
            log.warning(
                "slow consumer; closing",
                extra={"event": "slow-consumer", "room": self.room, "participant": self.id},
            )
            self._loop.create_task(self.socket.close(TRY_AGAIN_LATER, "too many queued frames"))

    def deliver(self, frame: Message) -> None:
        """The broker's callback for this participant."""
        if self._held is not None:
            self._held.append(frame)
        else:
            self._enqueue(encode(frame))

    def _error(self, code: str, message: str, frame_type: str | None = None) -> None:
        log.info(
            message,
            extra={
                "event": "frame-error",
                "code": code,
                "type": frame_type,
                "room": self.room,
                "participant": self.id,
            },
        )
        self._enqueue(encode(Error(code, message)))

    def _evicted(self) -> None:
        self.room = None
        self._loop.create_task(self.socket.close(INTERNAL_ERROR, "presence expired"))

    # ------------------------------------------------------------------ input

    async def _handle(self, data: str | bytes) -> bool:
        """Handle one frame; False ends the connection."""
        limits = self.config.limits
        if not self._bucket.take(self._loop.time()):
            self._error("rate-limited", f"over {limits.rate:g} frames/s; frame dropped")
            return True
        if not isinstance(data, str):
            self._error("malformed", "binary frames are not accepted; send JSON text")
            return True
        if utf8_length_exceeds(data, limits.max_message_bytes):
            self._error("too-large", f"frame over {limits.max_message_bytes} bytes; dropped")
            return True
        try:
            msg = decode(data)
        except SignalingProtocolError as exc:
            self._error(exc.code, str(exc))
            return True
        if self.id is None:
            if not isinstance(msg, Join):
                self._error("not-joined", "send a join frame first", msg.TYPE)
                return True
            return await self._join(msg)
        if isinstance(msg, Join):
            self._error("malformed", "already joined; open a new connection", msg.TYPE)
        elif isinstance(msg, PEER_MESSAGES):
            await self._relay(msg)
        else:
            self._error("unknown-type", f"{msg.TYPE} frames are sent by the server", msg.TYPE)
        return True

    def _authorize(self, join: Join) -> str | None:
        """The participant's name; raises ``_Refused``."""
        if not ROOM_NAME.match(join.room):
            raise _Refused(
                "malformed", "room must be 1-128 of A-Z a-z 0-9 _ . ~ : @ -", close=False
            )
        if join.name is not None and len(join.name) > MAX_NAME_CHARS:
            raise _Refused("malformed", f"name over {MAX_NAME_CHARS} characters", close=False)
        if self.config.secret is None:
            log.warning(
                "INSECURE DEV MODE: join accepted without a token check",
                extra={"event": "insecure-join", "room": join.room, "dev_mode": True},
            )
            return join.name
        try:
            claims = verify_token(self.config.secret, join.token, join.room)
        except TokenError as exc:
            raise _Refused(exc.code, exc.message, close=True) from None
        return claims.name if claims.name is not None else join.name

    async def _join(self, join: Join) -> bool:
        try:
            name = self._authorize(join)
            pid = secrets.token_hex(8)
            self._held = []
            try:
                peers = await self.broker.join(
                    join.room,
                    PeerInfo(pid, name),
                    self.deliver,
                    capacity=self.config.limits.max_participants,
                    on_evicted=self._evicted,
                )
            except RoomFull:
                raise _Refused(
                    "room-full",
                    f"room has {self.config.limits.max_participants} participants",
                    close=True,
                ) from None
        except _Refused as exc:
            self._held = None
            log.warning(
                exc.message,
                extra={
                    "event": "join-refused",
                    "code": exc.code,
                    "room": join.room,
                    "remote": self.remote,
                },
            )
            self._enqueue(encode(Error(exc.code, exc.message)))
            if exc.close:
                await self._flush()
                await self.socket.close(POLICY_VIOLATION, exc.code)
                return False
            return True
        self.room, self.id = join.room, pid
        held, self._held = self._held or [], None
        self._enqueue(encode(Joined(join.room, pid, tuple(peers))))
        for frame in held:
            self.deliver(frame)
        log.info(
            "joined",
            extra={
                "event": "join",
                "room": join.room,
                "participant": pid,
                "peer_name": name,
                "remote": self.remote,
            },
        )
        return True

    async def _flush(self) -> None:
        # Let the writer send what is queued (bounded: the close follows regardless).
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._outbox.join(), 5.0)

    async def _relay(self, msg: Offer | Answer | Candidate | EndOfCandidates | Bye) -> None:
        assert self.room is not None and self.id is not None
        stamped = dataclasses.replace(msg, sender=self.id)
        log.debug(
            "relay",
            extra={
                "event": "relay",
                "type": msg.TYPE,
                "room": self.room,
                "participant": self.id,
                "to": msg.to,
            },
        )
        if not await self.broker.publish(self.room, stamped, sender=self.id, to=msg.to):
            self._error("unknown-peer", f"no participant {msg.to!r} in this room", msg.TYPE)

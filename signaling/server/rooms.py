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

A ``join`` that fails authentication (``bad-token``, ``expired-token``, ``wrong-room``),
replays a token whose participant is still in the room (``token-in-use``: a token admits one
participant at a time, see ``tokens``) or finds the room full (``room-full``) gets the error
frame and then the connection is closed (1008), as it has nothing else to do. A join with
a bad room or name is ``malformed`` and the client may try again. The server assigns the
participant id (random, unique across nodes); a token that carries a ``name`` fixes the
participant's name, overriding the join's.
Participant frames are forwarded with ``from`` set to the sender's id (a client-supplied
``from`` is replaced).

Abuse bounds (``limits``): a connection that has not joined within ``join_timeout`` is closed
(1008, ``join timeout``); frames queued for a reader are bounded in bytes (``Outbox``) and a
reader that would go over is disconnected (1013, ``slow-consumer``); a close that the peer
does not complete (it does not read) is cut off after ``CLOSE_TIMEOUT``. Per-connection log
records go through a ``LogBudget`` (a few per interval, then one ``log-suppressed`` count).
A client going away without a closing handshake is normal: one INFO ``leave`` line with its
close code (1006), no traceback.
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

from websockets.exceptions import ConnectionClosed, ConnectionClosedError

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
from .broker import Broker, RoomFull, TokenInUse
from .limits import Limits, TokenBucket, utf8_length_exceeds
from .logs import LogBudget
from .outbox import Outbox
from .tokens import TokenError, verify_token

log = logging.getLogger("signaling.server")

PEER_MESSAGES = (Offer, Answer, Candidate, EndOfCandidates, Bye)
ROOM_NAME = re.compile(r"^[A-Za-z0-9_.~:@-]{1,128}$", re.ASCII)
MAX_NAME_CHARS = 64
CLOSE_TIMEOUT = 2.0  # seconds a close may take before the connection is aborted
POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013
INTERNAL_ERROR = 1011


class Socket(Protocol):
    """What a session needs of a connection (``websockets``' ServerConnection fits)."""

    @property
    def transport(self) -> asyncio.Transport: ...

    @property
    def close_code(self) -> int | None: ...

    def __aiter__(self) -> AsyncIterator[str | bytes]: ...

    async def send(self, message: bytes, *, text: bool) -> None: ...

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
        self._outbox = Outbox(config.limits.queue_bytes())
        self._budget = LogBudget()
        self._held: list[Message] | None = None  # frames delivered while joining
        self._closer: asyncio.Task[None] | None = None  # set once: the connection is ending

    async def run(self) -> None:
        writer = self._loop.create_task(self._write())
        deadline = self._loop.call_later(self.config.limits.join_timeout, self._join_expired)
        try:
            async for data in self.socket:
                if not await self._handle(data):
                    break
        except ConnectionClosedError:
            pass  # the client went away without a closing handshake: normal, logged below
        finally:
            deadline.cancel()
            if self.room is not None and self.id is not None:
                room, pid, self.room = self.room, self.id, None
                with contextlib.suppress(Exception):
                    await self.broker.leave(room, pid)
                log.info(
                    "left",
                    extra={
                        "event": "leave",
                        "room": room,
                        "participant": pid,
                        "close_code": self.socket.close_code,
                    },
                )
            self._report_suppressed(self._budget.take_suppressed())
            self._outbox.close()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(writer), CLOSE_TIMEOUT)
            writer.cancel()
            if self._closer is not None:
                await self._closer

    # ------------------------------------------------------------------ output

    async def _write(self) -> None:
        while (data := await self._outbox.get()) is not None:
            try:
                await self.socket.send(data, text=True)
            except ConnectionClosed:
                return
            finally:
                self._outbox.done(data)

    def _enqueue(self, text: str) -> None:
        if self._closer is not None:
            return  # closing: nothing more is written
        if self._outbox.put(text.encode("utf-8", "surrogatepass")):
            return
        queued = self._outbox.queued_bytes
        self._outbox.close(discard=True)
        log.warning(
            "slow consumer; closing",
            extra={
                "event": "slow-consumer",
                "room": self.room,
                "participant": self.id,
                "remote": self.remote,
                "queued_bytes": queued,
                "close_code": TRY_AGAIN_LATER,
            },
        )
        self._close_soon(TRY_AGAIN_LATER, "too many queued bytes")

    def _close_soon(self, code: int, reason: str) -> None:
        if self._closer is None:
            self._closer = self._loop.create_task(self._close(code, reason))

    async def _close(self, code: int, reason: str) -> None:
        """Close with ``code``; a peer that does not read cannot hold the close up: after
        ``CLOSE_TIMEOUT`` the connection is aborted."""
        try:
            await asyncio.wait_for(self.socket.close(code, reason), CLOSE_TIMEOUT)
        except TimeoutError:
            self.socket.transport.abort()

    def deliver(self, frame: Message) -> None:
        """The broker's callback for this participant."""
        if self._held is not None:
            self._held.append(frame)
        else:
            self._enqueue(encode(frame))

    # ------------------------------------------------------------------ logs

    def _log(self, level: int, message: str, **fields: object) -> None:
        """A per-connection record, within this connection's ``LogBudget``."""
        if not log.isEnabledFor(level):
            return
        admit, suppressed = self._budget.admit(self._loop.time())
        self._report_suppressed(suppressed)
        if admit:
            fields.setdefault("room", self.room)
            fields.setdefault("participant", self.id)
            log.log(level, message, extra=fields)

    def _report_suppressed(self, count: int) -> None:
        if count:
            log.warning(
                "%d log lines for this connection suppressed",
                count,
                extra={
                    "event": "log-suppressed",
                    "count": count,
                    "room": self.room,
                    "participant": self.id,
                    "remote": self.remote,
                },
            )

    def _error(self, code: str, message: str, frame_type: str | None = None) -> None:
        self._log(logging.INFO, message, event="frame-error", code=code, type=frame_type)
        self._enqueue(encode(Error(code, message)))

    def _evicted(self) -> None:
        self.room = None
        self._close_soon(INTERNAL_ERROR, "presence expired")

    def _join_expired(self) -> None:
        if self.id is not None or self._closer is not None:
            return
        timeout = self.config.limits.join_timeout
        self._log(
            logging.INFO,
            f"no join within {timeout:g} s; closing",
            event="join-timeout",
            remote=self.remote,
        )
        self._close_soon(POLICY_VIOLATION, "join timeout")

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

    def _authorize(self, join: Join) -> tuple[str | None, str | None]:
        """The participant's name and the token's id (its nonce); raises ``_Refused``."""
        if not ROOM_NAME.match(join.room):
            raise _Refused(
                "malformed", "room must be 1-128 of A-Z a-z 0-9 _ . ~ : @ -", close=False
            )
        if join.name is not None and len(join.name) > MAX_NAME_CHARS:
            raise _Refused("malformed", f"name over {MAX_NAME_CHARS} characters", close=False)
        if self.config.secret is None:
            self._log(
                logging.WARNING,
                "INSECURE DEV MODE: join accepted without a token check",
                event="insecure-join",
                room=join.room,
                dev_mode=True,
            )
            return join.name, None
        try:
            claims = verify_token(self.config.secret, join.token, join.room)
        except TokenError as exc:
            raise _Refused(exc.code, exc.message, close=True) from None
        return (claims.name if claims.name is not None else join.name), claims.nonce

    async def _join(self, join: Join) -> bool:
        try:
            name, token_id = self._authorize(join)
            pid = secrets.token_hex(8)
            self._held = []
            try:
                peers = await self.broker.join(
                    join.room,
                    PeerInfo(pid, name),
                    self.deliver,
                    capacity=self.config.limits.max_participants,
                    token_id=token_id,
                    on_evicted=self._evicted,
                )
            except TokenInUse:
                raise _Refused(
                    "token-in-use", "this token's participant is in the room", close=True
                ) from None
            except RoomFull:
                raise _Refused(
                    "room-full",
                    f"room has {self.config.limits.max_participants} participants",
                    close=True,
                ) from None
        except _Refused as exc:
            self._held = None
            self._log(
                logging.WARNING,
                exc.message,
                event="join-refused",
                code=exc.code,
                room=join.room,
                remote=self.remote,
            )
            self._enqueue(encode(Error(exc.code, exc.message)))
            if exc.close:
                await self._outbox.drained(CLOSE_TIMEOUT)  # the error frame goes out first
                self._close_soon(POLICY_VIOLATION, exc.code)
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

    async def _relay(self, msg: Offer | Answer | Candidate | EndOfCandidates | Bye) -> None:
        assert self.room is not None and self.id is not None
        stamped = dataclasses.replace(msg, sender=self.id)
        self._log(logging.DEBUG, "relay", event="relay", type=msg.TYPE, to=msg.to)
        if not await self.broker.publish(self.room, stamped, sender=self.id, to=msg.to):
            self._error("unknown-peer", f"no participant {msg.to!r} in this room", msg.TYPE)

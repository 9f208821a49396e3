"""A chat bot for the browser chat demo: rtcpeer peer connections + the room server.

The bot joins a room of the signaling server (``python -m signaling.server``) through
:class:`signaling.websocket.WebSocketTransport` and keeps one ``RTCPeerConnection`` per
participant, exactly like the chat page (``signaling/static/chat.js``): a negotiated data
channel ``"chat"`` (id 0) on both sides, perfect negotiation
(:class:`signaling.negotiation.PerfectNegotiator`) with the smaller participant id polite.
Chat messages are JSON ``{"type": "chat", "name": ..., "text": ...}``.

As on the page, the newcomer makes the first offer: the bot connects to everyone already in
the room when it joins, and to a later participant when that participant's first offer
arrives (see ``chat.js`` for why the first contact avoids glare). It greets every participant
who joins after it, and answers commands sent to it over the
data channel; replies go to *everyone* in the room (it is a public chat)::

    /echo TEXT   repeats TEXT
    /time        the bot's clock (UTC, ISO 8601)
    /stats       the bot's connection to you: state, selected candidate pair, messages and
                 bytes on the channel and on the wire (from ``await pc.getStats()``)
    /help        this list

Run it against a running server (the one-command demo, ``python -m examples.chat``, starts
both)::

    python -m examples.chat.bot --url ws://127.0.0.1:8765/ws --room lobby [--token TOKEN]

``--token`` defaults to the ``CHAT_TOKEN`` environment variable; omit it with a server in
``--insecure-dev-mode``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from rtcpeer import RTCConfiguration, RTCDataChannel, RTCPeerConnection
from signaling.messages import Bye, Message, PeerJoined, PeerLeft
from signaling.negotiation import PerfectNegotiator
from signaling.websocket import WebSocketTransport

logger = logging.getLogger("chat.bot")

CHANNEL_LABEL = "chat"
CHANNEL_ID = 0
HELP = "commands: /echo TEXT · /time · /stats · /help"


def chat_frame(name: str, text: str) -> str:
    return json.dumps({"type": "chat", "name": name, "text": text})


def parse_chat(data: str | bytes) -> tuple[str | None, str]:
    """(sender name or None, text) of one data-channel message; plain text is allowed."""
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    try:
        msg = json.loads(data)
    except ValueError:
        return None, data
    if isinstance(msg, dict) and isinstance(msg.get("text"), str):
        name = msg.get("name")
        return (name if isinstance(name, str) and name else None), msg["text"]
    return None, data


class PeerSession:
    """The bot's peer connection with one participant."""

    def __init__(
        self,
        bot: ChatBot,
        peer_id: str,
        name: str | None,
        *,
        greet: bool,
    ) -> None:
        self.bot = bot
        self.peer_id = peer_id
        self.name = name
        self.pc = RTCPeerConnection(bot.configuration)
        assert bot.transport.id is not None
        self.negotiator = PerfectNegotiator(
            self.pc, bot.transport.send, polite=bot.transport.id < peer_id, to=peer_id
        )
        self.channel: RTCDataChannel = self.pc.createDataChannel(
            CHANNEL_LABEL, negotiated=True, id=CHANNEL_ID
        )
        self.channel.on("open", self._on_open)
        self.channel.on("message", self._on_message)
        self._greet = greet

    def display_name(self) -> str:
        return self.name or self.peer_id

    def _on_open(self) -> None:
        logger.info("channel open with %s", self.display_name())
        if self._greet:
            self.send(f"Welcome, {self.display_name()}! I am {self.bot.name}. {HELP}")

    def _on_message(self, data: str | bytes) -> None:
        name, text = parse_chat(data)
        if name and not self.name:
            self.name = name
        task = asyncio.ensure_future(self.bot.on_chat(self, text))
        self.bot.track(task)

    def send(self, text: str) -> bool:
        if self.channel.readyState != "open":
            return False
        self.channel.send(chat_frame(self.bot.name, text))
        return True

    async def stats_text(self) -> str:
        report = await self.pc.getStats()
        by_id = dict(report)
        parts = [f"connection {self.pc.connectionState}"]
        transport = next((s for s in by_id.values() if s["type"] == "transport"), None)
        pair_id = transport.get("selectedCandidatePairId") if transport else None
        pair = by_id.get(pair_id) if pair_id else None
        if pair is not None:
            local = by_id.get(pair["localCandidateId"], {})
            remote = by_id.get(pair["remoteCandidateId"], {})
            parts.append(
                "pair {}:{} {} <-> {}:{} {}".format(
                    local.get("address"),
                    local.get("port"),
                    local.get("candidateType"),
                    remote.get("address"),
                    remote.get("port"),
                    remote.get("candidateType"),
                )
            )
        else:
            parts.append("no selected candidate pair")
        for s in by_id.values():
            if s["type"] == "data-channel" and s.get("label") == CHANNEL_LABEL:
                parts.append(
                    f"channel: {s['messagesSent']} msgs/{s['bytesSent']} B sent, "
                    f"{s['messagesReceived']} msgs/{s['bytesReceived']} B received"
                )
        if transport is not None:
            parts.append(
                f"wire: {transport['bytesSent']} B sent, {transport['bytesReceived']} B received"
            )
        return " · ".join(parts)

    async def close(self) -> None:
        await self.negotiator.close()
        await self.pc.close()


Command = Callable[[PeerSession, str], Awaitable[str]]


class ChatBot:
    """Joins ``transport``'s room and serves the chat (see the module docstring)."""

    def __init__(
        self,
        transport: WebSocketTransport,
        *,
        name: str = "bot",
        configuration: RTCConfiguration | None = None,
    ) -> None:
        self.transport = transport
        self.name = name
        self.configuration = configuration
        self.sessions: dict[str, PeerSession] = {}
        self.replies: list[str] = []  # every reply sent, for tests and logs
        self._newcomers: set[str] = set()  # joined after us: greet them once connected
        self._tasks: set[asyncio.Future[Any]] = set()
        self.commands: dict[str, Command] = {
            "/echo": self._echo,
            "/time": self._time,
            "/stats": self._stats,
            "/help": self._help,
        }

    def track(self, task: asyncio.Future[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- room ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Connect (if needed) and serve until the transport closes."""
        await self.transport.connect()
        logger.info("joined room %r as %s", self.transport.room, self.transport.id)
        for peer in self.transport.peers:
            self._session(peer.id, peer.name, greet=False)
        async for message in self.transport:
            await self._dispatch(message)

    def _session(self, peer_id: str, name: str | None, *, greet: bool) -> PeerSession:
        session = self.sessions.get(peer_id)
        if session is None:
            session = PeerSession(self, peer_id, name, greet=greet)
            self.sessions[peer_id] = session
        return session

    async def _dispatch(self, message: Message) -> None:
        if isinstance(message, PeerJoined):
            logger.info("%s joined", message.name or message.id)
            self._newcomers.add(message.id)  # it will offer; its session starts then
        elif isinstance(message, PeerLeft):
            await self._drop(message.id)
        elif isinstance(message, Bye):
            if message.sender is not None:
                await self._drop(message.sender)
        else:
            sender = getattr(message, "sender", None)
            if sender is None:
                logger.info("server says: %r", message)
                return
            name = next((p.name for p in self.transport.peers if p.id == sender), None)
            session = self._session(sender, name, greet=sender in self._newcomers)
            self._newcomers.discard(sender)
            try:
                await session.negotiator.handle(message)
            except Exception as exc:  # a bad description from one peer: log, keep serving
                logger.warning("negotiation with %s failed: %r", session.display_name(), exc)

    async def _drop(self, peer_id: str) -> None:
        self._newcomers.discard(peer_id)
        session = self.sessions.pop(peer_id, None)
        if session is not None:
            logger.info("%s left", session.display_name())
            await session.close()

    async def close(self) -> None:
        for peer_id in list(self.sessions):
            await self._drop(peer_id)
        for task in list(self._tasks):
            task.cancel()
        await self.transport.close()

    # ---- chat ---------------------------------------------------------------------------

    async def on_chat(self, session: PeerSession, text: str) -> None:
        text = text.strip()
        if not text.startswith("/"):
            return
        command, _, argument = text.partition(" ")
        handler = self.commands.get(command.lower())
        if handler is None:
            reply = f"unknown command {command}; {HELP}"
        else:
            reply = await handler(session, argument.strip())
        self.broadcast(f"@{session.display_name()} {reply}")

    def broadcast(self, text: str) -> int:
        """Send ``text`` to every participant whose channel is open."""
        self.replies.append(text)
        return sum(session.send(text) for session in list(self.sessions.values()))

    async def _echo(self, session: PeerSession, argument: str) -> str:
        return argument or "(nothing to echo)"

    async def _time(self, session: PeerSession, argument: str) -> str:
        now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        return f"it is {now.isoformat()}"

    async def _stats(self, session: PeerSession, argument: str) -> str:
        return await session.stats_text()

    async def _help(self, session: PeerSession, argument: str) -> str:
        return HELP


async def run_bot(
    url: str,
    room: str,
    *,
    name: str = "bot",
    token: str | None = None,
    configuration: RTCConfiguration | None = None,
) -> None:
    """Join ``room`` at ``url`` and serve until the connection ends or the task is cancelled."""
    bot = ChatBot(
        WebSocketTransport(url, room, token=token, name=name),
        name=name,
        configuration=configuration,
    )
    try:
        await bot.run()
    finally:
        with contextlib.suppress(Exception):
            await bot.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="rtcpeer chat bot")
    parser.add_argument("--url", default="ws://127.0.0.1:8765/ws", help="room server /ws URL")
    parser.add_argument("--room", default="lobby")
    parser.add_argument("--name", default="bot")
    parser.add_argument("--token", default=os.environ.get("CHAT_TOKEN"), help="join token")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_bot(args.url, args.room, name=args.name, token=args.token))


if __name__ == "__main__":
    main()

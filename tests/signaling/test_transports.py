"""Every signaling transport carries a full rtcpeer trickle exchange, plus each one's edge cases.

The exchange (``rtc_exchange.run_peer``): offer, answer, trickled candidates and
end-of-candidates both ways, a data-channel ping/pong between two rtcpeer peers on loopback,
then bye. Transport-specific tests cover closing, framing, the line-size limit, pasted input,
joining a room and presence.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from rtc_exchange import ExchangeResult, check_pair, run_peer
from server_fixtures import mint, running_server

from signaling import (
    Bye,
    EndOfCandidates,
    Error,
    JoinRefused,
    Offer,
    PeerInfo,
    PeerJoined,
    PeerLeft,
    SignalingProtocolError,
    Transport,
    TransportClosed,
    decode,
    encode,
)
from signaling.memory import memory_pair
from signaling.stdio import PREFIX, StdioTransport
from signaling.tcp import TcpTransport, tcp_connect, tcp_listen, unix_connect, unix_listen
from signaling.websocket import WebSocketTransport

T = TypeVar("T")
WAIT = 5.0
OFFER = Offer({"type": "offer", "sdp": "v=0\r\n"})


async def bounded(awaitable: Awaitable[T]) -> T:
    return await asyncio.wait_for(awaitable, WAIT)


async def exchange(a: Transport, b: Transport) -> tuple[ExchangeResult, ExchangeResult]:
    offerer, answerer = await asyncio.gather(
        run_peer(a, offerer=True, label="a"), run_peer(b, offerer=False, label="b")
    )
    check_pair(offerer, answerer)
    return offerer, answerer


def test_transports_satisfy_the_protocol() -> None:
    a, _ = memory_pair()
    for transport in (
        a,
        TcpTransport("127.0.0.1", 1),
        StdioTransport(),
        WebSocketTransport("ws://127.0.0.1:1", "r"),
    ):
        assert isinstance(transport, Transport)


# --------------------------------------------------------------------------- memory


async def test_memory_carries_rtc_exchange() -> None:
    a, b = memory_pair()
    async with a, b:
        await exchange(a, b)


async def test_memory_close_ends_the_other_side_after_pending_frames() -> None:
    a, b = memory_pair()
    await a.send(OFFER)
    await a.send(Bye())
    await a.close()
    assert [m async for m in b] == [OFFER, Bye()]
    with pytest.raises(TransportClosed):
        await b.receive()
    with pytest.raises(TransportClosed):
        await b.send(Bye())  # the other end is gone
    with pytest.raises(TransportClosed):
        await a.send(Bye())  # this end is closed


async def test_memory_close_wakes_a_pending_receive() -> None:
    a, _ = memory_pair()
    pending = asyncio.ensure_future(a.receive())
    await asyncio.sleep(0)
    await a.close()
    with pytest.raises(TransportClosed):
        await bounded(pending)


async def test_memory_rejects_an_invalid_message_before_sending() -> None:
    a, b = memory_pair()
    with pytest.raises(ValueError, match="must be 'offer'"):
        await a.send(Offer({"type": "answer", "sdp": ""}))
    await a.send(Bye())
    assert await bounded(b.receive()) == Bye()  # nothing else was queued


# --------------------------------------------------------------------------- TCP / Unix


@pytest.fixture
async def unix_path() -> AsyncIterator[str]:
    with tempfile.TemporaryDirectory() as directory:
        yield os.path.join(directory, "signal.sock")


async def test_tcp_carries_rtc_exchange() -> None:
    async with await tcp_listen("127.0.0.1", 0) as listener:
        client, server = await bounded(
            asyncio.gather(tcp_connect("127.0.0.1", listener.port), listener.accept())
        )
        async with client, server:
            await exchange(client, server)


async def test_unix_socket_carries_rtc_exchange(unix_path: str) -> None:
    async with await unix_listen(unix_path) as listener:
        assert listener.address == unix_path
        client, server = await bounded(asyncio.gather(unix_connect(unix_path), listener.accept()))
        async with client, server:
            await exchange(server, client)  # the accepting side offers this time
    assert not os.path.exists(unix_path)


async def raw_client() -> tuple[TcpTransport, asyncio.StreamWriter]:
    """A listener-side transport whose peer is a raw socket the test writes bytes into."""
    listener = await tcp_listen("127.0.0.1", 0, max_line=1000)
    _, writer = await asyncio.open_connection("127.0.0.1", listener.port)
    transport = await bounded(listener.accept())
    await listener.close()
    return transport, writer


async def test_tcp_oversize_line_is_an_error_and_the_stream_continues() -> None:
    transport, writer = await raw_client()
    big = encode(Offer({"type": "offer", "sdp": "a" * 5000}))
    writer.write(big.encode() + b"\n" + encode(Bye()).encode() + b"\n")
    # One oversize line longer than the reader's chunk, in pieces: the rest is skipped.
    writer.write(b"[" * 70_000)
    await writer.drain()
    writer.write(b"]" * 70_000 + b"\n" + encode(EndOfCandidates()).encode() + b"\n")
    with pytest.raises(SignalingProtocolError, match="longer than the limit of 1000") as info:
        await bounded(transport.receive())
    assert info.value.code == "too-large"
    assert await bounded(transport.receive()) == Bye()
    with pytest.raises(SignalingProtocolError) as info:
        await bounded(transport.receive())
    assert info.value.code == "too-large"
    assert await bounded(transport.receive()) == EndOfCandidates()
    writer.close()
    with pytest.raises(TransportClosed):
        await bounded(transport.receive())
    await transport.close()


async def test_tcp_malformed_lines_raise_then_iteration_skips_them() -> None:
    transport, writer = await raw_client()
    writer.write(b'{"type":"nope"}\n\n  \r\n' + encode(Bye()).encode() + b"\r\n")
    with pytest.raises(SignalingProtocolError, match="unknown message type 'nope'"):
        await bounded(transport.receive())
    assert await bounded(transport.receive()) == Bye()  # blank lines and CRLF tolerated
    writer.write(b"not json\n\xff\xfe\n" + encode(EndOfCandidates()).encode() + b"\n")
    writer.write(b'{"type":"bye"}')  # unterminated last line, then EOF
    writer.close()
    assert [m async for m in transport] == [EndOfCandidates(), Bye()]
    assert transport.dropped_frames == 2
    await transport.close()


async def test_tcp_peer_close_and_local_close() -> None:
    async with await tcp_listen() as listener:
        client, server = await bounded(
            asyncio.gather(tcp_connect("127.0.0.1", listener.port), listener.accept())
        )
        pending = asyncio.ensure_future(server.receive())
        await client.send(OFFER)
        assert await bounded(pending) == OFFER
        pending = asyncio.ensure_future(server.receive())
        await asyncio.sleep(0.01)
        await server.close()  # a local close wakes the pending receive
        with pytest.raises(TransportClosed):
            await bounded(pending)
        with pytest.raises(TransportClosed):
            await bounded(client.receive())  # the other side sees the end of stream
        await client.close()


async def test_tcp_connect_refused_is_transport_closed() -> None:
    async with await tcp_listen() as listener:
        port = listener.port
    with pytest.raises(TransportClosed, match="cannot connect"):
        await bounded(tcp_connect("127.0.0.1", port))


async def test_listener_close_ends_accept_and_iteration() -> None:
    listener = await tcp_listen()
    pending = asyncio.ensure_future(listener.accept())
    await asyncio.sleep(0.01)
    await listener.close()
    with pytest.raises(TransportClosed):
        await bounded(pending)
    assert [t async for t in listener] == []


# --------------------------------------------------------------------------- stdio


class _FeedTransport(asyncio.Transport):
    """Writes go straight into ``target`` (an in-memory pipe end)."""

    def __init__(self, target: asyncio.StreamReader) -> None:
        super().__init__()
        self._target = target
        self._closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._target.feed_data(bytes(data))

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._target.feed_eof()


def memory_pipe() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """(read end, write end) of an in-memory byte pipe, as asyncio streams."""
    reader = asyncio.StreamReader()
    protocol = asyncio.StreamReaderProtocol(asyncio.StreamReader())
    writer = asyncio.StreamWriter(
        _FeedTransport(reader), protocol, None, asyncio.get_running_loop()
    )
    return reader, writer


class Human:
    """Copies the prefixed lines of one program's output into the other's input, sloppily:
    sometimes without the prefix, with surrounding spaces, CRLF and blank lines, as pasting
    into a terminal does."""

    def __init__(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        self.source = source
        self.sink = sink
        self.copied: list[bytes] = []

    async def run(self) -> None:
        styles = itertools.cycle(range(4))
        while line := await self.source.readline():
            assert line.startswith(PREFIX.encode()), line
            self.copied.append(line)
            style = next(styles)
            if style == 1:
                line = line[len(PREFIX) :]
            elif style == 2:
                line = b"\n   " + line.rstrip(b"\n") + b"  \r\n\n"
            elif style == 3:
                line = b"  " + line[len(PREFIX) :].rstrip(b"\n") + b"\r\n"
            self.sink.write(line)
        self.sink.close()


async def test_stdio_carries_rtc_exchange_pasted_by_a_human() -> None:
    a_out, a_out_w = memory_pipe()
    a_in, a_in_w = memory_pipe()
    b_out, b_out_w = memory_pipe()
    b_in, b_in_w = memory_pipe()
    a = StdioTransport(a_in, a_out_w)
    b = StdioTransport(b_in, b_out_w)
    humans = [Human(a_out, b_in_w), Human(b_out, a_in_w)]
    copying = [asyncio.ensure_future(h.run()) for h in humans]
    async with a, b:
        offerer, answerer = await exchange(a, b)
    await bounded(asyncio.gather(*copying))  # closing ends each output stream
    sent = sum(offerer.sent.values()) + sum(answerer.sent.values())
    assert len(humans[0].copied) + len(humans[1].copied) == sent
    first = humans[0].copied[0]
    assert first.startswith(b"rtcpeer-signal {") and first.endswith(b"}\n")
    assert decode(first[len(PREFIX) :]).TYPE == "offer"


async def test_stdio_bad_paste_is_reported_and_the_next_line_is_read() -> None:
    reader = asyncio.StreamReader()
    transport = StdioTransport(reader, None)
    await transport.connect()
    reader.feed_data(b'rtcpeer-signal {"type":"offer","description":{"type":"offer"}}\n')
    reader.feed_data(b"rtcpeer-signal " + encode(Bye()).encode() + b"\n")
    with pytest.raises(SignalingProtocolError, match=r"description\.sdp is missing"):
        await bounded(transport.receive())
    assert await bounded(transport.receive()) == Bye()
    reader.feed_eof()
    with pytest.raises(TransportClosed):
        await bounded(transport.receive())


STDIO_PEER = """
import asyncio, sys
sys.path.insert(0, {directory!r})
from rtc_exchange import run_peer
from signaling.stdio import StdioTransport

async def main():
    async with StdioTransport() as transport:
        result = await run_peer(transport, offerer=sys.argv[1] == "offerer", label="p")
    print("RESULT", result.data, result.connection_state, file=sys.stderr, flush=True)

asyncio.run(main())
"""


async def test_stdio_real_stdin_stdout_between_two_processes() -> None:
    """The copy-and-paste mode proper: two programs on real stdin/stdout, the test pastes."""
    script = STDIO_PEER.format(directory=str(Path(__file__).parent))
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            script,
            role,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for role in ("offerer", "answerer")
    ]
    try:

        async def paste(source: Any, sink: Any) -> int:
            lines = 0
            while line := await source.stdout.readline():
                assert line.startswith(PREFIX.encode()), line
                sink.stdin.write(line)
                await sink.stdin.drain()
                lines += 1
            return lines

        copied = await asyncio.wait_for(
            asyncio.gather(paste(procs[0], procs[1]), paste(procs[1], procs[0])), 30
        )
        errors = [await asyncio.wait_for(p.stderr.read(), 10) for p in procs]
        codes = [await asyncio.wait_for(p.wait(), 10) for p in procs]
    finally:
        for p in procs:
            if p.returncode is None:
                p.kill()
                await p.wait()
    assert codes == [0, 0], errors
    assert b"RESULT ['pong: ping from p'] connected" in errors[0], errors[0]
    assert b"RESULT ['ping from p'] connected" in errors[1], errors[1]
    assert b"paste the other side's 'rtcpeer-signal' lines here" in errors[0]
    assert copied[0] >= 4 and copied[1] >= 3  # offer/cands/eoc/bye; answer/cands/eoc


# --------------------------------------------------------------------------- WebSocket


def ws_client(url: str, name: str, token: str | None = None) -> WebSocketTransport:
    return WebSocketTransport(url, "r1", token=token or mint("r1"), name=name, proxy=None)


async def test_websocket_carries_rtc_exchange_through_the_room_server(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        alice = ws_client(server.ws_url, "alice")
        bob = ws_client(server.ws_url, "bob")
        async with alice, bob:  # alice joins first, so bob sees her in peers
            assert alice.peers == ()
            assert alice.id is not None and bob.id is not None and alice.id != bob.id
            assert bob.peers == (PeerInfo(alice.id, "alice"),)
            offerer, answerer = await asyncio.gather(
                run_peer(bob, offerer=True, label="bob", to=alice.id),
                run_peer(alice, offerer=False, label="alice"),
            )
            check_pair(offerer, answerer)
            assert answerer.remote_id == bob.id  # learnt from the offer's "from"
            assert answerer.received["peer-joined"] == 1  # presence passes through receive()
            assert alice.peers == (PeerInfo(bob.id, "bob"),)


async def test_websocket_presence_and_error_frames(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        async with ws_client(server.ws_url, "alice") as alice:
            bob = ws_client(server.ws_url, "bob")
            await bob.connect()
            assert bob.id is not None
            assert await bounded(alice.receive()) == PeerJoined(bob.id, "bob")
            await bob.send(Bye(to="nobody"))
            error = await bounded(bob.receive())  # an error frame is a message, not a raise
            assert isinstance(error, Error) and error.code == "unknown-peer"
            await bob.send(Bye())  # broadcast
            assert await bounded(alice.receive()) == Bye(sender=bob.id)
            await bob.close()
            assert await bounded(alice.receive()) == PeerLeft(bob.id)
            assert alice.peers == ()
            with pytest.raises(TransportClosed):
                await bob.send(Bye())


@pytest.mark.parametrize(
    ("token", "code"),
    [("forged.token", "bad-token"), (mint("other-room"), "wrong-room"), (None, "bad-token")],
)
async def test_websocket_join_refused(tmp_path: Path, token: str | None, code: str) -> None:
    with running_server(tmp_path) as server:
        transport = WebSocketTransport(server.ws_url, "r1", token=token, name="m", proxy=None)
        with pytest.raises(JoinRefused) as info:
            await bounded(transport.connect())
        assert info.value.code == code
        assert info.value.message


async def test_websocket_connection_failure_is_transport_closed() -> None:
    async with await tcp_listen() as listener:
        port = listener.port
    with pytest.raises(TransportClosed, match="cannot connect"):
        await bounded(ws_client(f"ws://127.0.0.1:{port}/ws", "x").connect())


async def test_websocket_server_going_away_ends_iteration(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        alice = ws_client(server.ws_url, "alice")
        await alice.connect()
        server.stop()
        assert [m async for m in alice] == []
        with pytest.raises(TransportClosed):
            await alice.receive()
        await alice.close()

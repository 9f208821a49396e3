"""Room server hardening against abusive clients (the server runs as a subprocess):
join deadline, per-address connection cap, bytes queued per connection (stalled readers),
single concurrent use of a join token, per-connection log budget, quiet abnormal closes.

Every load loop here is bounded in count and in time; none asserts on speed."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from server_fixtures import Client, ServerProcess, mint, offer, running_server
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake


def records_about(server: ServerProcess, **match: Any) -> list[dict[str, Any]]:
    return [r for r in server.log_records() if all(r.get(k) == v for k, v in match.items())]


async def wait_records(
    server: ServerProcess, count: int, timeout: float = 5.0, **match: Any
) -> list[dict[str, Any]]:
    """The log records matching ``match`` once there are at least ``count`` (bounded wait)."""
    deadline = time.monotonic() + timeout
    while True:
        found = records_about(server, **match)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)


def proc_status_kib(pid: int, field: str) -> int:
    """``VmRSS`` / ``VmHWM`` (peak RSS) of a process, in KiB, from /proc/PID/status."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def bound_socket(source: str, port: int, rcvbuf: int | None = None) -> socket.socket:
    """A TCP socket from ``source`` (any 127/8 address is loopback on Linux), connected."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.bind((source, 0))
    sock.settimeout(5)
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    return sock


# ----------------------------------------------------------------- join deadline, cap


async def test_connection_that_never_joins_is_closed(tmp_path: Path) -> None:
    with running_server(tmp_path, "--join-timeout", "0.5") as server:
        idle = await Client.connect(server.ws_url)
        prompt = await Client.connect(server.ws_url)
        await prompt.join("r1", mint("r1"), "prompt")
        started = time.monotonic()
        assert await idle.closed(timeout=5) == 1008
        assert idle.ws.close_reason == "join timeout"
        assert time.monotonic() - started < 4.5  # closed by the deadline, not a keepalive
        # A participant that joined in time is not affected by the deadline.
        await asyncio.sleep(0.6)
        await prompt.send(offer())  # nobody else in the room: nothing comes back
        await prompt.quiet(0.2)
        assert prompt.ws.close_code is None
        await prompt.close()
        timeouts = await wait_records(server, 1, event="join-timeout")
        assert len(timeouts) == 1 and timeouts[0]["level"] == "INFO"


async def test_connections_per_address_are_capped(tmp_path: Path) -> None:
    with running_server(tmp_path, "--max-connections-per-address", "3") as server:
        url = server.ws_url
        held = [await Client.connect(url) for _ in range(3)]
        # The fourth from 127.0.0.1 is refused before the WebSocket handshake.
        with pytest.raises((InvalidHandshake, ConnectionClosed, OSError)):
            await asyncio.wait_for(connect(url, open_timeout=5), 5)
        # Another source address has its own allowance.
        other = bound_socket("127.0.0.2", server.port)
        ws = await asyncio.wait_for(connect(url, sock=other, open_timeout=5), 5)
        await Client(ws).join("r1", mint("r1"), "elsewhere")
        await ws.close()
        # Closing one frees a slot for that address.
        await held.pop().close()
        deadline = time.monotonic() + 5
        while True:
            try:
                again = await Client.connect(url)
                break
            except (InvalidHandshake, ConnectionClosed, OSError):
                assert time.monotonic() < deadline, "slot not freed after a close"
                await asyncio.sleep(0.1)
        await again.join("r1", mint("r1"), "again")
        for client in (*held, again):
            await client.close()
        refused = records_about(server, event="too-many-connections")
        assert refused and refused[0]["remote"] == "127.0.0.1"


# ------------------------------------------------------------------- stalled readers


async def stalled_reader(port: int, url: str, room: str, name: str) -> ClientConnection:
    """A participant that joins and then never reads: a small receive buffer, and the
    client library stops reading its socket once one frame waits unread."""
    sock = bound_socket("127.0.0.1", port, rcvbuf=4096)
    ws = await asyncio.wait_for(connect(url, sock=sock, max_queue=1, max_size=None), 5)
    await Client(ws).join(room, mint(room), name)
    return ws


async def test_stalled_readers_are_disconnected_and_memory_stays_flat(tmp_path: Path) -> None:
    # Random text, so permessage-deflate cannot shrink it; under the 64 KiB message limit.
    stalled_count, frame_sdp = 10, "v=0\r\n" + secrets.token_urlsafe(45000)
    with running_server(tmp_path) as server:
        url, port = server.ws_url, server.port
        stalled = [
            await stalled_reader(port, url, "r1", f"stalled{i}") for i in range(stalled_count)
        ]
        healthy = await Client.connect(url)
        await healthy.join("r1", mint("r1"), "healthy")
        sender = await Client.connect(url)
        await sender.join("r1", mint("r1"), "sender")
        received = 0

        async def read_all() -> None:
            nonlocal received
            with contextlib.suppress(ConnectionClosed):
                async for data in healthy.ws:
                    if '"offer"' in str(data)[:40]:
                        received += 1

        reader = asyncio.get_running_loop().create_task(read_all())
        await asyncio.sleep(0.3)
        rss_before = proc_status_kib(server.pid, "VmRSS")
        sent = 0
        start = time.monotonic()
        while sent < 270 and time.monotonic() - start < 8.0:  # ~45 frames/s, under 50/s
            await sender.send(offer(frame_sdp))
            sent += 1
            await asyncio.sleep(1 / 45)
        await asyncio.sleep(0.5)
        peak_growth_mib = (proc_status_kib(server.pid, "VmHWM") - rss_before) / 1024
        slow = await wait_records(server, stalled_count, event="slow-consumer")
        # Without a bound, 270 frames x 60 KB x 10 readers (~160 MB) stay queued.
        assert peak_growth_mib < 30, f"server RSS grew {peak_growth_mib:.0f} MiB"
        assert len({r["participant"] for r in slow}) == stalled_count, slow
        assert all(r["level"] == "WARNING" and r["close_code"] == 1013 for r in slow)
        # The reader that keeps up and the sender stay connected and get everything.
        assert healthy.ws.close_code is None and sender.ws.close_code is None
        # A loaded machine may bunch the sender's frames past the rate limit: those few are
        # answered with rate-limited errors; every other frame reaches the healthy reader.
        limited = 0
        with contextlib.suppress(TimeoutError):
            while True:
                frame = await sender.recv(timeout=1.0)
                if frame["type"] == "error":
                    assert frame["code"] == "rate-limited", frame
                    limited += 1
                else:  # the stalled readers leaving
                    assert frame["type"] == "peer-left", frame
        deadline = time.monotonic() + 10
        while received < sent - limited and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert received == sent - limited > 0
        reader.cancel()
        for ws in stalled:
            ws.transport.abort()
        await healthy.close()
        await sender.close()


# -------------------------------------------------------------------------- tokens


async def test_a_token_admits_one_participant_at_a_time(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        token = mint("r1", name="alice")
        alice = await Client.connect(server.ws_url)
        await alice.join("r1", token)
        replay = await Client.connect(server.ws_url)
        await replay.send({"type": "join", "room": "r1", "token": token})
        assert (await replay.expect("error"))["code"] == "token-in-use"
        assert await replay.closed() == 1008
        # Many concurrent replays: none gets in.
        replays = [await Client.connect(server.ws_url) for _ in range(10)]
        for client in replays:
            await client.send({"type": "join", "room": "r1", "token": token})
        for client in replays:
            assert (await client.expect("error"))["code"] == "token-in-use"
        # Once its participant has left, the token may join again (until it expires).
        await alice.close()
        await wait_records(server, 1, event="leave")
        back = await Client.connect(server.ws_url)
        joined = await back.join("r1", token)
        assert joined["peers"] == []
        await back.close()
        refused = records_about(server, event="join-refused", code="token-in-use")
        assert len(refused) == 11


# ---------------------------------------------------------------------------- logs


async def test_a_frame_flood_writes_a_bounded_number_of_log_lines(tmp_path: Path) -> None:
    flood = 5000
    with running_server(tmp_path) as server:
        flooder = await Client.connect(server.ws_url)
        await flooder.join("r1", mint("r1"), "flooder")
        lines_before = len(server.log_text().splitlines())
        errors = 0

        async def count_errors() -> None:
            nonlocal errors
            while errors < flood:
                frame = await flooder.recv(timeout=10)
                assert frame["type"] == "error" and frame["code"] in {"malformed", "rate-limited"}
                errors += 1

        counter = asyncio.get_running_loop().create_task(count_errors())
        for _ in range(flood):
            await flooder.ws.send("{oops")
        await asyncio.wait_for(counter, 30)
        assert errors == flood  # every frame was handled (and answered)
        await flooder.close()
        await wait_records(server, 1, event="leave")
        lines = server.log_text().splitlines()[lines_before:]
        assert len(lines) <= 20, f"{len(lines)} log lines for a {flood}-frame flood"
        summaries = records_about(server, event="log-suppressed")
        assert summaries and sum(r["count"] for r in summaries) >= flood - 20


async def test_abnormal_disconnect_is_one_info_line(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        alice = await Client.connect(server.ws_url)
        await alice.join("r1", mint("r1"), "alice")
        bob = await Client.connect(server.ws_url)
        await bob.join("r1", mint("r1"), "bob")
        await alice.expect("peer-joined")
        bob.ws.transport.abort()  # TCP reset: no closing handshake
        assert (await alice.expect("peer-left"))["id"] == bob.id
        lines = await wait_records(server, 1, participant=bob.id, event="leave")
        await alice.close()
        await asyncio.sleep(0.2)
        records = server.log_records()
    assert [r for r in records if r["level"] in {"ERROR", "CRITICAL"} or "exc" in r] == []
    about_bob = [r for r in records if r.get("participant") == bob.id]
    assert [r["event"] for r in about_bob] == ["join", "leave"]
    assert lines[0]["level"] == "INFO" and lines[0]["close_code"] == 1006

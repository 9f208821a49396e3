"""Start the real room server (``python -m signaling.server``) and ``redis-server`` as
subprocesses for tests, plus a small raw WebSocket client. Reusable by any test module::

    from server_fixtures import SECRET, Client, mint, running_server

    def test_x(tmp_path):
        with running_server(tmp_path) as server:      # --port 0; waits until it listens
            ...  server.ws_url, server.http_url, server.pid, server.log_records()

    async def test_y(tmp_path):
        with running_server(tmp_path, "--max-participants", "2") as server:
            alice = await Client.connect(server.ws_url)
            joined = await alice.join("r1", mint("r1"), "alice")

Servers listen on 127.0.0.1 with ``--port 0``; the fixture reads the port from the
``listening`` log record (logs go to a file in ``tmp_path``, one JSON object per line). A
server is stopped by PID: SIGTERM, then SIGKILL if it has not exited within 5 s.
``running_redis(tmp_path)`` starts ``redis-server --port <free> --save '' --appendonly no`` in
a temporary directory and fails the test, saying so, if redis-server is not installed.
Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from signaling.server.tokens import mint_token

SECRET = "test-secret-for-signaling-0123456789"
START_TIMEOUT = 15.0
RECV_TIMEOUT = 5.0
REPO = Path(__file__).resolve().parents[2]


def mint(room: str, *, ttl: float = 300.0, name: str | None = None, secret: str = SECRET) -> str:
    return mint_token(secret.encode(), room, ttl=ttl, name=name)


def _wait_exit(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    try:
        proc.wait(timeout)
        return True
    except subprocess.TimeoutExpired:
        return False


def _stop_pid(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, sig)
        if not _wait_exit(proc, 5.0):
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
            _wait_exit(proc, 5.0)


@dataclass
class ServerProcess:
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_records(self) -> list[dict[str, Any]]:
        """Every log line, parsed (a line that is not a JSON object fails the test)."""
        records = []
        for line in self.log_text().splitlines():
            record = json.loads(line)
            assert isinstance(record, dict), line
            records.append(record)
        return records

    def stop(self) -> None:
        _stop_pid(self.proc, signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL by PID: the node dies without leaving its rooms."""
        _stop_pid(self.proc, signal.SIGKILL)


def server_env(secret: str | None = SECRET) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SIGNALING_SECRET"}
    if secret is not None:
        env["SIGNALING_SECRET"] = secret
    env["PYTHONUNBUFFERED"] = "1"
    return env


def start_server(
    tmp_path: Path, *args: str, secret: str | None = SECRET, name: str = "server"
) -> ServerProcess:
    """Start ``python -m signaling.server --host 127.0.0.1 --port 0 *args``; return once it
    listens (fail the test with its log if it exits or does not listen in time)."""
    log_path = tmp_path / f"{name}-{time.monotonic_ns()}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "signaling.server", "--host", "127.0.0.1", "--port", "0", *args],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=server_env(secret),
            cwd=REPO,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        for line in log_path.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if isinstance(record, dict) and record.get("event") == "listening":
                    return ServerProcess(proc, int(record["port"]), log_path)
        if proc.poll() is not None:
            pytest.fail(f"signaling server exited ({proc.returncode}):\n{log_path.read_text()}")
        time.sleep(0.05)
    _stop_pid(proc, signal.SIGKILL)
    pytest.fail(
        f"signaling server did not listen within {START_TIMEOUT} s:\n{log_path.read_text()}"
    )


@contextlib.contextmanager
def running_server(tmp_path: Path, *args: str, **kwargs: Any) -> Iterator[ServerProcess]:
    server = start_server(tmp_path, *args, **kwargs)
    try:
        yield server
    finally:
        server.stop()


# ---------------------------------------------------------------------------- redis


@dataclass
class RedisProcess:
    proc: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        _stop_pid(self.proc, signal.SIGTERM)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _redis_pong(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_redis(tmp_path: Path) -> RedisProcess:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(
            "redis-server is not installed (Debian package redis-server); the Redis "
            "tests need a real one"
        )
    workdir = tmp_path / f"redis-{time.monotonic_ns()}"
    workdir.mkdir()
    for _attempt in range(3):  # a free port can be taken between probing and binding
        port = _free_port()
        proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
                "--daemonize",
                "no",
            ],
            stdin=subprocess.DEVNULL,
            stdout=(workdir / "redis.log").open("wb"),
            stderr=subprocess.STDOUT,
            cwd=workdir,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and proc.poll() is None:
            if _redis_pong(port):
                return RedisProcess(proc, port)
            time.sleep(0.05)
        _stop_pid(proc, signal.SIGKILL)
    pytest.fail(f"redis-server did not start:\n{(workdir / 'redis.log').read_text()}")


@contextlib.contextmanager
def running_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    redis = start_redis(tmp_path)
    try:
        yield redis
    finally:
        redis.stop()


# ---------------------------------------------------------------------------- client


class Client:
    """A raw WebSocket participant: sends dicts/text, receives parsed frames, bounded waits."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.id: str | None = None

    @classmethod
    async def connect(cls, url: str) -> Client:
        ws = await asyncio.wait_for(connect(url, max_size=None, open_timeout=5), RECV_TIMEOUT)
        return cls(ws)

    async def send(self, frame: dict[str, Any] | str | bytes) -> None:
        await self.ws.send(frame if isinstance(frame, str | bytes) else json.dumps(frame))

    async def recv(self, timeout: float = RECV_TIMEOUT) -> dict[str, Any]:
        data = await asyncio.wait_for(self.ws.recv(), timeout)
        frame = json.loads(data)
        assert isinstance(frame, dict)
        return frame

    async def expect(self, frame_type: str, timeout: float = RECV_TIMEOUT) -> dict[str, Any]:
        """The next frame, which must be of ``frame_type``."""
        frame = await self.recv(timeout)
        assert frame["type"] == frame_type, frame
        return frame

    async def recv_until(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = RECV_TIMEOUT
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The first frame satisfying ``predicate`` and the frames skipped before it."""
        skipped: list[dict[str, Any]] = []
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            frame = await self.recv(max(remaining, 0.001))
            if predicate(frame):
                return frame, skipped
            skipped.append(frame)

    async def join(self, room: str, token: str | None, name: str | None = None) -> dict[str, Any]:
        frame: dict[str, Any] = {"type": "join", "room": room}
        if token is not None:
            frame["token"] = token
        if name is not None:
            frame["name"] = name
        await self.send(frame)
        joined = await self.expect("joined")
        self.id = joined["id"]
        return joined

    async def closed(self, timeout: float = RECV_TIMEOUT) -> int | None:
        """Wait until the server closes the connection; its close code."""
        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.wait_for(self.ws.recv(), timeout)
        return self.ws.close_code

    async def quiet(self, seconds: float = 0.3) -> None:
        """Assert that nothing arrives for ``seconds``."""
        with contextlib.suppress(TimeoutError):
            frame = await asyncio.wait_for(self.ws.recv(), seconds)
            raise AssertionError(f"unexpected frame {frame!r}")

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(), RECV_TIMEOUT)


def offer(sdp: str = "v=0\r\n", **extra: Any) -> dict[str, Any]:
    return {"type": "offer", "description": {"type": "offer", "sdp": sdp}, **extra}


def answer(sdp: str = "v=0\r\n", **extra: Any) -> dict[str, Any]:
    return {"type": "answer", "description": {"type": "answer", "sdp": sdp}, **extra}

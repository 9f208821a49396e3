"""A real Janus gateway (Debian package ``janus``) for interop tests, driven over its HTTP API.

Janus is an independent WebRTC implementation (libnice for ICE, OpenSSL for DTLS, usrsctp for
data channels). Only the echotest plugin (plus any plugin a test asks for, e.g. textroom) and
the HTTP transport are loaded, from a config written to a temp dir; the process is stopped by
its PID. A missing ``janus`` binary fails the test with the reason (the test set-up installs
it), never skips it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

LIB = "/usr/lib/x86_64-linux-gnu/janus"
_PLUGINS = "audiobridge duktape lua nosip recordplay sip streaming textroom videocall voicemail"
OTHER_PLUGINS = ",".join(f"libjanus_{name}.so" for name in [*_PLUGINS.split(), "videoroom"])
# The textroom plugin's config when a test enables it: one room, JSON on one line.
TEXTROOM_ROOM = 1234
_TEXTROOM_CONFIG = (
    'general: { json = "compact" }\n'
    f'room-{TEXTROOM_ROOM}: {{ description = "rtcpeer interop" secret = "adminpwd" }}\n'
)
_TRANSPORTS = ["mqtt", "nanomsg", "pfunix", "rabbitmq", "websockets"]
OTHER_TRANSPORTS = ",".join(f"libjanus_{name}.so" for name in _TRANSPORTS)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _write_config(folder: Path, port: int, extra_plugins: Sequence[str] = ()) -> None:
    disabled = ",".join(
        f"libjanus_{name}.so"
        for name in [*_PLUGINS.split(), "videoroom"]
        if name not in extra_plugins
    )
    (folder / "janus.jcfg").write_text(
        "general: {\n"
        f'  configs_folder = "{folder}"\n'
        f'  plugins_folder = "{LIB}/plugins"\n'
        f'  transports_folder = "{LIB}/transports"\n'
        f'  events_folder = "{LIB}/events"\n'
        f'  loggers_folder = "{LIB}/loggers"\n'
        "  debug_level = 4\n"
        "  protected_folders = []\n"
        "}\n"
        "media: {}\n"
        "nat: {}\n"
        f'plugins: {{ disable = "{disabled}" }}\n'
        f'transports: {{ disable = "{OTHER_TRANSPORTS}" }}\n'
        "events: { broadcast = false }\n"
        'loggers: { disable = "libjanus_jsonlog.so" }\n'
    )
    (folder / "janus.transport.http.jcfg").write_text(
        "general: {\n"
        '  json = "compact"\n  base_path = "/janus"\n  http = true\n'
        f'  port = {port}\n  ip = "127.0.0.1"\n  https = false\n'
        "}\nadmin: { admin_http = false }\n"
    )
    (folder / "janus.plugin.echotest.jcfg").write_text("general: {}\n")
    if "textroom" in extra_plugins:
        (folder / "janus.plugin.textroom.jcfg").write_text(_TEXTROOM_CONFIG)


class JanusApi:
    """The subset of the Janus HTTP API the tests use (blocking calls run in a thread)."""

    def __init__(self, base: str, log: Path) -> None:
        self.base = base
        self.log = log

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        body = {**body, "transaction": secrets.token_hex(6)}
        request = urllib.request.Request(
            self.base + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            result: dict[str, Any] = json.loads(response.read())
        if result.get("janus") == "error":
            raise AssertionError(f"Janus error: {result}")
        return result

    def _get(self, path: str) -> Any:
        with urllib.request.urlopen(self.base + path, timeout=40) as response:
            return json.loads(response.read())

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return await asyncio.to_thread(self._post, path, body)

    async def attach_echotest(self) -> tuple[int, int]:
        return await self.attach("janus.plugin.echotest")

    async def attach(self, plugin: str, session: int | None = None) -> tuple[int, int]:
        """A handle on ``plugin`` in ``session`` (a new session when None)."""
        if session is None:
            session = int((await self.post("", {"janus": "create"}))["data"]["id"])
        handle = (await self.post(f"/{session}", {"janus": "attach", "plugin": plugin}))["data"][
            "id"
        ]
        return session, int(handle)

    async def trickle(self, session: int, handle: int, candidate: dict[str, Any] | None) -> None:
        """Trickle one local candidate (``None``: end-of-candidates) to Janus."""
        body = {"completed": True} if candidate is None else candidate
        await self.post(f"/{session}/{handle}", {"janus": "trickle", "candidate": body})

    async def wait_event(
        self, session: int, predicate: Callable[[dict[str, Any]], bool], timeout: float = 20.0
    ) -> dict[str, Any]:
        """Long-poll the session's events until one matches ``predicate`` (others are dropped)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            events = await asyncio.to_thread(self._get, f"/{session}?maxev=5")
            for event in events if isinstance(events, list) else [events]:
                if predicate(event):
                    matched: dict[str, Any] = event
                    return matched
        raise AssertionError(
            f"no matching Janus event within {timeout} s; log tail:\n{self.log_tail()}"
        )

    async def wait_jsep(self, session: int, timeout: float = 20.0) -> dict[str, Any]:
        """Long-poll the session's events until one carries a JSEP (the answer)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            events = await asyncio.to_thread(self._get, f"/{session}?maxev=5")
            for event in events if isinstance(events, list) else [events]:
                if "jsep" in event:
                    jsep: dict[str, Any] = event["jsep"]
                    return jsep
        raise AssertionError(f"no JSEP from Janus within {timeout} s; log tail:\n{self.log_tail()}")

    def log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-3000:]
        except OSError:
            return "(no log)"


@contextlib.asynccontextmanager
async def janus_gateway(*, extra_plugins: Sequence[str] = ()) -> AsyncIterator[JanusApi]:
    """A running Janus with echotest, plus ``extra_plugins`` (e.g. ``("textroom",)``)."""
    binary = shutil.which("janus")
    if binary is None:
        pytest.fail("janus is not installed (apt-get install janus; scripts/test.sh does it)")
    folder = Path(tempfile.mkdtemp(prefix="rtcpeer-janus-"))
    port = _free_port()
    _write_config(folder, port, extra_plugins)
    log = folder / "janus.log"
    proc = subprocess.Popen(
        [binary, "-F", str(folder), "-L", str(log), "-N"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    api = JanusApi(f"http://127.0.0.1:{port}/janus", log)
    try:
        for _ in range(200):
            if proc.poll() is not None:
                pytest.fail(f"janus exited with {proc.returncode}:\n{api.log_tail()}")
            try:
                info = await asyncio.to_thread(api._get, "/info")
                wanted = {f"janus.plugin.{name}" for name in ("echotest", *extra_plugins)}
                if wanted <= set(info.get("plugins", {})):
                    break
            except OSError:
                await asyncio.sleep(0.05)
        else:
            pytest.fail(f"janus did not answer on port {port}:\n{api.log_tail()}")
        yield api
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        shutil.rmtree(folder, ignore_errors=True)

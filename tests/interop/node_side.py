"""Drive a node WebRTC peer (werift or node-datachannel, ``tests/interop/node/``) from Python,
and connect it to rtcpeer or to aiortc. Used by ``test_node_peers.py`` and
``bench/node_peers.py``.

The node peer is a subprocess speaking newline-delimited JSON on stdin/stdout (the protocol is
described at the top of ``node/protocol.mjs``); it echoes every data-channel message back.
Both sides trickle candidates, except aiortc, which puts its candidates in its SDP.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import aiortc
from aiortc.sdp import candidate_from_sdp as aiortc_candidate_from_sdp

import rtcpeer

NODE_DIR = Path(__file__).resolve().parent / "node"
SCRIPTS = {"werift": "werift_peer.mjs", "node-datachannel": "ndc_peer.mjs"}
PACKAGES = {"werift": "werift", "node-datachannel": "node-datachannel"}
TIMEOUT = 15.0

Stack = Literal["werift", "node-datachannel"]
PyKind = Literal["rtcpeer", "aiortc"]
Direction = Literal["python-offers", "node-offers"]


def node_setup_problem(stack: Stack) -> str | None:
    """Why the node peer for ``stack`` cannot run here, or None if it can."""
    if shutil.which("node") is None:
        return "`node` is not on PATH (scripts/test.sh installs the node peers)"
    package = NODE_DIR / "node_modules" / PACKAGES[stack] / "package.json"
    if not package.exists():
        return f"{package} is missing: run `npm ci` in {NODE_DIR} (scripts/test.sh does)"
    return None


class NodePeer:
    """One node peer process; its output lines are routed into per-type queues."""

    def __init__(self, stack: Stack, proc: asyncio.subprocess.Process) -> None:
        self.stack = stack
        self.proc = proc
        self.queues: dict[str, asyncio.Queue[dict[str, Any]]] = {}
        self.states: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.version = ""
        self.exited = asyncio.Event()
        self._reader = asyncio.create_task(self._read())
        self._stderr: list[bytes] = []
        self._stderr_task = asyncio.create_task(self._read_stderr())

    @classmethod
    async def start(cls, stack: Stack) -> NodePeer:
        problem = node_setup_problem(stack)
        if problem is not None:
            raise AssertionError(f"{stack} peer cannot run: {problem}")
        env = dict(os.environ)
        env.setdefault("RTCPEER_NETNS_ADDR", "10.99.0.1")
        proc = await asyncio.create_subprocess_exec(
            "node",
            str(NODE_DIR / SCRIPTS[stack]),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=NODE_DIR,
            env=env,
            limit=1 << 20,
        )
        peer = cls(stack, proc)
        ready = await peer.next("ready", 20.0)
        peer.version = str(ready.get("version", ""))
        return peer

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            msg = json.loads(line)
            kind = msg["type"]
            if kind == "state":
                self.states.append((msg["what"], msg["state"]))
            elif kind == "error":
                self.errors.append(msg["error"])
            self.queue(kind).put_nowait(msg)
        self.exited.set()

    async def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        while chunk := await self.proc.stderr.read(4096):
            self._stderr.append(chunk)

    def queue(self, kind: str) -> asyncio.Queue[dict[str, Any]]:
        return self.queues.setdefault(kind, asyncio.Queue())

    def diagnostics(self) -> str:
        err = b"".join(self._stderr).decode(errors="replace")[-2000:]
        return f"{self.stack} states={self.states} errors={self.errors} stderr={err!r}"

    async def next(self, kind: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        queue = self.queue(kind)
        if not queue.empty():
            return queue.get_nowait()
        get = asyncio.ensure_future(queue.get())
        exited = asyncio.ensure_future(self.exited.wait())
        done, _ = await asyncio.wait({get, exited}, timeout=timeout, return_when="FIRST_COMPLETED")
        exited.cancel()
        if get in done:
            return get.result()
        get.cancel()
        why = "it exited" if exited in done else f"within {timeout} s"
        raise AssertionError(
            f"no {kind!r} from the {self.stack} peer: {why}; " + self.diagnostics()
        )

    def send(self, msg: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(msg) + "\n").encode())

    async def close(self) -> None:
        if self.proc.returncode is None:
            try:
                self.send({"type": "close"})
                await asyncio.wait_for(self.proc.wait(), 5)
            except (TimeoutError, ConnectionError):
                self.proc.kill()
                await self.proc.wait()
        self._reader.cancel()
        self._stderr_task.cancel()


@dataclass
class DtlsTap:
    """Counts the DTLS ClientHellos rtcpeer receives and sends (a test-side wrap of the rtcpeer
    driver's inbound and outbound datagram hooks: every datagram goes on unchanged).

    Read when the channel has opened: a handshake that needed no retransmission took exactly
    one ClientHello. RFC 6347 §4.1/§4.2: record content type 22 is handshake; the handshake
    type (1 = ClientHello) is the first byte after the 13-byte record header.
    """

    client_hellos: int = 0
    client_hellos_sent: int = 0
    first_dtls: asyncio.Event = field(default_factory=asyncio.Event)

    def install(self, pc: rtcpeer.RTCPeerConnection) -> None:
        driver = pc._driver
        assert driver is not None, "rtcpeer has no driver yet (tap after setLocalDescription)"
        inbound, outbound = driver.datagram_received, driver._send

        def on_in(data: bytes) -> None:
            if 20 <= data[0] <= 63:
                self.first_dtls.set()
            if _handshake_type(data) == 1:
                self.client_hellos += 1
            inbound(data)

        def on_out(data: bytes) -> None:
            if _handshake_type(data) == 1:
                self.client_hellos_sent += 1
            outbound(data)

        driver.datagram_received = on_in  # type: ignore[method-assign]
        driver._send = on_out


def _handshake_type(data: bytes) -> int | None:
    if len(data) > 13 and data[0] == 22:
        return data[13]
    return None


# ---- the Python side: rtcpeer or aiortc -------------------------------------------------------


class PySide:
    """rtcpeer or aiortc, with the calls both share and their candidate handling."""

    def __init__(self, kind: PyKind) -> None:
        self.kind = kind
        self.pc: Any = (
            rtcpeer.RTCPeerConnection(rtcpeer.RTCConfiguration(iceServers=[]))
            if kind == "rtcpeer"
            else aiortc.RTCPeerConnection(aiortc.RTCConfiguration(iceServers=[]))
        )
        self.remote_channels: asyncio.Queue[Any] = asyncio.Queue()
        self.pc.on("datachannel", self.remote_channels.put_nowait)
        self.local_candidates: asyncio.Queue[Any] = asyncio.Queue()
        if kind == "rtcpeer":
            self.pc.on("icecandidate", self.local_candidates.put_nowait)

    def description(self, sdp: str, kind: str) -> Any:
        cls = (
            rtcpeer.RTCSessionDescription
            if self.kind == "rtcpeer"
            else aiortc.RTCSessionDescription
        )
        return cls(sdp=sdp, type=kind)

    async def add_candidate(self, msg: dict[str, Any]) -> None:
        cand = msg.get("candidate")
        if self.kind == "rtcpeer":
            if not cand:
                await self.pc.addIceCandidate(None)
                return
            init = {k: msg.get(k) for k in ("candidate", "sdpMid", "sdpMLineIndex")}
            await self.pc.addIceCandidate(rtcpeer.RTCIceCandidate.from_json(init))
        elif cand:
            c = aiortc_candidate_from_sdp(cand.split(":", 1)[1])
            c.sdpMid = msg.get("sdpMid") or "0"
            c.sdpMLineIndex = msg.get("sdpMLineIndex") or 0
            await self.pc.addIceCandidate(c)

    async def forward_candidates(self, node: NodePeer) -> None:
        """rtcpeer's trickled candidates to the node peer (aiortc's are in its SDP)."""
        if self.kind != "rtcpeer":
            return
        while True:
            c = await self.local_candidates.get()
            if c is None:
                node.send({"type": "candidate", "candidate": None})
                return
            node.send({"type": "candidate", **c.toJSON()})

    async def close(self) -> None:
        await self.pc.close()


async def feed_candidates(node: NodePeer, py: PySide, ready: asyncio.Event) -> int:
    """The node peer's trickled candidates to the Python side, once it has the remote SDP."""
    count = 0
    while True:
        msg = await node.queue("candidate").get()
        await ready.wait()
        await py.add_candidate(msg)
        if not msg.get("candidate"):
            return count
        count += 1


@dataclass
class Session:
    """A connected pair: the Python side's channel, and how long opening took."""

    py: PySide
    node: NodePeer
    channel: Any
    label: str
    open_seconds: float
    tap: DtlsTap | None
    # ClientHellos rtcpeer had received / sent when the channel opened (None: aiortc).
    client_hellos_at_open: tuple[int, int] | None
    tasks: list[asyncio.Task[Any]]

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await self.py.close()
        await self.node.close()


async def wait_channel_open(channel: Any, what: str) -> None:
    if channel.readyState == "open":
        return
    opened = asyncio.Event()
    channel.on("open", opened.set)
    try:
        await asyncio.wait_for(opened.wait(), TIMEOUT)
    except TimeoutError:
        raise AssertionError(f"{what}: the data channel did not open in {TIMEOUT} s") from None


async def connect(
    py_kind: PyKind,
    stack: Stack,
    direction: Direction,
    *,
    answer_after_first_dtls: bool = False,
) -> Session:
    """Negotiate one data channel between the Python side and a fresh node peer.

    ``open_seconds`` runs from the offer's creation until the channel is open on both ends
    (the Python side's open event and the node peer's "open" report). With
    ``answer_after_first_dtls`` (rtcpeer offering), the answer reaches rtcpeer only once the
    answerer's first DTLS datagram has arrived: signalling slower than the media path, which
    makes an early ClientHello certain instead of a race.
    """
    node = await NodePeer.start(stack)
    py = PySide(py_kind)
    remote_set = asyncio.Event()
    tasks: list[asyncio.Task[Any]] = []
    tap: DtlsTap | None = None
    label = f"{py_kind}-{stack}-{direction}"
    what = f"{py_kind} <-> {stack} ({direction})"
    try:
        start = time.monotonic()
        tasks.append(asyncio.create_task(feed_candidates(node, py, remote_set)))
        if direction == "python-offers":
            channel = py.pc.createDataChannel(label, protocol="echo")
            await py.pc.setLocalDescription(await py.pc.createOffer())
            if py_kind == "rtcpeer":
                tap = DtlsTap()
                tap.install(py.pc)
            node.send({"type": "offer", "sdp": py.pc.localDescription.sdp})
            tasks.append(asyncio.create_task(py.forward_candidates(node)))
            answer = await node.next("answer")
            if answer_after_first_dtls:
                assert tap is not None
                try:
                    await asyncio.wait_for(tap.first_dtls.wait(), TIMEOUT)
                except TimeoutError:
                    raise AssertionError(
                        f"{what}: the answerer sent no DTLS before it had rtcpeer's answer "
                        "applied, so the early-ClientHello case was not reproduced"
                    ) from None
            await py.pc.setRemoteDescription(py.description(answer["sdp"], "answer"))
            remote_set.set()
        else:
            node.send({"type": "create-offer", "label": label, "protocol": "echo"})
            offer = await node.next("offer")
            await py.pc.setRemoteDescription(py.description(offer["sdp"], "offer"))
            remote_set.set()
            await py.pc.setLocalDescription(await py.pc.createAnswer())
            if py_kind == "rtcpeer":
                tap = DtlsTap()
                tap.install(py.pc)
            node.send({"type": "answer", "sdp": py.pc.localDescription.sdp})
            tasks.append(asyncio.create_task(py.forward_candidates(node)))
            try:
                channel = await asyncio.wait_for(py.remote_channels.get(), TIMEOUT)
            except TimeoutError:
                raise AssertionError(
                    f"{what}: no datachannel event in {TIMEOUT} s; " + node.diagnostics()
                ) from None
        await wait_channel_open(channel, what + "; " + node.diagnostics())
        opened = await node.next("open")
        open_seconds = time.monotonic() - start
        assert opened["label"] == label
        hellos = None if tap is None else (tap.client_hellos, tap.client_hellos_sent)
        return Session(py, node, channel, label, open_seconds, tap, hellos, tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await py.close()
        await node.close()
        raise

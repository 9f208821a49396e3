"""Headless Chromium as a WebRTC peer for interop tests, driven through Playwright.

Usage (inside ``tools/netns-run``; see below)::

    from tests.interop.browser import chromium_peer

    async with chromium_peer() as browser:
        await browser.create({"iceServers": []})
        await browser.create_data_channel("chat", ordered=True)
        offer = await browser.set_local_description(await browser.create_offer())
        ...                                  # hand `offer` to the Python peer
        async for cand in browser.local_candidates():   # trickled, None ends
            ...
        await browser.wait_channel_open("chat")
        await browser.send("chat", b"\\x00\\x01")
        msg = await browser.receive("chat")  # str or bytes, as sent by the other side

Design:

* The page (``static/peer.html`` + ``peer.js``) is served by Playwright request
  interception (``page.route``) at ``http://127.0.0.1/...``: no listening socket, no
  port to pick, and ``http://127.0.0.1`` is a secure context, which WebRTC needs
  (checked at start-up: ``window.isSecureContext`` must be true).
* Calls Python -> JS are ``page.evaluate("rtc.method(...)")``. Events JS -> Python
  (candidates, channel open/close/message, state changes) are pushed through an exposed
  binding with a sequence number; Python restores their order and files them into
  asyncio queues, so waiting never polls.
* Binary messages cross the bridge as base64 (a 256 KiB message is ~350 KB of text,
  a few ms each way); text messages cross as JSON strings, so str vs bytes is kept.
* Chromium is launched from ``/usr/bin/chromium`` (never ``playwright install``) with a
  fresh temporary user-data-dir. If it does not start, ``BrowserStartError`` is raised
  with Playwright's message (which includes Chromium's stderr): tests fail, never skip.
* Traffic rule: the harness refuses to run in the machine's initial network namespace
  (WebRTC would gather and probe the real interface addresses). Run the tests through
  ``tools/netns-run``, which provides lo + 10.99.0.1/24 in a private namespace.

Chromium quirks handled here:

* By default Chromium hides host candidate addresses behind random ``*.local`` mDNS names
  unless the page holds a getUserMedia permission. Nothing inside the test namespace
  answers mDNS, so by default the harness launches Chromium with
  ``--disable-features=WebRtcHideLocalIpsWithMdns`` (real ``10.99.0.1`` candidates).
  Pass ``hide_ips_with_mdns=True`` to test the real-world mDNS behaviour instead.
* ``pc.close()`` fires no ``connectionstatechange`` in Chromium (as the spec says), so
  ``close()`` records the ``closed`` state itself.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_PATH = "/usr/bin/chromium"
STATIC_DIR = Path(__file__).resolve().parent / "static"
PAGE_ORIGIN = "http://127.0.0.1"
PAGE_URL = f"{PAGE_ORIGIN}/peer.html"  # the data-channel page; media.html adds media.js

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]
MDNS_OFF_FLAG = "--disable-features=WebRtcHideLocalIpsWithMdns"

DEFAULT_TIMEOUT = 20.0

Message = str | bytes


class BrowserStartError(RuntimeError):
    """Chromium (or the harness page) could not be started; the message says why."""


class BrowserPeerError(RuntimeError):
    """A call into the page's RTCPeerConnection failed (the JS error is in the message)."""


def assert_private_netns() -> None:
    """Raise unless we run outside the machine's initial network namespace.

    WebRTC gathers candidates on every interface and sends connectivity checks to them;
    the machine's rule is that tests only send traffic inside namespaces they create.
    """
    try:
        mine = os.readlink("/proc/self/ns/net")
        init = os.readlink("/proc/1/ns/net")
    except OSError as exc:  # pragma: no cover - no procfs, or not allowed to look
        if os.environ.get("RTCPEER_NETNS") == "1":
            return
        raise BrowserStartError(
            f"cannot tell which network namespace this is ({exc}); run the tests through "
            "tools/netns-run"
        ) from exc
    if mine == init:
        raise BrowserStartError(
            "refusing to run WebRTC against Chromium in the machine's real network namespace "
            "(it would use the real interface addresses); run the tests through "
            "tools/netns-run, e.g. `tools/netns-run /work/venv/bin/pytest -m chromium`"
        )


def _encode(data: Message) -> tuple[str, bool]:
    if isinstance(data, str):
        return data, False
    if isinstance(data, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(data)).decode("ascii"), True
    raise TypeError(f"data must be str or bytes, not {type(data).__name__}")


@dataclass
class ChannelState:
    """What Python knows about one data channel of the browser's peer connection."""

    label: str
    origin: str  # "local" (created by the page) or "remote" (from ondatachannel)
    id: int | None = None
    opened: asyncio.Event = field(default_factory=asyncio.Event)
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    messages: asyncio.Queue[Message] = field(default_factory=asyncio.Queue)
    open_info: dict[str, Any] | None = None
    opened_at: float | None = None  # time.monotonic()
    errors: list[str] = field(default_factory=list)


class BrowserPeer:
    """Python handle on one ``RTCPeerConnection`` living in a Chromium page."""

    def __init__(self, page: Any, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.page = page
        self.timeout = timeout
        self.events: list[dict[str, Any]] = []  # every event, in page order
        self.channels: dict[str, ChannelState] = {}
        self.candidates: list[dict[str, Any] | None] = []  # local, in order; None = end
        self.states: dict[str, str] = {}
        self.page_loaded_at: float | None = None  # time.monotonic() when page was ready
        self.user_agent = ""
        self.console: list[str] = []  # page console lines and page errors
        self._next_seq = 0
        self._pending: dict[int, dict[str, Any]] = {}
        self._candidate_queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._channel_waiters: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self._state_reached: dict[tuple[str, str], asyncio.Event] = defaultdict(asyncio.Event)
        self._errors: list[str] = []

    # -- event intake (JS -> Python) ------------------------------------------------

    def _on_event(self, event: dict[str, Any]) -> None:
        seq = int(event["seq"])
        self._pending[seq] = event
        while self._next_seq in self._pending:
            self._dispatch(self._pending.pop(self._next_seq))
            self._next_seq += 1

    def _dispatch(self, ev: dict[str, Any]) -> None:
        kind = ev["type"]
        if kind == "message":
            data: Message = base64.b64decode(ev["data"]) if ev["binary"] else ev["data"]
            self._channel(ev["label"]).messages.put_nowait(data)
            self.events.append({k: v for k, v in ev.items() if k != "data"} | {"size": len(data)})
            return
        self.events.append(ev)
        if kind == "icecandidate":
            cand = ev["candidate"]
            self.candidates.append(cand)
            self._candidate_queue.put_nowait(cand)
        elif kind == "channel":
            ch = self._channel(ev["label"], origin=ev["origin"])
            ch.id = ev.get("id")
            self._channel_waiters[ev["label"]].set()
        elif kind == "channelopen":
            ch = self._channel(ev["label"])
            ch.id = ev.get("id")
            ch.open_info = ev
            ch.opened_at = time.monotonic()
            ch.opened.set()
        elif kind == "channelclose":
            self._channel(ev["label"]).closed.set()
        elif kind == "channelerror":
            self._channel(ev["label"]).errors.append(ev["message"])
        elif kind.endswith("statechange"):
            self._set_state(kind.removesuffix("statechange"), ev["state"])
        elif kind == "error":
            self._errors.append(ev["message"])

    def _set_state(self, which: str, state: str) -> None:
        self.states[which] = state
        self._state_reached[(which, state)].set()

    def _channel(self, label: str, origin: str = "local") -> ChannelState:
        ch = self.channels.get(label)
        if ch is None:
            ch = self.channels[label] = ChannelState(label=label, origin=origin)
        return ch

    # -- plumbing --------------------------------------------------------------------

    async def _call(self, method: str, *args: Any) -> Any:
        expr = "([m, a]) => window.rtc[m](...a)"
        try:
            return await self.page.evaluate(expr, [method, list(args)])
        except Exception as exc:  # playwright.Error carries the JS message
            raise BrowserPeerError(f"rtc.{method} failed in Chromium: {exc}") from exc

    async def evaluate(self, expression: str, arg: Any = None) -> Any:
        """Escape hatch: run arbitrary JS in the page (``window.rtc`` is the API)."""
        return await self.page.evaluate(expression, arg)

    # -- RTCPeerConnection API -----------------------------------------------------------

    async def create(self, config: dict[str, Any] | None = None) -> None:
        """``new RTCPeerConnection(config)`` (W3C dict, e.g. ``{"iceServers": []}``)."""
        await self._call("create", config or {})

    async def create_data_channel(self, label: str, **init: Any) -> dict[str, Any]:
        """``pc.createDataChannel(label, init)``; init uses W3C names
        (``ordered``, ``maxRetransmits``, ``maxPacketLifeTime``, ``protocol``,
        ``negotiated``, ``id``)."""
        self._channel(label, origin="local")
        info: dict[str, Any] = await self._call("createDataChannel", label, init)
        return info

    async def create_offer(self, **options: Any) -> dict[str, str]:
        desc: dict[str, str] = await self._call("createOffer", options)
        return desc

    async def create_answer(self, **options: Any) -> dict[str, str]:
        desc: dict[str, str] = await self._call("createAnswer", options)
        return desc

    async def set_local_description(self, desc: dict[str, str] | None = None) -> dict[str, str]:
        """Apply ``desc`` (or an implicit offer/answer when None); returns
        ``pc.localDescription`` as ``{"type", "sdp"}``."""
        result: dict[str, str] = await self._call("setLocalDescription", desc)
        return result

    async def set_remote_description(self, desc: dict[str, str]) -> None:
        await self._call("setRemoteDescription", {"type": desc["type"], "sdp": desc["sdp"]})

    async def add_ice_candidate(self, candidate: dict[str, Any] | str | None) -> None:
        """Add a remote candidate: a ``{"candidate", "sdpMid", "sdpMLineIndex"}`` dict (or
        its JSON text); ``None`` signals end-of-candidates."""
        if isinstance(candidate, str):
            candidate = json.loads(candidate)
        await self._call("addIceCandidate", candidate)

    async def local_description(self) -> dict[str, str] | None:
        result: dict[str, str] | None = await self._call("localDescription")
        return result

    async def remote_description(self) -> dict[str, str] | None:
        result: dict[str, str] | None = await self._call("remoteDescription")
        return result

    async def next_candidate(self, timeout: float | None = None) -> dict[str, Any] | None:
        """The next trickled local candidate (``RTCIceCandidate.toJSON()`` dict), or
        ``None`` for end-of-candidates. Each candidate is returned once."""
        return await asyncio.wait_for(self._candidate_queue.get(), timeout or self.timeout)

    async def local_candidates(self, timeout: float | None = None) -> AsyncIterator[dict[str, Any]]:
        """Async-iterate trickled local candidates until end-of-candidates."""
        while True:
            cand = await self.next_candidate(timeout)
            if cand is None:
                return
            yield cand

    async def wait_gathering_complete(self, timeout: float | None = None) -> None:
        await self.wait_state("icegathering", "complete", timeout)

    async def wait_datachannel(self, label: str, timeout: float | None = None) -> ChannelState:
        """Wait until the page knows a channel with this label (local or remote)."""
        await asyncio.wait_for(self._channel_waiters[label].wait(), timeout or self.timeout)
        return self.channels[label]

    async def wait_channel_open(self, label: str, timeout: float | None = None) -> ChannelState:
        ch = self._channel(label, origin="remote")
        try:
            await asyncio.wait_for(ch.opened.wait(), timeout or self.timeout)
        except TimeoutError:
            raise TimeoutError(
                f"browser channel {label!r} did not open; states={self.states}, "
                f"channel errors={ch.errors}"
            ) from None
        return ch

    async def wait_channel_closed(self, label: str, timeout: float | None = None) -> ChannelState:
        ch = self._channel(label)
        await asyncio.wait_for(ch.closed.wait(), timeout or self.timeout)
        return ch

    async def send(self, label: str, data: Message) -> int:
        """``channel.send(data)``: str is sent as a text message, bytes as binary.
        Returns the channel's bufferedAmount after the call."""
        payload, is_binary = _encode(data)
        buffered: int = await self._call("send", label, payload, is_binary)
        return buffered

    async def receive(self, label: str, timeout: float | None = None) -> Message:
        """Next message received on the channel: str for text, bytes for binary."""
        ch = self._channel(label, origin="remote")
        try:
            return await asyncio.wait_for(ch.messages.get(), timeout or self.timeout)
        except TimeoutError:
            raise TimeoutError(
                f"no message on browser channel {label!r}; states={self.states}"
            ) from None

    async def channel_info(self, label: str) -> dict[str, Any] | None:
        """readyState, id, ordered, protocol, bufferedAmount... of the JS channel."""
        info: dict[str, Any] | None = await self._call("channelInfo", label)
        return info

    async def close_channel(self, label: str) -> None:
        await self._call("closeChannel", label)

    async def connection_state(self) -> str:
        return str((await self._call("states"))["connectionState"])

    async def all_states(self) -> dict[str, Any]:
        """connection/iceConnection/iceGathering/signaling states + sctp.maxMessageSize."""
        result: dict[str, Any] = await self._call("states")
        return result

    async def wait_state(self, which: str, state: str, timeout: float | None = None) -> None:
        """Wait until ``<which>statechange`` reports ``state`` (or has already reported it
        at some point); which is one of ``connection``, ``iceconnection``,
        ``icegathering``, ``signaling``."""

        if self.states.get(which) == state:
            return
        try:
            await asyncio.wait_for(
                self._state_reached[(which, state)].wait(), timeout or self.timeout
            )
        except TimeoutError:
            raise TimeoutError(
                f"browser {which} state never became {state!r}; states={self.states}"
            ) from None

    async def wait_connected(self, timeout: float | None = None) -> None:
        await self.wait_state("connection", "connected", timeout)

    async def get_stats(self) -> list[dict[str, Any]]:
        """``pc.getStats()`` as a list of plain dicts (each has ``type`` and ``id``)."""
        stats: list[dict[str, Any]] = await self._call("getStats")
        return stats

    async def selected_candidate_pair(self) -> dict[str, Any] | None:
        """The transport's selected candidate pair, with ``local``/``remote`` candidate
        stats inlined, or None."""
        stats = await self.get_stats()
        by_id = {s["id"]: s for s in stats}
        for s in stats:
            if s["type"] == "transport" and s.get("selectedCandidatePairId"):
                pair = dict(by_id[s["selectedCandidatePairId"]])
                pair["local"] = by_id.get(pair.get("localCandidateId", ""))
                pair["remote"] = by_id.get(pair.get("remoteCandidateId", ""))
                return pair
        return None

    # -- additions for scenario tests ----------------------------------------------------

    async def restart_ice(self) -> None:
        """``pc.restartIce()`` (the next offer carries new ICE credentials)."""
        await self._call("restartIce")

    async def create_data_channels(self, labels: list[str], **init: Any) -> list[int | None]:
        """Create several channels in one JS task ("at once"); returns their ids."""
        for label in labels:
            self._channel(label, origin="local")
        ids: list[int | None] = await self._call("createDataChannels", labels, init)
        return ids

    async def count_messages(self, label: str, keep_texts: bool = False) -> None:
        """From now on, tally messages on ``label`` in the page instead of forwarding them
        to Python (``receive`` sees none of them); read with ``counter``/``wait_counted``.
        Each call restarts the count from zero.
        ``keep_texts`` also keeps text messages, in arrival order."""
        await self._call("countMessages", label, keep_texts)

    async def counter(self, label: str) -> dict[str, Any]:
        """``{"bytes", "messages", "texts"}`` counted so far on ``label``."""
        result: dict[str, Any] | None = await self._call("counter", label)
        if result is None:
            raise BrowserPeerError(f"count_messages({label!r}) was never called")
        return result

    async def wait_counted(
        self, label: str, total_bytes: int, timeout: float | None = None
    ) -> dict[str, Any]:
        """Wait (in the page) until ``total_bytes`` have been counted on ``label``."""
        ms = int((timeout or self.timeout) * 1000)
        result: dict[str, Any] = await self._call("waitCounted", label, total_bytes, ms)
        return result

    async def send_bulk(
        self,
        label: str,
        total: int,
        chunk: int = 16 * 1024,
        low_threshold: int = 256 * 1024,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Send ``total`` bytes as ``chunk``-byte binary messages, paced by
        ``bufferedAmountLowThreshold``/``bufferedamountlow`` in the page. Returns
        ``{"sent", "lowEvents", "maxBuffered"}`` once everything is queued."""
        ms = int((timeout or self.timeout) * 1000)
        result: dict[str, Any] = await self._call(
            "sendBulk", label, total, chunk, low_threshold, ms
        )
        return result

    async def start_ticker(self, label: str, interval_ms: int, prefix: str = "") -> None:
        """Send ``f"{prefix}{n}"`` (n = 0, 1, ...) on ``label`` every ``interval_ms``."""
        await self._call("startTicker", label, interval_ms, prefix)

    async def stop_ticker(self, label: str) -> dict[str, Any]:
        """Stop the ticker; returns ``{"sent": n, "errors": [...]}``."""
        result: dict[str, Any] = await self._call("stopTicker", label)
        return result

    async def close(self) -> None:
        """``pc.close()`` (Chromium fires no state change for it; recorded here)."""
        if self.page.is_closed():
            return
        with contextlib.suppress(BrowserPeerError):
            await self._call("close")
        self._set_state("connection", "closed")


@contextlib.asynccontextmanager
async def chromium_peer(
    *,
    hide_ips_with_mdns: bool = False,
    extra_flags: list[str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    require_private_netns: bool = True,
    page: str = "peer.html",
    peer_class: type[BrowserPeer] | None = None,
) -> AsyncIterator[BrowserPeer]:
    """Launch headless Chromium, open the harness page, yield a ``BrowserPeer``.

    ``page`` is a file in ``static/``; ``peer_class`` is the Python handle's class
    (a ``BrowserPeer`` subclass for pages that extend ``window.rtc``, see ``browser_media.py``).
    Everything (page, browser, temp profile, Playwright driver) is torn down on exit.
    Raises ``BrowserStartError`` with the reason if Chromium or the page does not start.
    """
    if require_private_netns:
        assert_private_netns()
    if not os.access(CHROMIUM_PATH, os.X_OK):
        raise BrowserStartError(
            f"{CHROMIUM_PATH} not found or not executable (apt-get install -y chromium)"
        )
    try:
        from playwright.async_api import async_playwright
    except ImportError as exc:
        raise BrowserStartError(f"playwright is not installed: {exc}") from exc

    flags = list(CHROMIUM_FLAGS)
    if not hide_ips_with_mdns:
        flags.append(MDNS_OFF_FLAG)
    else:
        # A granted camera/microphone permission makes Chromium reveal host addresses, so
        # the real-world mDNS behaviour needs the media flags off and the feature on.
        flags = [f for f in flags if "media-stream" not in f]
        flags.append("--enable-features=WebRtcHideLocalIpsWithMdns")
    flags += extra_flags or []

    profile = tempfile.mkdtemp(prefix="rtcpeer-chromium-")
    try:
        async with async_playwright() as pw:
            try:
                context = await pw.chromium.launch_persistent_context(
                    profile,
                    executable_path=CHROMIUM_PATH,
                    headless=True,
                    args=flags,
                    timeout=timeout * 1000,
                )
            except Exception as exc:
                raise BrowserStartError(f"Chromium failed to start: {exc}") from exc
            try:
                peer = await _open_page(
                    context, timeout, f"{PAGE_ORIGIN}/{page}", peer_class or BrowserPeer
                )
                try:
                    yield peer
                finally:
                    with contextlib.suppress(Exception):
                        await peer.close()
            finally:
                with contextlib.suppress(Exception):
                    await context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


async def _open_page(
    context: Any, timeout: float, url: str, peer_class: type[BrowserPeer]
) -> BrowserPeer:
    page = context.pages[0] if context.pages else await context.new_page()
    peer = peer_class(page, timeout=timeout)
    console: list[str] = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda err: console.append(f"pageerror: {err}"))

    async def serve(route: Any) -> None:
        name = route.request.url.removeprefix(PAGE_ORIGIN + "/").split("?")[0]
        path = (STATIC_DIR / name).resolve()
        if path.parent != STATIC_DIR or not path.is_file():
            await route.fulfill(status=404, body="not found")
            return
        ctype = "text/html" if path.suffix == ".html" else "application/javascript"
        await route.fulfill(status=200, body=path.read_bytes(), content_type=ctype)

    await page.route(f"{PAGE_ORIGIN}/**", serve)
    await page.expose_function("__rtcpeerEvent", peer._on_event)
    try:
        await page.goto(url, timeout=timeout * 1000)
        await page.wait_for_function("window.rtc && window.rtc.ready", timeout=timeout * 1000)
        info = await page.evaluate("window.rtc.info()")
    except Exception as exc:
        raise BrowserStartError(f"harness page did not load: {exc}; console: {console}") from exc
    if not info.get("isSecureContext"):
        raise BrowserStartError(f"harness page is not a secure context: {info}")
    peer.page_loaded_at = time.monotonic()
    peer.user_agent = info.get("userAgent", "")
    peer.console = console
    return peer

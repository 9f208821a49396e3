"""Headless Chromium as a *media* peer: the page sends and reads back content-checkable media.

Built on ``browser.py`` (same launch, page serving and event bridge); the page is
``static/media.html`` = ``peer.js`` + ``media.js``. Usage (inside ``tools/netns-run``)::

    async with chromium_media_peer() as browser:
        await browser.create({"iceServers": []})
        await browser.add_media(video="sendrecv", audio="sendrecv", video_codecs=["VP8"])
        offer = await browser.set_local_description(await browser.create_offer())
        ...                                         # signalling as with BrowserPeer
        await browser.wait_received_frames(30)
        numbers = await browser.received_frame_numbers()
        stats = await browser.stats()               # inbound-rtp / outbound-rtp rows

What the page sends: a 640x480 ``canvas.captureStream(30)`` with the frame number drawn each
frame in the pattern of ``rtcpeer.testing.media_pattern`` (its counter increments per drawn
frame), and an 880 Hz ``OscillatorNode`` through ``createMediaStreamDestination()``. What it
reads: every presented remote video frame (``requestVideoFrameCallback``) is drawn to a canvas
and its blocks read with ``getImageData`` by the same rule as ``read_frame_number``; remote
audio plays in an ``<audio>`` element (its inbound-rtp ``totalAudioEnergy`` shows sound).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, Literal

try:
    from .browser import BrowserPeer, BrowserPeerError, chromium_peer
except ImportError:
    from browser import BrowserPeer, BrowserPeerError, chromium_peer  # type: ignore[no-redef]

Direction = Literal["sendrecv", "sendonly", "recvonly"]

AUTOPLAY_FLAG = "--autoplay-policy=no-user-gesture-required"


class MediaBrowserPeer(BrowserPeer):
    """A ``BrowserPeer`` whose page also sends and reads back media (``media.js``)."""

    def __init__(self, page: Any, *, timeout: float) -> None:
        super().__init__(page, timeout=timeout)
        self.tracks: list[dict[str, Any]] = []
        self._track_events: dict[str, asyncio.Event] = {
            "audio": asyncio.Event(),
            "video": asyncio.Event(),
        }

    def _dispatch(self, ev: dict[str, Any]) -> None:
        super()._dispatch(ev)
        if ev["type"] == "track":
            self.tracks.append(ev)
            self._track_events[ev["kind"]].set()

    async def add_media(
        self,
        *,
        video: Direction | None = None,
        audio: Direction | None = None,
        video_codecs: list[str] | None = None,
        audio_codecs: list[str] | None = None,
        tone_hz: float = 880.0,
    ) -> list[dict[str, Any]]:
        """Add (offerer) or take over (answerer, after the remote offer) one transceiver per
        kind given, with the pattern / tone as its track when the direction sends, and
        ``setCodecPreferences`` from codec names (``"VP8"``, ``"VP9"``, ``"H264"`` = OpenH264
        42e01f, ``"AV1"``, ``"opus"``). Returns ``[{"kind", "mid", "direction"}]``."""
        opts = {
            "video": video,
            "audio": audio,
            "videoCodecs": video_codecs,
            "audioCodecs": audio_codecs,
            "toneHz": tone_hz,
        }
        result: list[dict[str, Any]] = await self._call("addMedia", opts)
        return result

    async def discard(self) -> None:
        """Close and forget the page's peer connection; ``create`` may then be called again
        (for offer-only checks; events of the old connection stay in ``events``)."""
        await self._call("discard")

    async def codec_capabilities(self, kind: str) -> list[dict[str, Any]]:
        """``RTCRtpReceiver.getCapabilities(kind).codecs``."""
        result: list[dict[str, Any]] = await self._call("codecCapabilities", kind)
        return result

    async def has_codec(self, kind: str, name: str) -> bool:
        mime = f"{kind}/{name}".lower()
        return any(c["mimeType"].lower() == mime for c in await self.codec_capabilities(kind))

    async def stats(self) -> list[dict[str, Any]]:
        """One dict per inbound-rtp / outbound-rtp: ``type``, ``kind``, ``codec`` (mimeType),
        ``codecFmtp`` and the counters Chromium reports (framesDecoded, framesReceived,
        freezeCount, nackCount, pliCount, packetsLost, totalAudioEnergy, totalSamplesReceived,
        concealedSamples, frameWidth/Height, packets/bytes, encoder/decoder implementation...).
        inbound-rtp appears only once the first packets arrived."""
        result: list[dict[str, Any]] = await self._call("mediaStats")
        return result

    async def rtp_stats(
        self, direction: Literal["inbound", "outbound"], kind: str
    ) -> dict[str, Any]:
        """The one ``{direction}-rtp`` row of ``kind``; raises if there is none (yet)."""
        rows = [s for s in await self.stats() if s["type"] == f"{direction}-rtp"]
        mine = [s for s in rows if s["kind"] == kind]
        if len(mine) != 1:
            raise BrowserPeerError(f"expected one {direction}-rtp {kind} row, got {rows}")
        return mine[0]

    async def wait_rtp_stats(
        self, direction: Literal["inbound", "outbound"], kind: str, timeout: float | None = None
    ) -> dict[str, Any]:
        """Like ``rtp_stats`` but waits (bounded, 100 ms steps) for the row to appear."""
        deadline = asyncio.get_running_loop().time() + (timeout or self.timeout)
        while True:
            try:
                return await self.rtp_stats(direction, kind)
            except BrowserPeerError:
                if asyncio.get_running_loop().time() > deadline:
                    raise
            await asyncio.sleep(0.1)

    async def received_video(self) -> dict[str, Any]:
        """``{"numbers", "unreadable", "presented", "size": [w, h], "tracks"}`` so far."""
        result: dict[str, Any] = await self._call("receivedVideo")
        return result

    async def received_frame_numbers(self) -> list[int]:
        """Frame numbers read from the presented remote video frames, in order (the last
        4096); unreadable frames are left out (counted in ``received_video()``)."""
        return list((await self.received_video())["numbers"])

    async def wait_received_frames(self, count: int, timeout: float | None = None) -> int:
        """Wait (in the page) until ``count`` readable frames were recorded."""
        ms = int((timeout or self.timeout) * 1000)
        result: int = await self._call("waitReceivedFrames", count, ms)
        return result

    async def wait_track(self, kind: str, timeout: float | None = None) -> None:
        """Wait for the page's ``track`` event of ``kind``."""
        try:
            await asyncio.wait_for(self._track_events[kind].wait(), timeout or self.timeout)
        except TimeoutError:
            raise TimeoutError(
                f"no remote {kind} track in the page; tracks={self.tracks}"
            ) from None

    async def frames_drawn(self) -> int:
        """How many pattern frames the page's canvas has drawn (= the next frame number)."""
        result: int = await self._call("framesDrawn")
        return result

    async def stop_sources(self) -> int:
        """Stop the canvas timer and the oscillator; returns the frames drawn."""
        result: int = await self._call("stopSources")
        return result


@contextlib.asynccontextmanager
async def chromium_media_peer(
    *, extra_flags: list[str] | None = None, **kwargs: Any
) -> AsyncIterator[MediaBrowserPeer]:
    """``chromium_peer`` on the media page, with autoplay allowed (remote audio plays
    without a user gesture). Keyword arguments go to ``chromium_peer``."""
    flags = [AUTOPLAY_FLAG, *(extra_flags or [])]
    async with chromium_peer(
        page="media.html", peer_class=MediaBrowserPeer, extra_flags=flags, **kwargs
    ) as peer:
        assert isinstance(peer, MediaBrowserPeer)
        yield peer

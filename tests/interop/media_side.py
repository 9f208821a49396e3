"""The Python side of the Chromium media interop tests: a small adapter around one Python
WebRTC stack, so that the same tests run against aiortc now and against rtcpeer later.

``PythonMediaPeer`` is what the tests (and ``media_session.py``) use. ``AiortcMediaPeer`` is
the aiortc implementation; an rtcpeer one is the same class over ``rtcpeer``'s
``RTCPeerConnection`` and ``rtcpeer.mediastreams`` (whose tracks follow aiortc's pull model),
plus forwarding of rtcpeer's trickled candidates in ``local_candidates``.

Both send the content of ``rtcpeer.testing.media_pattern``: a VideoStreamTrack subclass
drawing the frame number (incremented per frame) and an AudioStreamTrack subclass playing an
880 Hz sine; both read what they receive: every decoded video frame's number, and the audio
frames for ``tone_frequency``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import types
from collections.abc import AsyncIterator
from typing import Any, Literal, Protocol

import aiortc
import aiortc.mediastreams
import av
from aiortc.sdp import candidate_from_sdp

import rtcpeer
import rtcpeer.mediastreams
from rtcpeer.testing.media_pattern import (
    audio_frames_to_mono,
    draw_frame_number,
    read_frame_number,
    tone_frames,
)

Direction = Literal["sendrecv", "sendonly", "recvonly"]
Samples = Any  # numpy float64 array (mono)

MAX_AUDIO_FRAMES = 500  # the last 10 s of 20 ms frames


class PythonMediaPeer(Protocol):
    """One Python peer connection with pattern/tone sources and content-reading sinks."""

    name: str
    video_numbers: list[int]  # frame numbers of the decoded frames, in order
    unreadable_frames: int  # decoded frames whose pattern could not be read
    video_sizes: set[tuple[int, int]]  # (width, height) of the decoded frames

    def add_media(
        self,
        *,
        video: Direction | None = None,
        audio: Direction | None = None,
        video_codecs: list[str] | None = None,
        audio_codecs: list[str] | None = None,
    ) -> None:
        """Offerer: add one transceiver per kind given. Answerer (after ``accept_offer``):
        take the offer's transceiver of that kind. Sending directions attach the pattern /
        tone tracks; codec names (``"VP8"``, ``"H264"``, ``"opus"``) become the
        transceiver's codec preferences (in that order, RTX kept)."""

    async def create_offer(self) -> str:
        """createOffer + setLocalDescription; the local offer's SDP."""

    async def accept_offer(self, sdp: str) -> None:
        """setRemoteDescription(offer)."""

    async def create_answer(self) -> str:
        """createAnswer + setLocalDescription; the local answer's SDP."""

    async def accept_answer(self, sdp: str) -> None:
        """setRemoteDescription(answer)."""

    async def add_remote_candidate(self, candidate: dict[str, Any] | None) -> None:
        """A trickled ``RTCIceCandidate.toJSON()`` dict; ``None`` is end-of-candidates."""

    def local_candidates(self) -> AsyncIterator[dict[str, Any] | None]:
        """Trickled local candidates as JSON dicts, ending with ``None`` (a stack that puts
        every candidate into its SDP yields only ``None``)."""

    def connection_state(self) -> str: ...

    def received_audio(self) -> tuple[Samples, int]:
        """The received audio so far (up to the last 10 s) as mono samples and their rate."""

    def received_audio_seconds(self) -> float:
        """How much audio has been received (cheap; for waiting)."""

    def frames_sent(self) -> int:
        """Pattern frames handed to the sender so far (0 if not sending video)."""

    async def close(self) -> None: ...


def make_pattern_tracks(stack: types.ModuleType, tone_hz: float = 880.0) -> tuple[type, type]:
    """``(PatternVideoTrack, ToneAudioTrack)`` built on ``stack``'s ``VideoStreamTrack`` and
    ``AudioStreamTrack`` (``aiortc.mediastreams`` or ``rtcpeer.mediastreams``)."""

    class PatternVideoTrack(stack.VideoStreamTrack):  # type: ignore[misc, name-defined]
        """640x480 at 30 fps; frame k shows frame number k."""

        def __init__(self) -> None:
            super().__init__()
            self.count = 0

        async def recv(self) -> av.VideoFrame:
            pts, time_base = await self.next_timestamp()
            frame = draw_frame_number(self.count)
            self.count += 1
            frame.pts = pts
            frame.time_base = time_base
            return frame

    class ToneAudioTrack(stack.AudioStreamTrack):  # type: ignore[misc, name-defined]
        """A ``tone_hz`` sine, 20 ms mono s16 frames at 48 kHz, paced on the loop clock."""

        def __init__(self) -> None:
            super().__init__()
            self._frames = tone_frames(tone_hz)
            self._start: float | None = None

        async def recv(self) -> av.AudioFrame:
            if self.readyState != "live":
                raise stack.MediaStreamError
            frame = next(self._frames)
            loop = asyncio.get_running_loop()
            if self._start is None:
                self._start = loop.time()
            delay = self._start + frame.pts / frame.sample_rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            return frame

    return PatternVideoTrack, ToneAudioTrack


AiortcVideoTrack, AiortcAudioTrack = make_pattern_tracks(aiortc.mediastreams)


def pick_codecs(available: list[Any], kind: str, names: list[str]) -> list[Any]:
    """Capability entries (objects with ``mimeType`` and ``parameters``) for codec names, in
    order; H264 means profile-level-id 42e01f with packetization-mode 1; video adds RTX."""
    chosen: list[Any] = []
    for name in names:
        mime = f"{kind}/{name}".lower()
        found = [c for c in available if c.mimeType.lower() == mime]
        if name.upper() == "H264":
            found = [
                c
                for c in found
                if str(c.parameters.get("profile-level-id", "")).lower() == "42e01f"
                and str(c.parameters.get("packetization-mode", "")) == "1"
            ]
        if not found:
            raise ValueError(f"no {name} among {[c.mimeType for c in available]}")
        chosen += found
    if kind == "video":
        chosen += [c for c in available if c.mimeType.lower() == "video/rtx"]
    return chosen


class AiortcMediaPeer:
    """``PythonMediaPeer`` over aiortc."""

    name = "aiortc"

    def __init__(self) -> None:
        self.pc = aiortc.RTCPeerConnection(aiortc.RTCConfiguration(iceServers=[]))
        self.video_numbers: list[int] = []
        self.unreadable_frames = 0
        self.video_sizes: set[tuple[int, int]] = set()
        self.audio_frames: collections.deque[av.AudioFrame] = collections.deque(
            maxlen=MAX_AUDIO_FRAMES
        )
        self.remote_tracks: list[Any] = []
        self.sent_video: Any = None
        self._sinks: list[asyncio.Task[None]] = []
        self.pc.on("track", self._on_track)

    def _on_track(self, track: Any) -> None:
        self.remote_tracks.append(track)
        sink = self._read_video if track.kind == "video" else self._read_audio
        self._sinks.append(asyncio.ensure_future(sink(track)))

    async def _read_video(self, track: Any) -> None:
        with contextlib.suppress(aiortc.mediastreams.MediaStreamError):
            while True:
                frame = await track.recv()
                self.video_sizes.add((frame.width, frame.height))
                n = read_frame_number(frame)
                if n is None:
                    self.unreadable_frames += 1
                else:
                    self.video_numbers.append(n)

    async def _read_audio(self, track: Any) -> None:
        with contextlib.suppress(aiortc.mediastreams.MediaStreamError):
            while True:
                self.audio_frames.append(await track.recv())

    def add_media(
        self,
        *,
        video: Direction | None = None,
        audio: Direction | None = None,
        video_codecs: list[str] | None = None,
        audio_codecs: list[str] | None = None,
    ) -> None:
        for kind, direction, codecs in (
            ("video", video, video_codecs),
            ("audio", audio, audio_codecs),
        ):
            if direction is None:
                continue
            track = None
            if direction in ("sendrecv", "sendonly"):
                track = AiortcVideoTrack() if kind == "video" else AiortcAudioTrack()
                if kind == "video":
                    self.sent_video = track
            free = [
                t
                for t in self.pc.getTransceivers()
                if t.kind == kind and t.sender.track is None and not t.stopped
            ]
            if free:
                transceiver = free[0]
                transceiver.sender.replaceTrack(track)
                transceiver.direction = direction
            else:
                transceiver = self.pc.addTransceiver(track or kind, direction=direction)
            if codecs:
                available = aiortc.RTCRtpSender.getCapabilities(kind).codecs
                transceiver.setCodecPreferences(pick_codecs(available, kind, codecs))

    async def create_offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)

    async def accept_offer(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(aiortc.RTCSessionDescription(sdp=sdp, type="offer"))

    async def create_answer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return str(self.pc.localDescription.sdp)

    async def accept_answer(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(aiortc.RTCSessionDescription(sdp=sdp, type="answer"))

    async def add_remote_candidate(self, candidate: dict[str, Any] | None) -> None:
        if candidate is None:
            await self.pc.addIceCandidate(None)
            return
        parsed = candidate_from_sdp(candidate["candidate"].split(":", 1)[1])
        parsed.sdpMid = candidate.get("sdpMid")
        parsed.sdpMLineIndex = candidate.get("sdpMLineIndex")
        await self.pc.addIceCandidate(parsed)

    async def local_candidates(self) -> AsyncIterator[dict[str, Any] | None]:
        yield None  # aiortc gathers everything into its SDP in setLocalDescription

    def connection_state(self) -> str:
        return str(self.pc.connectionState)

    def received_audio(self) -> tuple[Samples, int]:
        return audio_frames_to_mono(list(self.audio_frames))

    def received_audio_seconds(self) -> float:
        return sum(f.samples / f.sample_rate for f in self.audio_frames)

    def frames_sent(self) -> int:
        return int(self.sent_video.count) if self.sent_video is not None else 0

    async def close(self) -> None:
        await self.pc.close()
        for sink in self._sinks:
            sink.cancel()
        results = await asyncio.gather(*self._sinks, return_exceptions=True)
        for result in results:
            if isinstance(result, Exception):  # a sink failed: a bug in it or in aiortc
                raise result


RtcpeerVideoTrack, RtcpeerAudioTrack = make_pattern_tracks(rtcpeer.mediastreams)


def _rtcpeer_capability_entries(kind: str) -> list[Any]:
    """rtcpeer's capabilities with an aiortc-like ``parameters`` view for pick_codecs."""
    caps = rtcpeer.RTCRtpSender.getCapabilities(kind)
    assert caps is not None
    out = []
    for cap in caps.codecs:
        params = dict(p.split("=", 1) for p in (cap.sdpFmtpLine or "").split(";") if "=" in p)
        out.append(types.SimpleNamespace(mimeType=cap.mimeType, parameters=params, cap=cap))
    return out


class RtcpeerMediaPeer(AiortcMediaPeer):
    """``PythonMediaPeer`` over rtcpeer (non-trickle here, like aiortc: candidates are in
    the SDP once setLocalDescription returns)."""

    name = "rtcpeer"

    def __init__(self) -> None:
        self.pc = rtcpeer.RTCPeerConnection()  # type: ignore[assignment]
        self.video_numbers = []
        self.unreadable_frames = 0
        self.video_sizes = set()
        self.audio_frames = collections.deque(maxlen=MAX_AUDIO_FRAMES)
        self.remote_tracks = []
        self.sent_video = None
        self._sinks = []
        self.pc.on("track", self._on_track)

    async def _read_video(self, track: Any) -> None:
        with contextlib.suppress(rtcpeer.MediaStreamError):
            while True:
                frame = await track.recv()
                self.video_sizes.add((frame.width, frame.height))
                n = read_frame_number(frame)
                if n is None:
                    self.unreadable_frames += 1
                else:
                    self.video_numbers.append(n)

    async def _read_audio(self, track: Any) -> None:
        with contextlib.suppress(rtcpeer.MediaStreamError):
            while True:
                self.audio_frames.append(await track.recv())

    def add_media(
        self,
        *,
        video: Direction | None = None,
        audio: Direction | None = None,
        video_codecs: list[str] | None = None,
        audio_codecs: list[str] | None = None,
    ) -> None:
        for kind, direction, codecs in (
            ("video", video, video_codecs),
            ("audio", audio, audio_codecs),
        ):
            if direction is None:
                continue
            track = None
            if direction in ("sendrecv", "sendonly"):
                track = RtcpeerVideoTrack() if kind == "video" else RtcpeerAudioTrack()
                if kind == "video":
                    self.sent_video = track
            free = [
                t
                for t in self.pc.getTransceivers()
                if t.kind == kind and t.sender.track is None and not t.stopped
            ]
            if free:
                transceiver = free[0]
                transceiver.sender.replaceTrack(track)
                transceiver.direction = direction
            else:
                transceiver = self.pc.addTransceiver(track or kind, direction=direction)
            if codecs:
                chosen = pick_codecs(_rtcpeer_capability_entries(kind), kind, codecs)
                transceiver.setCodecPreferences([c.cap for c in chosen])

    async def accept_offer(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(rtcpeer.RTCSessionDescription(sdp=sdp, type="offer"))

    async def accept_answer(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(rtcpeer.RTCSessionDescription(sdp=sdp, type="answer"))

    async def add_remote_candidate(self, candidate: dict[str, Any] | None) -> None:
        await self.pc.addIceCandidate(candidate)

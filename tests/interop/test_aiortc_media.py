"""rtcpeer <-> aiortc audio and video, each side offering, content checked both ways.

Each side sends a video track whose frames show their number and an 880 Hz tone; each side
reads the numbers back after the codec and finds the tone by FFT. aiortc is the independent
Python peer (its own RTP, SRTP, jitter buffer and codec glue).
"""

from __future__ import annotations

import asyncio
import fractions
import itertools

import aiortc
import av
import pytest
from aiortc.mediastreams import AudioStreamTrack as AiortcAudioTrack
from aiortc.mediastreams import VideoStreamTrack as AiortcVideoTrack
from test_aiortc import trickle_to_aiortc

import rtcpeer
from rtcpeer.testing.media import (
    NumberedVideoTrack,
    ToneAudioTrack,
    dominant_frequency,
    numbered_frame,
    read_frame_number,
    tone,
)

pytestmark = [pytest.mark.interop]


class AiortcNumberedVideo(AiortcVideoTrack):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = numbered_frame(self.count)
        self.count += 1
        frame.pts, frame.time_base = pts, time_base
        return frame


class AiortcTone(AiortcAudioTrack):
    def __init__(self) -> None:
        super().__init__()
        self.samples = 0
        self.start: float | None = None

    async def recv(self) -> av.AudioFrame:
        loop = asyncio.get_running_loop()
        if self.start is None:
            self.start = loop.time()
        delay = self.start + self.samples / 48000 - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        frame = tone(880, 0.02, 48000, start_sample=self.samples)
        frame.time_base = fractions.Fraction(1, 48000)
        self.samples += frame.samples
        return frame


async def _collect(track: object, count: int, timeout: float = 20.0) -> list[object]:
    frames: list[object] = []

    async def run() -> None:
        while len(frames) < count:
            frames.append(await track.recv())  # type: ignore[attr-defined]

    await asyncio.wait_for(run(), timeout)
    return frames


def _check_video(frames: list[object]) -> None:
    numbers = [read_frame_number(f) for f in frames]  # type: ignore[arg-type]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers), numbers
    steps = [b - a for a, b in itertools.pairwise(numbers)]
    assert sum(1 for s in steps if s == 1) >= 0.8 * len(steps), numbers


def _check_audio(frames: list[object]) -> None:
    frequency = dominant_frequency(frames[10:])  # type: ignore[arg-type]
    assert abs(frequency - 880) < 5, frequency


def _prefer(transceivers: list[object], kind: str, mime: str, caps: object) -> None:
    for t in transceivers:
        if t.kind == kind:  # type: ignore[attr-defined]
            codecs = [c for c in caps.codecs if c.mimeType.lower() == mime.lower()]  # type: ignore[attr-defined]
            rtx = [c for c in caps.codecs if c.mimeType.lower() == "video/rtx"]  # type: ignore[attr-defined]
            t.setCodecPreferences(codecs + (rtx if kind == "video" else []))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("offerer", "video", "audio"),
    [
        ("rtcpeer", "video/VP8", "audio/opus"),
        ("aiortc", "video/VP8", "audio/opus"),
        ("rtcpeer", "video/H264", "audio/PCMU"),
        ("aiortc", "video/H264", "audio/PCMU"),
    ],
)
async def test_audio_video_both_ways(offerer: str, video: str, audio: str) -> None:
    ours = rtcpeer.RTCPeerConnection()
    theirs = aiortc.RTCPeerConnection()
    try:
        ours_got: asyncio.Queue[object] = asyncio.Queue()
        theirs_got: asyncio.Queue[object] = asyncio.Queue()
        ours.on("track", ours_got.put_nowait)
        theirs.on("track", theirs_got.put_nowait)
        ours.addTrack(NumberedVideoTrack())
        ours.addTrack(ToneAudioTrack())
        theirs.addTrack(AiortcNumberedVideo())
        theirs.addTrack(AiortcTone())
        trickle_to_aiortc(ours, theirs)
        if offerer == "rtcpeer":
            for kind, mime in (("video", video), ("audio", audio)):
                caps = rtcpeer.RTCRtpSender.getCapabilities(kind)
                _prefer(ours.getTransceivers(), kind, mime, caps)
            await ours.setLocalDescription(await ours.createOffer())
            offer = ours.localDescription
            assert offer is not None
            await theirs.setRemoteDescription(
                aiortc.RTCSessionDescription(sdp=offer.sdp, type="offer")
            )
            await theirs.setLocalDescription(await theirs.createAnswer())
            await ours.setRemoteDescription(theirs.localDescription)  # type: ignore[arg-type]
        else:
            for kind, mime in (("video", video), ("audio", audio)):
                caps = aiortc.RTCRtpSender.getCapabilities(kind)
                _prefer(theirs.getTransceivers(), kind, mime, caps)
            await theirs.setLocalDescription(await theirs.createOffer())
            await ours.setRemoteDescription(theirs.localDescription)  # type: ignore[arg-type]
            await ours.setLocalDescription(await ours.createAnswer())
            answer = ours.localDescription
            assert answer is not None
            await theirs.setRemoteDescription(
                aiortc.RTCSessionDescription(sdp=answer.sdp, type="answer")
            )
        sdp = ours.localDescription.sdp  # type: ignore[union-attr]
        assert video.split("/")[1] + "/90000" in sdp
        received = {}
        for queue, side in ((ours_got, "rtcpeer"), (theirs_got, "aiortc")):
            for _ in range(2):
                track = await asyncio.wait_for(queue.get(), 15)
                received[(side, track.kind)] = track  # type: ignore[attr-defined]
        results = await asyncio.gather(
            _collect(received[("rtcpeer", "video")], 30),
            _collect(received[("rtcpeer", "audio")], 60),
            _collect(received[("aiortc", "video")], 30),
            _collect(received[("aiortc", "audio")], 60),
        )
        _check_video(results[0])
        _check_audio(results[1])
        _check_video(results[2])
        _check_audio(results[3])
    finally:
        await ours.close()
        await theirs.close()

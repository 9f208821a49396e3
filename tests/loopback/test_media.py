"""rtcpeer <-> rtcpeer audio and video over DTLS-SRTP on loopback, content checked.

Video: each frame shows its number (rtcpeer.testing.media); the receiver reads the numbers back
after VP8 (or the codec under test). Audio: an 880 Hz tone through Opus, found again by FFT.
"""

from __future__ import annotations

import asyncio
import itertools

import pytest
from helpers import PeerPair

from rtcpeer import RTCRtpCodecCapability, RTCRtpSender
from rtcpeer.mediastreams import MediaStreamTrack
from rtcpeer.testing.media import (
    NumberedVideoTrack,
    ToneAudioTrack,
    dominant_frequency,
    read_frame_number,
)

pytestmark = pytest.mark.loopback


async def _collect(track: MediaStreamTrack, count: int, timeout: float = 15.0) -> list[object]:
    frames: list[object] = []

    async def run() -> None:
        while len(frames) < count:
            frames.append(await track.recv())

    await asyncio.wait_for(run(), timeout)
    return frames


def _check_video(frames: list[object]) -> None:
    numbers = [read_frame_number(f) for f in frames]  # type: ignore[arg-type]
    assert numbers == sorted(numbers), numbers
    assert len(set(numbers)) == len(numbers), numbers
    steps = [b - a for a, b in itertools.pairwise(numbers)]
    assert sum(1 for s in steps if s == 1) >= 0.8 * len(steps), numbers
    pts = [f.pts for f in frames]  # type: ignore[attr-defined]
    assert pts == sorted(pts)


def _check_audio(frames: list[object]) -> None:
    frequency = dominant_frequency(frames[10:])  # type: ignore[arg-type]
    assert abs(frequency - 880) < 5, frequency


async def _tracks(pc: object) -> asyncio.Queue[MediaStreamTrack]:
    queue: asyncio.Queue[MediaStreamTrack] = asyncio.Queue()
    pc.on("track", queue.put_nowait)  # type: ignore[attr-defined]
    return queue


@pytest.mark.parametrize("offerer", ["pc1", "pc2"])
async def test_audio_and_video_both_ways_with_content(offerer: str) -> None:
    peers = PeerPair()
    try:
        pc1, pc2 = peers.pc1, peers.pc2
        got1, got2 = await _tracks(pc1), await _tracks(pc2)
        for pc in (pc1, pc2):
            pc.addTrack(NumberedVideoTrack())
            pc.addTrack(ToneAudioTrack())
        pc1.createDataChannel("chat")
        if offerer == "pc2":
            peers.pc1, peers.pc2 = pc2, pc1
        await peers.connect()
        for got in (got1, got2):
            kinds = {}
            for _ in range(2):
                track = await asyncio.wait_for(got.get(), 10)
                kinds[track.kind] = track
            video, audio = await asyncio.gather(
                _collect(kinds["video"], 30), _collect(kinds["audio"], 60)
            )
            _check_video(video)
            _check_audio(audio)
    finally:
        await peers.close()


@pytest.mark.parametrize("codec", ["VP8", "VP9", "H264"])
async def test_video_codecs_one_way(codec: str) -> None:
    peers = PeerPair()
    try:
        got = await _tracks(peers.pc2)
        transceiver = peers.pc1.addTransceiver(NumberedVideoTrack(), direction="sendonly")
        caps = RTCRtpSender.getCapabilities("video")
        assert caps is not None
        transceiver.setCodecPreferences(
            [c for c in caps.codecs if c.mimeType == f"video/{codec}"]
            + [RTCRtpCodecCapability("video/rtx", 90000)]
        )
        await peers.connect()
        assert peers.pc1.localDescription is not None
        assert f"{codec}/90000" in peers.pc1.localDescription.sdp
        track = await asyncio.wait_for(got.get(), 10)
        _check_video(await _collect(track, 20))
    finally:
        await peers.close()


async def test_same_track_to_four_viewers_is_encoded_once() -> None:
    """Encode-once fan-out: 4 connections send one track; one encoder runs, and every
    viewer decodes the same numbered frames."""
    from rtcpeer._mediaflow import HUB

    source = NumberedVideoTrack()
    pairs = [PeerPair() for _ in range(4)]
    try:
        queues = []
        for pair in pairs:
            queues.append(await _tracks(pair.pc2))
            pair.pc1.addTrack(source)
        for pair in pairs:
            await pair.connect()
        tracks = [await asyncio.wait_for(q.get(), 10) for q in queues]
        results = await asyncio.gather(*(_collect(t, 20) for t in tracks))
        for frames in results:
            _check_video(frames)
        encodings = [e for e in HUB.encodings() if e.track is source]
        assert len(encodings) == 1
        assert len(encodings[0].subscribers) == 4
        # One encode per frame the track produced, not one per viewer.
        assert encodings[0].encode_calls <= source.count
        assert encodings[0].encode_calls >= 20
    finally:
        for pair in pairs:
            await pair.close()

"""MediaPlayer over real PyAV files: timestamps, pacing on the loop clock, loop, pass-through."""

from __future__ import annotations

import asyncio
import fractions
import itertools
from pathlib import Path
from typing import Any

import av
import pytest
from contrib_helpers import write_media_file

from rtcpeer.media import MediaPlayer, PlayerStreamTrack
from rtcpeer.mediastreams import MediaStreamError, MediaStreamTrack
from rtcpeer.testing.media import dominant_frequency, read_frame_number


def near_30fps(pts: list[int]) -> bool:
    """pts at 30 fps in 90 kHz, as a millisecond container (webm) rounds them: within 1 ms."""
    return all(abs(p - n * 3000) <= 90 for n, p in enumerate(pts))


@pytest.fixture(scope="module")
def webm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1 s: 30 numbered VP8 frames + an 880 Hz Opus tone."""
    return write_media_file(tmp_path_factory.mktemp("player") / "one.webm", 1.0)


@pytest.fixture(scope="module")
def short_webm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """0.5 s: 15 numbered VP8 frames + Opus."""
    return write_media_file(tmp_path_factory.mktemp("player") / "short.webm", 0.5)


async def drain(track: MediaStreamTrack | None, limit: int = 10_000) -> list[Any]:
    assert track is not None
    items = []
    with pytest.raises(MediaStreamError):
        for _ in range(limit):
            items.append(await track.recv())
    return items


async def worker_gone(player: MediaPlayer) -> bool:
    worker = player._worker
    assert worker is not None
    await asyncio.get_running_loop().run_in_executor(None, worker.join, 5.0)
    return not worker.is_alive()


async def test_frames_pts_and_pacing_on_the_loop_clock(webm: Path) -> None:
    player = MediaPlayer(str(webm))
    loop = asyncio.get_running_loop()
    start = loop.time()
    video, audio = await asyncio.gather(drain(player.video), drain(player.audio))
    elapsed = loop.time() - start

    assert len(video) == 30
    assert near_30fps([f.pts for f in video])
    assert {f.time_base for f in video} == {fractions.Fraction(1, 90000)}
    assert [read_frame_number(f) for f in video] == list(range(30))

    assert 48 <= len(audio) <= 52  # 1 s in 20 ms frames (Opus pre-skip/padding trims the ends)
    assert [f.pts for f in audio] == [n * 960 for n in range(len(audio))]
    assert {(f.sample_rate, f.samples, f.time_base) for f in audio[:-1]} == {
        (48000, 960, fractions.Fraction(1, 48000))
    }
    assert abs(dominant_frequency(audio) - 880) < 5
    # Paced in real time on the loop clock: about the media's 1 s (generous: loaded machine).
    assert 0.8 < elapsed < 3.0
    assert player.video is not None and player.video.readyState == "ended"
    assert await worker_gone(player)


async def test_loop_restarts_with_continuous_timestamps(short_webm: Path) -> None:
    player = MediaPlayer(str(short_webm), loop=True)
    assert player.video is not None and player.audio is not None
    frames = [await player.video.recv() for _ in range(35)]  # 15 per pass: wraps twice
    audio = [await player.audio.recv() for _ in range(10)]
    assert near_30fps([f.pts for f in frames])  # no jump or repeat at the wraps
    assert [read_frame_number(f) for f in frames] == [n % 15 for n in range(35)]
    assert [f.pts for f in audio] == [n * 960 for n in range(10)]
    player.video.stop()
    assert player._worker is not None and player._worker.is_alive()  # audio still open
    player.audio.stop()
    assert await worker_gone(player)  # both stopped: the worker ends and closes the file


async def test_audio_keeps_counting_samples_across_loops(short_webm: Path) -> None:
    player = MediaPlayer(str(short_webm), loop=True)
    assert player.audio is not None
    audio = [await player.audio.recv() for _ in range(60)]  # 1.2 s of a 0.5 s file
    pts = [f.pts for f in audio]
    assert pts == [sum(f.samples for f in audio[:n]) for n in range(60)]
    assert all(f.samples == 960 for f in audio)
    assert player.video is not None
    player.audio.stop()
    player.video.stop()
    assert await worker_gone(player)


async def test_decode_false_yields_packets_marked_with_their_codec(webm: Path) -> None:
    player = MediaPlayer(str(webm), decode=False)
    assert isinstance(player.video, PlayerStreamTrack)
    assert isinstance(player.audio, PlayerStreamTrack)
    assert player.video.codec is not None and player.audio.codec is not None
    assert (player.video.codec.mimeType, player.video.codec.clockRate) == ("video/VP8", 90000)
    assert (player.audio.codec.mimeType, player.audio.codec.clockRate) == ("audio/opus", 48000)
    video, audio = await asyncio.gather(drain(player.video), drain(player.audio))
    assert all(isinstance(p, av.Packet) for p in video + audio)
    assert len(video) == 30
    assert near_30fps([p.pts for p in video])
    assert {p.time_base for p in video} == {fractions.Fraction(1, 90000)}
    assert video[0].is_keyframe
    assert len(audio) >= 49
    steps = [b.pts - a.pts for a, b in itertools.pairwise(audio[1:])]
    assert all(abs(step - 960) <= 48 for step in steps)  # 20 ms in 48 kHz, to the file's 1 ms
    assert {p.time_base for p in audio} == {fractions.Fraction(1, 48000)}
    # the packets are the file's VP8: a decoder reads frame numbers back from them
    decoder = av.CodecContext.create("vp8", "r")
    decoded = [f for p in video for f in decoder.decode(p)]
    assert [read_frame_number(f) for f in decoded] == list(range(30))


async def test_decode_false_skips_streams_that_cannot_pass_through(tmp_path: Path) -> None:
    path = write_media_file(tmp_path / "aac.mp4", 0.2, video="libx264", audio="aac")
    player = MediaPlayer(str(path), decode=False)
    assert player.audio is None  # AAC has no RTP payload format here
    assert isinstance(player.video, PlayerStreamTrack)
    assert player.video.codec is not None and player.video.codec.mimeType == "video/H264"
    packets = await drain(player.video)
    assert len(packets) == 6


async def test_lavfi_input_with_options() -> None:
    player = MediaPlayer(
        "testsrc=size=64x48:rate=30:duration=0.2", format="lavfi", options={"probesize": "32"}
    )
    assert player.audio is None
    frames = await drain(player.video)
    assert [(f.width, f.height) for f in frames] == [(64, 48)] * 6
    assert [f.pts for f in frames] == [n * 3000 for n in range(6)]


async def test_audio_only_file(tmp_path: Path) -> None:
    path = write_media_file(tmp_path / "tone.ogg", 0.3, video=None, audio="libopus")
    player = MediaPlayer(str(path))
    assert player.video is None
    audio = await drain(player.audio)
    assert 13 <= len(audio) <= 16
    assert abs(dominant_frequency(audio) - 880) < 10


def test_unreadable_file_raises_a_clear_error(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.webm"
    garbage.write_bytes(b"this is not a media file" * 100)
    with pytest.raises(av.error.InvalidDataError, match=r"garbage\.webm"):
        MediaPlayer(str(garbage))
    with pytest.raises(FileNotFoundError, match=r"missing\.webm"):
        MediaPlayer(str(tmp_path / "missing.webm"))


def test_loop_needs_a_seekable_input() -> None:
    with pytest.raises(ValueError, match="seekable"):
        MediaPlayer("testsrc=duration=1", format="lavfi", loop=True)


async def test_stopping_before_reading_closes_the_file(webm: Path) -> None:
    player = MediaPlayer(str(webm))
    assert player.audio is not None and player.video is not None
    player.audio.stop()
    player.video.stop()
    assert player._worker is None
    with pytest.raises(MediaStreamError):
        await player.video.recv()

"""rtcpeer.testing.media_pattern: the frame-number video pattern and the tone helpers."""

from __future__ import annotations

import fractions
import itertools

import av
import numpy as np
import pytest

from rtcpeer.testing.media_pattern import (
    audio_frames_to_mono,
    block_boxes,
    draw_frame_number,
    read_frame_number,
    read_luma_number,
    tone_frames,
    tone_frequency,
)


def test_pattern_geometry_is_the_spec() -> None:
    boxes = block_boxes(640, 480)
    assert boxes[0] == (0, 0, 40, 40)
    assert boxes[15] == (600, 0, 640, 40)
    assert block_boxes(640, 480, inner=0.6)[1] == (48, 8, 72, 32)  # inner 24x24


def test_drawn_pixels() -> None:
    frame = draw_frame_number(0b1000_0000_0000_0001)
    assert (frame.format.name, frame.width, frame.height) == ("yuv420p", 640, 480)
    luma = frame.to_ndarray()[:480]  # the Y plane as drawn (no range conversion)
    assert (luma[0:40, 0:40] == 255).all()  # bit 15 set
    assert (luma[0:40, 40:600] == 0).all()
    assert (luma[0:40, 600:640] == 255).all()  # bit 0 set
    assert (luma[40:, :] == 128).all()


@pytest.mark.parametrize("n", [0, 1, 2, 0x8000, 0xFFFF, 0x1234, 4242])
def test_round_trip(n: int) -> None:
    assert read_frame_number(draw_frame_number(n)) == n


def test_wraps_at_16_bits() -> None:
    assert read_frame_number(draw_frame_number(0x10005)) == 5


def test_reads_a_scaled_down_frame() -> None:
    small = draw_frame_number(0xA5C3).reformat(width=320, height=240, format="rgb24")
    assert read_frame_number(small) == 0xA5C3


def test_ambiguous_block_reads_none() -> None:
    luma = draw_frame_number(7).to_ndarray(format="gray")
    assert read_luma_number(luma) == 7
    luma[0:40, 80:120] = 128
    assert read_luma_number(luma) is None
    assert read_luma_number(np.full((480, 640), 128, dtype=np.uint8)) is None  # plain gray


def test_survives_vp8() -> None:
    """Through libvpx and back (what the browser and aiortc do to it), frame for frame."""
    enc = av.CodecContext.create("libvpx", "w")
    enc.width, enc.height, enc.pix_fmt = 640, 480, "yuv420p"
    enc.bit_rate = 500_000
    enc.time_base = fractions.Fraction(1, 30)
    dec = av.CodecContext.create("libvpx", "r")
    numbers = list(range(100, 130))
    decoded: list[int | None] = []
    for i, n in enumerate(numbers):
        frame = draw_frame_number(n)
        frame.pts = i
        for packet in enc.encode(frame):
            decoded += [read_frame_number(f) for f in dec.decode(packet)]
    for packet in enc.encode(None):
        decoded += [read_frame_number(f) for f in dec.decode(packet)]
    assert decoded == numbers


def test_tone_frames_are_continuous_s16() -> None:
    frames = list(itertools.islice(tone_frames(880.0), 3))
    assert [f.pts for f in frames] == [0, 960, 1920]
    assert all(f.samples == 960 and f.sample_rate == 48000 for f in frames)
    assert frames[0].format.name == "s16" and frames[0].layout.name == "mono"
    samples, rate = audio_frames_to_mono(frames)
    expected = np.sin(2 * np.pi * 880 * np.arange(2880) / 48000) * 0.5 * 32767
    assert rate == 48000
    assert np.abs(samples - expected).max() <= 1.0  # no phase jump at frame edges


@pytest.mark.parametrize(("freq", "layout"), [(880.0, "mono"), (880.0, "stereo"), (440.5, "mono")])
def test_tone_frequency_finds_the_tone(freq: float, layout: str) -> None:
    frames = list(itertools.islice(tone_frames(freq, layout=layout), 50))  # 1 s
    samples, rate = audio_frames_to_mono(frames)
    assert samples.size == 48000
    assert abs(tone_frequency(samples, rate) - freq) < 0.5


def test_tone_frequency_planar_and_other_rates() -> None:
    frames = list(
        itertools.islice(tone_frames(1000.0, sample_rate=16000, samples_per_frame=320), 30)
    )
    planar = [f.to_ndarray().reshape(1, -1) for f in frames]
    re = [
        av.AudioFrame.from_ndarray(p.astype(np.float32) / 32768, format="fltp", layout="mono")
        for p in planar
    ]
    for f in re:
        f.sample_rate = 16000
    samples, rate = audio_frames_to_mono(re)
    assert rate == 16000 and samples.size == 9600
    assert abs(tone_frequency(samples, rate) - 1000.0) < 0.5


def test_tone_frequency_needs_half_a_second() -> None:
    with pytest.raises(ValueError, match=r"0\.5 s"):
        tone_frequency(np.zeros(23999), 48000)
    assert tone_frequency(np.sin(2 * np.pi * 880 * np.arange(24000) / 48000), 48000) == (
        pytest.approx(880.0, abs=1.0)
    )

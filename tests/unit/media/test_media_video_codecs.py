"""Video codecs end to end: encode, packetize, depacketize, decode, read the frame number."""

from __future__ import annotations

import av
import numpy as np
import pytest

from rtcpeer.media import (
    Av1Depacketizer,
    Av1Packetizer,
    H264Depacketizer,
    H264Packetizer,
    Vp8Depacketizer,
    Vp8Packetizer,
    Vp9Depacketizer,
    Vp9Packetizer,
)
from rtcpeer.media.codecs import (
    Av1Decoder,
    Av1Encoder,
    DecodeError,
    H264Decoder,
    H264Encoder,
    VideoDecoder,
    VideoEncoder,
    Vp8Decoder,
    Vp8Encoder,
    Vp9Decoder,
    Vp9Encoder,
)
from rtcpeer.testing.media import numbered_frame, read_frame_number

CODECS = {
    "vp8": (Vp8Encoder, Vp8Packetizer, Vp8Depacketizer, Vp8Decoder),
    "vp9": (Vp9Encoder, Vp9Packetizer, Vp9Depacketizer, Vp9Decoder),
    "h264": (H264Encoder, H264Packetizer, H264Depacketizer, H264Decoder),
    "av1": (Av1Encoder, Av1Packetizer, Av1Depacketizer, Av1Decoder),
}


@pytest.mark.parametrize("name", list(CODECS))
def test_thirty_numbered_frames_survive_the_whole_chain(name: str) -> None:
    enc_cls, pk_cls, dep_cls, dec_cls = CODECS[name]
    encoder: VideoEncoder = enc_cls(width=640, height=480, bitrate=1_500_000)
    packetizer, depacketizer = pk_cls(), dep_cls()
    decoder: VideoDecoder = dec_cls()
    decoded: list[int] = []
    keyflags = []
    for n in range(30):
        frame = numbered_frame(1000 + n * 37)
        for encoded in encoder.encode(frame, force_keyframe=n == 20):
            payloads = packetizer.packetize(encoded.data, 1200)
            keyflags.append(depacketizer.is_keyframe(payloads[0]))
            assert keyflags[-1] == encoded.keyframe
            bitstream = depacketizer.depacketize(payloads)
            decoded += [read_frame_number(f) for f in decoder.decode(bitstream, encoded.timestamp)]
    assert decoded == [1000 + n * 37 for n in range(30)]
    assert keyflags[0] and keyflags[20] and not any(keyflags[1:20])


def test_any_size_and_format_is_converted_and_timestamps_are_90khz() -> None:
    encoder = Vp8Encoder(width=640, height=480)
    small = numbered_frame(7).reformat(320, 240, "rgb24")
    frames = encoder.encode(small) + encoder.encode(small)
    assert [f.timestamp for f in frames] == [0, 3000]  # 30 fps, no pts on the frames
    out = Vp8Decoder().decode(frames[0].data, 0)
    assert (out[0].width, out[0].height) == (640, 480)


def test_runtime_bitrate_change_takes_effect() -> None:
    """Bytes/s follow the target (VP8, 2 s per target at 30 fps, 320x240 8x8-block noise)."""
    encoder = Vp8Encoder(width=320, height=240, bitrate=400_000)
    rng = np.random.default_rng(5)
    noise = [
        av.VideoFrame.from_ndarray(
            np.kron(rng.integers(0, 255, (30, 40), dtype=np.uint8), np.ones((8, 8), np.uint8)),
            "gray",
        )
        for _ in range(8)
    ]
    sizes: dict[int, int] = {}
    for bitrate in (400_000, 1_600_000, 800_000):
        encoder.set_target_bitrate(bitrate)
        total = 0
        for n in range(60):
            frame = noise[n % 8]
            encoded = encoder.encode(frame)
            if n >= 15:  # after the keyframe and rate control settling
                total += sum(len(e.data) for e in encoded)
        sizes[bitrate] = total * 8 * 30 // 45  # bits per second
    print(sizes)
    for target, measured in sizes.items():
        assert 0.5 * target < measured < 1.5 * target


def test_garbage_is_a_decode_error() -> None:
    decoder = H264Decoder()
    with pytest.raises(DecodeError):
        decoder.decode(b"\x00\x00\x00\x01\x65" + bytes(range(256)) * 4, 0)


def test_h264_is_constrained_baseline_level_31_with_headers_on_every_idr() -> None:
    from rtcpeer.media.h264 import split_annexb

    encoder = H264Encoder(width=320, height=240)
    first = encoder.encode(numbered_frame(1).reformat(320, 240))[0]
    second = encoder.encode(numbered_frame(2).reformat(320, 240), force_keyframe=True)[0]
    for encoded in (first, second):
        nals = split_annexb(encoded.data)
        types = [n[0] & 0x1F for n in nals]
        assert encoded.keyframe and 7 in types and 8 in types and 5 in types
        sps = nals[types.index(7)]
        assert sps[1] == 0x42 and sps[2] & 0x40 and sps[3] == 0x1F  # baseline, set1, 3.1


def test_misspelt_encoder_option_is_refused() -> None:
    class Misspelt(Vp8Encoder):
        def options(self) -> dict[str, str]:
            return {"deadline": "realtime", "cpu_usd": "8"}

    with pytest.raises(ValueError, match="cpu_usd"):
        Misspelt(width=64, height=64).encode(numbered_frame(0).reformat(64, 64))


def test_av1_encoder_leaves_no_thread_realtime() -> None:
    """Regression: as root, SVT-AV1 made the caller and its workers SCHED_FIFO, and its
    busy-waiting workers then starved the event loop (a test process livelocked)."""
    import os

    from rtcpeer.media.codecs import Av1Encoder
    from rtcpeer.testing.media import numbered_frame

    def realtime() -> set[int]:
        tids = {int(t) for t in os.listdir("/proc/self/task")}
        rt = (os.SCHED_FIFO, os.SCHED_RR)
        return {t for t in tids if _policy(t) in rt}

    def _policy(tid: int) -> int:
        try:
            return os.sched_getscheduler(tid)
        except OSError:
            return os.SCHED_OTHER

    before = realtime()
    encoder = Av1Encoder(width=640, height=480)
    for n in range(8):
        encoder.encode(numbered_frame(n))
    assert realtime() <= before

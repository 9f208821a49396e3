"""Opus (RFC 7587), PCMU/PCMA and G.722 (RFC 3551): one frame per packet."""

from __future__ import annotations

import pytest

from rtcpeer.media import (
    FrameLossError,
    G722Payload,
    OpusPayload,
    PayloadError,
    PcmaPayload,
    PcmuPayload,
)
from rtcpeer.media.audio import SingleFramePayload

FORMATS = [OpusPayload(), PcmuPayload(), PcmaPayload(), G722Payload()]


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.encoding_name)
def test_one_frame_per_packet(fmt: SingleFramePayload) -> None:
    frame = bytes(range(160))
    assert fmt.packetize(frame, 160) == [frame]
    assert fmt.starts_frame(frame) and fmt.is_keyframe(frame)
    assert fmt.depacketize([frame], [5]) == frame
    with pytest.raises(ValueError):
        fmt.packetize(frame, 159)
    with pytest.raises(FrameLossError):
        fmt.depacketize([frame, frame])
    with pytest.raises(PayloadError):
        fmt.depacketize([b""])
    assert not fmt.starts_frame(b"")


def test_clock_rates() -> None:
    assert (OpusPayload.clock_rate, OpusPayload.sample_rate) == (48000, 48000)
    assert (PcmuPayload.clock_rate, PcmaPayload.clock_rate) == (8000, 8000)
    assert (G722Payload.clock_rate, G722Payload.sample_rate) == (8000, 16000)  # RFC 3551 §4.5.2

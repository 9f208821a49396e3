"""Audio RTP payload formats that carry one frame per packet.

* Opus (RFC 7587 §4.2): one Opus packet (RFC 6716 §3) per RTP payload, 48 kHz RTP clock
  whatever the coded bandwidth (§4.1); the marker bit may flag the first packet after DTX.
* PCMU / PCMA (RFC 3551 §4.5.14): G.711 samples, one byte each, 8 kHz RTP clock.
* G.722 (RFC 3551 §4.5.2): sampled at 16 kHz, but the RTP clock is 8000 Hz (a historical
  error kept for compatibility), one byte per two samples.

Every packet starts (and ends) a frame and is independently decodable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from .payload import FrameLossError, PayloadError, check_sequence_numbers

__all__ = ["G722Payload", "OpusPayload", "PcmaPayload", "PcmuPayload", "SingleFramePayload"]


class SingleFramePayload:
    """Packetizer and depacketizer of a one-frame-per-packet audio format."""

    encoding_name: ClassVar[str] = ""
    clock_rate: ClassVar[int] = 8000
    sample_rate: ClassVar[int] = 8000

    def packetize(self, frame: bytes, max_payload_size: int) -> list[bytes]:
        if not frame:
            raise ValueError(f"empty {self.encoding_name} frame")
        if len(frame) > max_payload_size:
            raise ValueError(
                f"{self.encoding_name} frame of {len(frame)} bytes exceeds {max_payload_size}"
            )
        return [frame]

    def starts_frame(self, payload: bytes) -> bool:
        return bool(payload)

    def is_keyframe(self, payload: bytes) -> bool:
        return bool(payload)

    def depacketize(
        self, payloads: Sequence[bytes], sequence_numbers: Sequence[int] | None = None
    ) -> bytes:
        check_sequence_numbers(payloads, sequence_numbers)
        if len(payloads) != 1:
            raise FrameLossError(f"{self.encoding_name} carries one frame per packet")
        if not payloads[0]:
            raise PayloadError(f"empty {self.encoding_name} payload")
        return bytes(payloads[0])


class OpusPayload(SingleFramePayload):
    encoding_name = "opus"
    clock_rate = 48000
    sample_rate = 48000


class PcmuPayload(SingleFramePayload):
    encoding_name = "PCMU"


class PcmaPayload(SingleFramePayload):
    encoding_name = "PCMA"


class G722Payload(SingleFramePayload):
    encoding_name = "G722"
    clock_rate = 8000
    sample_rate = 16000

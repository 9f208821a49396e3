"""VP8 RTP payload format (RFC 7741).

Payload descriptor (RFC 7741 §4.2), first byte required, the rest present by flag::

         0 1 2 3 4 5 6 7
        |X|R|N|S|R| PID |   X: extension byte follows; N: non-reference frame;
    X:  |I|L|T|K| RSV   |   S: start of a VP8 partition; PID: partition index
    I:  |M| PictureID   |   M=1: PictureID is 15 bits (a second byte follows)
    L:  |   TL0PICIDX   |
    T/K:|TID|Y| KEYIDX  |   present when T or K is set

The first packet of a frame has S=1 and PID=0 (§4.1). Its payload starts with the VP8
payload header (§4.3): ``|Size0|H| VER |P|`` + 2 size bytes, where P (inverse key frame flag)
is 0 on a key frame. The marker bit is set on the last packet of a frame (§4.1).

The packetizer sends every frame as partition 0 (PID=0, S=1 on the first packet only, like
libwebrtc's default "non-partitioned" mode) with a 15-bit PictureID that increases per frame.
"""

from __future__ import annotations

from collections.abc import Sequence

from .payload import FrameLossError, PayloadError, check_sequence_numbers, split_evenly

__all__ = ["Vp8Depacketizer", "Vp8Packetizer", "parse_vp8_descriptor"]


def parse_vp8_descriptor(payload: bytes) -> tuple[int, bool, int, int | None]:
    """Return (descriptor length, S bit, PID, PictureID or None); PayloadError if truncated."""
    n = len(payload)
    if n < 1:
        raise PayloadError("empty VP8 payload")
    b0 = payload[0]
    pos = 1
    picture_id: int | None = None
    if b0 & 0x80:  # X
        if n < 2:
            raise PayloadError("VP8 descriptor truncated (X)")
        x = payload[1]
        pos = 2
        if x & 0x80:  # I
            if n <= pos:
                raise PayloadError("VP8 descriptor truncated (I)")
            if payload[pos] & 0x80:  # M: 15-bit PictureID
                if n <= pos + 1:
                    raise PayloadError("VP8 descriptor truncated (M)")
                picture_id = ((payload[pos] & 0x7F) << 8) | payload[pos + 1]
                pos += 2
            else:
                picture_id = payload[pos] & 0x7F
                pos += 1
        if x & 0x40:  # L
            pos += 1
        if x & 0x30:  # T or K
            pos += 1
    if pos >= n:
        raise PayloadError("VP8 payload has no data after the descriptor")
    return pos, bool(b0 & 0x10), b0 & 0x07, picture_id


class Vp8Packetizer:
    """Frames -> RTP payloads with a 15-bit PictureID descriptor (RFC 7741 §4.2)."""

    def __init__(self, picture_id: int = 0) -> None:
        self.picture_id = picture_id & 0x7FFF

    def packetize(self, frame: bytes, max_payload_size: int) -> list[bytes]:
        if not frame:
            raise ValueError("empty VP8 frame")
        pid = self.picture_id
        self.picture_id = (pid + 1) & 0x7FFF
        first = bytes((0x90, 0x80, 0x80 | (pid >> 8), pid & 0xFF))  # X S | I | M PictureID
        rest = bytes((0x80, 0x80, 0x80 | (pid >> 8), pid & 0xFF))
        payloads = []
        offset = 0
        view = memoryview(frame)
        for size in split_evenly(len(frame), max_payload_size - len(first)):
            header = first if offset == 0 else rest
            payloads.append(header + view[offset : offset + size])
            offset += size
        return payloads


class Vp8Depacketizer:
    """RTP payloads of one frame -> a VP8 frame (RFC 7741 §4.1-§4.3)."""

    def starts_frame(self, payload: bytes) -> bool:
        try:
            _, start, pid, _ = parse_vp8_descriptor(payload)
        except PayloadError:
            return False
        return start and pid == 0

    def is_keyframe(self, payload: bytes) -> bool:
        """S=1, PID=0 and the VP8 payload header's P bit clear (RFC 7741 §4.3)."""
        try:
            pos, start, pid, _ = parse_vp8_descriptor(payload)
        except PayloadError:
            return False
        return start and pid == 0 and not payload[pos] & 0x01

    def depacketize(
        self, payloads: Sequence[bytes], sequence_numbers: Sequence[int] | None = None
    ) -> bytes:
        check_sequence_numbers(payloads, sequence_numbers)
        parts = []
        picture: int | None = None
        for index, payload in enumerate(payloads):
            pos, start, pid, picture_id = parse_vp8_descriptor(payload)
            starts = start and pid == 0
            if index == 0 and not starts:
                raise FrameLossError("VP8 frame does not begin with S=1, PID=0")
            if index and starts:
                raise FrameLossError("VP8 frame start inside a frame (its marker was lost)")
            if index == 0:
                picture = picture_id
            elif picture_id != picture:
                raise FrameLossError("VP8 PictureID changes inside a frame")
            parts.append(payload[pos:])
        return b"".join(parts)

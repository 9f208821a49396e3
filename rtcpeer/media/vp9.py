"""VP9 RTP payload format (RFC 9628), flexible and non-flexible modes.

Payload descriptor (RFC 9628 §4.2)::

          0 1 2 3 4 5 6 7
         |I|P|L|F|B|E|V|Z|   I: PictureID present; P: inter-picture predicted;
    I:   |M| PICTURE ID  |   L: layer indices present; F: flexible mode;
    M:   | EXTENDED PID  |   B/E: start/end of a layer frame; V: scalability structure (SS)
    L:   | TID |U| SID |D|   follows; Z: not a reference for the next spatial layer
         |   TL0PICIDX   |   non-flexible mode (F=0) only
    P,F: | P_DIFF      |N|   flexible mode, up to 3 times (N: another one follows)
    V:   | SS            |   §4.2.1

SS (§4.2.1): ``|N_S|Y|G|-|-|-|``, Y: N_S+1 (width, height) 16-bit pairs, G: N_G then N_G
entries ``|T|U|R|-|-|`` each followed by R P_DIFF bytes.

A picture is one or more layer frames (one per spatial layer); the marker bit ends the picture
(§4.1). A keyframe starts with B=1, P=0 on the base spatial layer (§4.2). Several layer frames
of one picture are handed to the decoder as one VP9 superframe (VP9 bitstream spec Annex B).

The packetizer is non-flexible and single-layer, as libwebrtc sends VP9 without SVC: I (15-bit
PictureID), L (TID=SID=0) with a TL0PICIDX per frame, and on keyframes an SS with the
resolution (read from the VP9 uncompressed header, spec §6.2) and a one-entry group of frames
(each frame references the previous one).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import NamedTuple

from .payload import FrameLossError, PayloadError, check_sequence_numbers, split_evenly

__all__ = ["Vp9Depacketizer", "Vp9Descriptor", "Vp9Packetizer", "parse_vp9_descriptor"]


class Vp9Descriptor(NamedTuple):
    length: int
    picture_id: int | None
    inter_predicted: bool  # P
    start: bool  # B
    end: bool  # E
    spatial_id: int | None


def _byte(payload: bytes, pos: int) -> int:
    if pos >= len(payload):
        raise PayloadError("VP9 descriptor truncated")
    return payload[pos]


def _skip_ss(payload: bytes, pos: int) -> int:
    """Skip the scalability structure at ``pos`` (RFC 9628 §4.2.1); return the next offset."""
    b = _byte(payload, pos)
    pos += 1
    if b & 0x10:  # Y: N_S + 1 resolutions of 4 bytes
        pos += 4 * ((b >> 5) + 1)
    if b & 0x08:  # G
        n_g = _byte(payload, pos)
        pos += 1
        for _ in range(n_g):
            pos += 1 + ((_byte(payload, pos) >> 2) & 0x03)
    return pos


def parse_vp9_descriptor(payload: bytes) -> Vp9Descriptor:
    b0 = _byte(payload, 0)
    pos = 1
    picture_id: int | None = None
    if b0 & 0x80:  # I
        if _byte(payload, pos) & 0x80:
            picture_id = ((payload[pos] & 0x7F) << 8) | _byte(payload, pos + 1)
            pos += 2
        else:
            picture_id = payload[pos]
            pos += 1
    flexible = bool(b0 & 0x10)
    spatial_id: int | None = None
    if b0 & 0x20:  # L
        spatial_id = (_byte(payload, pos) >> 1) & 0x07
        pos += 1 if flexible else 2
    if flexible and b0 & 0x40:  # P_DIFF list
        for count in range(4):
            if count == 3:
                raise PayloadError("VP9 descriptor has more than 3 P_DIFF")
            more = _byte(payload, pos) & 0x01
            pos += 1
            if not more:
                break
    if b0 & 0x02:  # V
        pos = _skip_ss(payload, pos)
    if pos >= len(payload):
        raise PayloadError("VP9 payload has no data after the descriptor")
    return Vp9Descriptor(
        pos, picture_id, bool(b0 & 0x40), bool(b0 & 0x08), bool(b0 & 0x04), spatial_id
    )


def read_vp9_keyframe_size(frame: bytes) -> tuple[int, int] | None:
    """(width, height) of a VP9 key frame from its uncompressed header (spec §6.2), else None."""
    bits = int.from_bytes(frame[:16], "big")
    total = 8 * min(len(frame), 16)
    pos = 0

    def read(n: int) -> int:
        nonlocal pos
        if pos + n > total:
            raise PayloadError("VP9 frame header truncated")
        pos += n
        return (bits >> (total - pos)) & ((1 << n) - 1)

    if read(2) != 2:  # frame_marker
        raise PayloadError("not a VP9 frame")
    profile = read(1) | (read(1) << 1)
    if profile == 3:
        read(1)
    if read(1):  # show_existing_frame
        return None
    if read(1) != 0:  # frame_type: 0 = KEY_FRAME
        return None
    read(2)  # show_frame, error_resilient_mode
    if read(24) != 0x498342:
        raise PayloadError("VP9 key frame without sync code")
    if profile >= 2:
        read(1)
    if read(3) != 7:  # color_space != CS_RGB
        read(1)
        if profile in (1, 3):
            read(3)
    elif profile in (1, 3):
        read(1)
    return read(16) + 1, read(16) + 1


class Vp9Packetizer:
    """Frames -> non-flexible single-layer RFC 9628 payloads."""

    def __init__(self, picture_id: int = 0, tl0_pic_idx: int = 0) -> None:
        self.picture_id = picture_id & 0x7FFF
        self.tl0_pic_idx = tl0_pic_idx & 0xFF

    def _header(self, keyframe: bool, start: bool, end: bool, ss: bytes) -> bytes:
        b0 = 0xA0 | (0 if keyframe else 0x40) | (0x08 if start else 0) | (0x04 if end else 0)
        if ss:
            b0 |= 0x02
        pid = self.picture_id
        return bytes((b0, 0x80 | (pid >> 8), pid & 0xFF, 0x00, self.tl0_pic_idx)) + ss

    def packetize(self, frame: bytes, max_payload_size: int) -> list[bytes]:
        if not frame:
            raise ValueError("empty VP9 frame")
        size = read_vp9_keyframe_size(frame)
        keyframe = size is not None
        ss = b""
        if size is not None:  # N_S=0, Y, G; one group entry T=0 U=0 R=1, P_DIFF=1
            ss = bytes((0x18,)) + struct.pack("!HH", *size) + bytes((1, 0x04, 1))
        plain = len(self._header(keyframe, True, True, b""))
        sizes = split_evenly(len(frame), max_payload_size - plain - len(ss))
        if ss and len(sizes) > 1:  # the SS only rides on the first packet; re-split the rest
            rest = split_evenly(len(frame) - sizes[0], max_payload_size - plain)
            sizes = [sizes[0], *rest]
        payloads = []
        offset = 0
        view = memoryview(frame)
        last = len(sizes) - 1
        for index, size_ in enumerate(sizes):
            header = self._header(keyframe, index == 0, index == last, ss if index == 0 else b"")
            payloads.append(header + view[offset : offset + size_])
            offset += size_
        self.picture_id = (self.picture_id + 1) & 0x7FFF
        self.tl0_pic_idx = (self.tl0_pic_idx + 1) & 0xFF
        return payloads


def build_superframe(frames: Sequence[bytes]) -> bytes:
    """Concatenate layer frames with a superframe index (VP9 bitstream spec Annex B)."""
    if len(frames) == 1:
        return frames[0]
    if len(frames) > 8:
        raise PayloadError("more than 8 VP9 layer frames in one picture")
    largest = max(len(f) for f in frames)
    mag = max(1, (largest.bit_length() + 7) // 8)
    marker = 0xC0 | ((mag - 1) << 3) | (len(frames) - 1)
    sizes = b"".join(len(f).to_bytes(mag, "little") for f in frames)
    return b"".join(frames) + bytes((marker,)) + sizes + bytes((marker,))


class Vp9Depacketizer:
    """RTP payloads of one picture -> a VP9 frame or superframe (RFC 9628 §4)."""

    def starts_frame(self, payload: bytes) -> bool:
        """B=1 on the base spatial layer (or without layer indices)."""
        try:
            d = parse_vp9_descriptor(payload)
        except PayloadError:
            return False
        return d.start and not d.spatial_id

    def is_keyframe(self, payload: bytes) -> bool:
        """A picture start with P=0 (RFC 9628 §4.2)."""
        try:
            d = parse_vp9_descriptor(payload)
        except PayloadError:
            return False
        return d.start and not d.spatial_id and not d.inter_predicted

    def depacketize(
        self, payloads: Sequence[bytes], sequence_numbers: Sequence[int] | None = None
    ) -> bytes:
        check_sequence_numbers(payloads, sequence_numbers)
        frames: list[bytes] = []
        current: list[bytes] = []
        in_layer = False
        picture: int | None = None
        for index, payload in enumerate(payloads):
            d = parse_vp9_descriptor(payload)
            if index == 0:
                picture = d.picture_id
            elif d.picture_id != picture:
                raise FrameLossError("VP9 PictureID changes inside a picture")
            if d.start == in_layer:
                raise FrameLossError("VP9 layer frame start/end (B/E) out of order")
            current.append(payload[d.length :])
            in_layer = not d.end
            if d.end:
                frames.append(b"".join(current))
                current = []
        if in_layer:
            raise FrameLossError("VP9 picture ends inside a layer frame (no E bit)")
        return build_superframe(frames)

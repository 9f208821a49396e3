"""AV1 RTP payload format (AOMedia "RTP Payload Format for AV1", v1.0.0).

Aggregation header (§4.4)::

    |Z|Y| W |N|-|-|-|   Z: the first OBU element continues the previous packet's last one;
                        Y: the last OBU element continues in the next packet;
                        W: number of OBU elements (0: every element has a LEB128 length;
                           1-3: that many, the last one without a length);
                        N: first packet of a coded video sequence (a keyframe), Z must be 0.

OBU elements are OBUs without their obu_size field (§5: the sender SHOULD strip it,
obu_has_size_field = 0; a receiver accepts either). Temporal delimiters, tile list OBUs and
padding are not sent (§5). The depacketizer writes a low-overhead bitstream (AV1 spec §5.2):
a temporal delimiter, then every OBU with obu_has_size_field = 1 and its LEB128 size restored.
The marker bit ends a temporal unit (§4.2).

OBU header (AV1 spec §5.3.2): ``|0|type(4)|extension_flag|has_size_field|0|`` + an extension
byte when extension_flag is set.
"""

from __future__ import annotations

from collections.abc import Sequence

from .payload import FrameLossError, PayloadError, check_sequence_numbers

__all__ = ["Av1Depacketizer", "Av1Packetizer", "read_leb128", "split_obus", "write_leb128"]

OBU_SEQUENCE_HEADER = 1
OBU_TEMPORAL_DELIMITER = 2
OBU_FRAME_HEADER = 3
OBU_METADATA = 5
OBU_FRAME = 6
OBU_TILE_LIST = 8
OBU_PADDING = 15
_NOT_SENT = frozenset({OBU_TEMPORAL_DELIMITER, OBU_TILE_LIST, OBU_PADDING})
_FRAME_START_TYPES = frozenset({OBU_SEQUENCE_HEADER, OBU_FRAME_HEADER, OBU_METADATA, OBU_FRAME})
TEMPORAL_DELIMITER = b"\x12\x00"


def read_leb128(data: bytes, pos: int) -> tuple[int, int]:
    """(value, next offset) of the LEB128 at ``pos`` (AV1 spec §4.10.5, at most 8 bytes)."""
    value = 0
    for i in range(8):
        if pos >= len(data):
            raise PayloadError("LEB128 truncated")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            return value, pos
    raise PayloadError("LEB128 longer than 8 bytes")


def write_leb128(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _leb128_len(value: int) -> int:
    return max(1, (value.bit_length() + 6) // 7)


def split_obus(stream: bytes) -> list[bytes]:
    """OBUs of a low-overhead bitstream, each returned without its obu_size field."""
    obus = []
    pos = 0
    n = len(stream)
    while pos < n:
        header = stream[pos]
        head_len = 2 if header & 0x04 else 1
        if pos + head_len > n:
            raise PayloadError("OBU header truncated")
        body_start = pos + head_len
        if header & 0x02:
            size, body_start = read_leb128(stream, body_start)
        else:
            size = n - body_start
        end = body_start + size
        if end > n:
            raise PayloadError("OBU size exceeds the data")
        obus.append(
            bytes((header & ~0x02,)) + stream[pos + 1 : pos + head_len] + stream[body_start:end]
        )
        pos = end
    return obus


def _is_key_temporal_unit(obus: list[bytes]) -> bool:
    """A sequence header and a first frame header with frame_type KEY_FRAME (AV1 spec §5.9.2)."""
    reduced_still = False
    seen_sequence_header = False
    for obu in obus:
        obu_type = (obu[0] >> 3) & 0x0F
        body = obu[2:] if obu[0] & 0x04 else obu[1:]
        if obu_type == OBU_SEQUENCE_HEADER and body:
            seen_sequence_header = True
            reduced_still = bool(body[0] & 0x08)  # seq_profile(3) still_picture(1) reduced(1)
        elif obu_type in (OBU_FRAME_HEADER, OBU_FRAME) and body:
            if not seen_sequence_header:
                return False
            # show_existing_frame(1) frame_type(2): 0 = KEY_FRAME
            return reduced_still or (not body[0] & 0x80 and (body[0] >> 5) & 0x03 == 0)
    return False


class Av1Packetizer:
    """Temporal units (low-overhead bitstream) -> AV1 RTP payloads."""

    def packetize(self, frame: bytes, max_payload_size: int) -> list[bytes]:
        obus = [o for o in split_obus(frame) if (o[0] >> 3) & 0x0F not in _NOT_SENT]
        if not obus:
            raise ValueError("no OBU to send in the AV1 temporal unit")
        if max_payload_size < 3:
            raise ValueError("max_payload_size must be at least 3")
        packets: list[tuple[bool, bool, list[bytes]]] = []  # (Z, Y, elements)
        elements: list[bytes] = []
        used = 1
        z = False
        for obu in obus:
            view = memoryview(obu)
            while view:
                room = max_payload_size - used
                take = min(len(view), room - _leb128_len(min(len(view), room)))
                if take < 1:
                    packets.append((z, False, elements))
                    elements, used, z = [], 1, False
                    continue
                elements.append(bytes(view[:take]))
                used += take + _leb128_len(take)
                view = view[take:]
                if view:  # the OBU continues in the next packet
                    packets.append((z, True, elements))
                    elements, used, z = [], 1, True
        if elements:
            packets.append((z, False, elements))
        first_n = 0x08 if _is_key_temporal_unit(obus) else 0
        return [
            self._serialize(z, y, els, first_n if i == 0 else 0)
            for i, (z, y, els) in enumerate(packets)
        ]

    @staticmethod
    def _serialize(z: bool, y: bool, elements: list[bytes], n_bit: int) -> bytes:
        """Aggregation header + elements; W = count when <= 3 (last element unsized)."""
        w = len(elements) if len(elements) <= 3 else 0
        header = (0x80 if z else 0) | (0x40 if y else 0) | (w << 4) | n_bit
        parts = [bytes((header,))]
        for index, element in enumerate(elements):
            if w == 0 or index < w - 1:
                parts.append(write_leb128(len(element)))
            parts.append(element)
        return b"".join(parts)


def parse_av1_payload(payload: bytes) -> tuple[int, list[bytes]]:
    """(aggregation header, OBU elements) of one payload (§4.4)."""
    if len(payload) < 2:
        raise PayloadError("AV1 payload too short")
    header = payload[0]
    if header & 0x80 and header & 0x08:
        raise PayloadError("AV1 aggregation header with both Z and N")
    w = (header >> 4) & 0x03
    elements: list[bytes] = []
    pos = 1
    n = len(payload)
    while pos < n:
        if w and len(elements) == w - 1:
            size = n - pos
        else:
            size, pos = read_leb128(payload, pos)
            if pos + size > n:
                raise PayloadError("AV1 OBU element exceeds the payload")
        elements.append(payload[pos : pos + size])
        pos += size
    if w and len(elements) != w:
        raise PayloadError("AV1 payload has fewer OBU elements than W says")
    return header, elements


def _restore_size(obu: bytes) -> bytes:
    """OBU element -> OBU with obu_has_size_field = 1 and its LEB128 size (AV1 spec §5.3.1)."""
    if not obu:
        raise PayloadError("empty OBU element")
    header = obu[0]
    head_len = 2 if header & 0x04 else 1
    if len(obu) < head_len:
        raise PayloadError("OBU header truncated")
    if header & 0x02:  # the sender kept obu_size: keep the OBU as sent
        return obu
    body = obu[head_len:]
    return bytes((header | 0x02,)) + obu[1:head_len] + write_leb128(len(body)) + body


class Av1Depacketizer:
    """RTP payloads of one temporal unit -> a low-overhead AV1 bitstream."""

    def starts_frame(self, payload: bytes) -> bool:
        """Z=0 and the first OBU is a sequence header, frame (header) or metadata OBU."""
        if len(payload) < 2 or payload[0] & 0x80:
            return False
        pos = 1
        if (payload[0] >> 4) & 0x03 != 1:
            try:
                _, pos = read_leb128(payload, 1)
            except PayloadError:
                return False
            if pos >= len(payload):
                return False
        return (payload[pos] >> 3) & 0x0F in _FRAME_START_TYPES

    def is_keyframe(self, payload: bytes) -> bool:
        """The N bit: first packet of a coded video sequence (§4.4)."""
        return len(payload) >= 2 and bool(payload[0] & 0x08) and not payload[0] & 0x80

    def depacketize(
        self, payloads: Sequence[bytes], sequence_numbers: Sequence[int] | None = None
    ) -> bytes:
        check_sequence_numbers(payloads, sequence_numbers)
        obus: list[bytes] = []
        partial: list[bytes] | None = None
        for payload in payloads:
            header, elements = parse_av1_payload(payload)
            continues = bool(header & 0x80)
            if continues != (partial is not None):
                raise FrameLossError("AV1 Z bit does not match the previous packet's Y bit")
            for index, element in enumerate(elements):
                if index == 0 and partial is not None:
                    partial.append(element)
                    element = b"".join(partial)
                    partial = None
                if index == len(elements) - 1 and header & 0x40:
                    partial = [element]
                elif element:
                    obus.append(_restore_size(element))
        if partial is not None:
            raise FrameLossError("AV1 temporal unit ends inside an OBU (Y bit set)")
        kept = [o for o in obus if (o[0] >> 3) & 0x0F not in _NOT_SENT]
        return TEMPORAL_DELIMITER + b"".join(kept)

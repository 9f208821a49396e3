"""H.264 RTP payload format (RFC 6184), packetization modes 0 and 1, Annex-B in and out.

NAL unit header (RFC 6184 §1.3 / H.264 §7.3.1): ``|F|NRI|Type(5)|``. Payload structures
(§5.2): types 1-23 a single NAL unit (§5.6), 24 STAP-A (§5.7.1: header, then
``size(16) NAL`` repeated), 28 FU-A (§5.8: FU indicator ``|F|NRI|28|`` + FU header
``|S|E|R|Type|`` + a fragment). Mode 0 (§6.2) allows single NAL units only; mode 1 (§6.3) adds
STAP-A and FU-A. STAP-B, MTAPs and FU-B (mode 2) are not accepted.

The encoder side (libx264 through PyAV) speaks Annex B: NAL units behind 3- or 4-byte start
codes (H.264 Annex B.1). The packetizer splits on start codes; the depacketizer writes each
NAL unit behind a 4-byte start code. Small consecutive NAL units (SPS, PPS and a small IDR)
share a STAP-A; a NAL unit bigger than the payload becomes FU-As (mode 1) or is an error
(mode 0). The marker bit is set on the last packet of an access unit (§5.1).

Frame start: H.264 §7.4.1.2.3 — an access unit begins with an AUD, SPS, PPS, SEI (or types
14-18), or with the first VCL NAL unit of a picture, i.e. a slice whose first_mb_in_slice is 0
(ue(v) 0 is the single bit '1', so the first bit after the NAL header is set).
"""

from __future__ import annotations

from collections.abc import Sequence

from .payload import FrameLossError, PayloadError, check_sequence_numbers, split_evenly

__all__ = ["H264Depacketizer", "H264Packetizer", "split_annexb"]

STAP_A = 24
FU_A = 28
NAL_SLICE = 1
NAL_IDR = 5
NAL_SPS = 7
_AU_START_TYPES = frozenset({6, 7, 8, 9, 14, 15, 16, 17, 18})  # H.264 §7.4.1.2.3
_KEY_TYPES = frozenset({NAL_IDR, NAL_SPS})
START_CODE = b"\x00\x00\x00\x01"


def split_annexb(stream: bytes) -> list[bytes]:
    """NAL units of an Annex-B byte stream (start codes 00 00 01 / 00 00 00 01 removed)."""
    nals = []
    start = stream.find(b"\x00\x00\x01")
    while start >= 0:
        begin = start + 3
        nxt = stream.find(b"\x00\x00\x01", begin)
        end = len(stream) if nxt < 0 else nxt
        nal = stream[begin:end].rstrip(b"\x00") if nxt >= 0 else stream[begin:end]
        if nal:
            nals.append(nal)
        start = nxt
    return nals


def _starts_access_unit(nal_type: int, after_header: int) -> bool:
    if nal_type in _AU_START_TYPES:
        return True
    return nal_type in (NAL_SLICE, NAL_IDR) and bool(after_header & 0x80)


class H264Packetizer:
    """Annex-B access units -> RFC 6184 payloads (mode 1: single/STAP-A/FU-A; mode 0: single)."""

    def __init__(self, packetization_mode: int = 1) -> None:
        if packetization_mode not in (0, 1):
            raise ValueError("packetization-mode must be 0 or 1")
        self.packetization_mode = packetization_mode

    def packetize(self, frame: bytes, max_payload_size: int) -> list[bytes]:
        nals = split_annexb(frame)
        if not nals:
            raise ValueError("no NAL unit in the H.264 access unit")
        if max_payload_size < 3:
            raise ValueError("max_payload_size must be at least 3")
        if self.packetization_mode == 0:
            for nal in nals:
                if len(nal) > max_payload_size:
                    raise ValueError(
                        f"NAL unit of {len(nal)} bytes exceeds {max_payload_size} "
                        "in packetization-mode 0"
                    )
            return nals
        payloads: list[bytes] = []
        group: list[bytes] = []
        group_size = 1  # STAP-A NAL header
        for nal in nals:
            if len(nal) > max_payload_size:
                self._flush(group, payloads)
                group, group_size = [], 1
                payloads.extend(self._fragment(nal, max_payload_size))
            elif group_size + 2 + len(nal) <= max_payload_size:
                group.append(nal)
                group_size += 2 + len(nal)
            else:
                self._flush(group, payloads)
                group, group_size = [nal], 3 + len(nal)
        self._flush(group, payloads)
        return payloads

    @staticmethod
    def _flush(group: list[bytes], payloads: list[bytes]) -> None:
        """One NAL unit as is; several as a STAP-A (RFC 6184 §5.7.1)."""
        if len(group) == 1:
            payloads.append(group[0])
        elif group:
            f_nri = 0
            for nal in group:
                f_nri = max(f_nri, nal[0] & 0x60) | (nal[0] & 0x80)  # §5.7.1: max NRI, F OR-ed
            parts = [bytes((f_nri | STAP_A,))]
            for nal in group:
                parts.append(len(nal).to_bytes(2, "big"))
                parts.append(nal)
            payloads.append(b"".join(parts))

    @staticmethod
    def _fragment(nal: bytes, max_payload_size: int) -> list[bytes]:
        """FU-A fragments of one NAL unit (RFC 6184 §5.8); the NAL header is not sent."""
        indicator = (nal[0] & 0xE0) | FU_A
        nal_type = nal[0] & 0x1F
        body = memoryview(nal)[1:]
        sizes = split_evenly(len(body), max_payload_size - 2)
        out = []
        offset = 0
        for index, size in enumerate(sizes):
            header = nal_type
            if index == 0:
                header |= 0x80
            if index == len(sizes) - 1:
                header |= 0x40
            out.append(bytes((indicator, header)) + body[offset : offset + size])
            offset += size
        return out


def _stap_nals(payload: bytes) -> list[bytes]:
    nals = []
    pos = 1
    n = len(payload)
    while pos < n:
        if pos + 2 > n:
            raise PayloadError("STAP-A size field truncated")
        size = (payload[pos] << 8) | payload[pos + 1]
        pos += 2
        if size == 0 or pos + size > n:
            raise PayloadError("STAP-A NAL unit size out of range")
        nals.append(payload[pos : pos + size])
        pos += size
    if not nals:
        raise PayloadError("empty STAP-A")
    return nals


class H264Depacketizer:
    """RTP payloads of one access unit -> Annex-B (RFC 6184 §5.6-§5.8)."""

    def _first_nal(self, payload: bytes) -> tuple[int, int] | None:
        """(type, byte after the NAL header) of the payload's first NAL unit start, or None."""
        if len(payload) < 2:
            return None
        nal_type = payload[0] & 0x1F
        if nal_type == STAP_A:
            if len(payload) < 5:
                return None
            return payload[3] & 0x1F, payload[4]
        if nal_type == FU_A:
            if not payload[1] & 0x80 or len(payload) < 3:
                return None  # not the first fragment
            return payload[1] & 0x1F, payload[2]
        if 1 <= nal_type <= 23:
            return nal_type, payload[1]
        return None

    def starts_frame(self, payload: bytes) -> bool:
        first = self._first_nal(payload)
        return first is not None and _starts_access_unit(*first)

    def is_keyframe(self, payload: bytes) -> bool:
        """An access unit start carrying an IDR slice or an SPS."""
        first = self._first_nal(payload)
        if first is None or not _starts_access_unit(*first):
            return False
        if payload[0] & 0x1F != STAP_A:
            return first[0] in _KEY_TYPES
        try:
            return any(nal[0] & 0x1F in _KEY_TYPES for nal in _stap_nals(payload))
        except PayloadError:
            return False

    def depacketize(
        self, payloads: Sequence[bytes], sequence_numbers: Sequence[int] | None = None
    ) -> bytes:
        check_sequence_numbers(payloads, sequence_numbers)
        out: list[bytes] = []
        fragment: list[bytes] | None = None
        for payload in payloads:
            if not payload:
                raise PayloadError("empty H.264 payload")
            nal_type = payload[0] & 0x1F
            if nal_type == FU_A:
                fragment = self._fu_a(payload, fragment, out)
                continue
            if fragment is not None:
                raise FrameLossError("FU-A ends without its E bit")
            if 1 <= nal_type <= 23:
                out += (START_CODE, payload)
            elif nal_type == STAP_A:
                for nal in _stap_nals(payload):
                    out += (START_CODE, nal)
            else:
                raise PayloadError(f"H.264 payload type {nal_type} is not supported")
        if fragment is not None:
            raise FrameLossError("access unit ends inside an FU-A")
        return b"".join(out)

    @staticmethod
    def _fu_a(payload: bytes, fragment: list[bytes] | None, out: list[bytes]) -> list[bytes] | None:
        """Add one FU-A (RFC 6184 §5.8); return the open fragment list (None once complete)."""
        if len(payload) < 3:
            raise PayloadError("FU-A too short")
        header = payload[1]
        if header & 0x80:
            if fragment is not None:
                raise FrameLossError("FU-A start while another FU-A is open")
            fragment = [START_CODE, bytes(((payload[0] & 0xE0) | (header & 0x1F),))]
        elif fragment is None:
            raise FrameLossError("FU-A continuation without its start")
        fragment.append(payload[2:])
        if header & 0x40:
            out.extend(fragment)
            return None
        return fragment

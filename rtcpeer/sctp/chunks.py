"""SCTP chunks (RFC 9260 §3.3, RFC 3758 FORWARD-TSN, RFC 6525 RE-CONFIG): parse + serialize.

One class per chunk type. Each class has a ``type`` class attribute, a ``flags`` property,
``body()`` (the chunk value, unpadded) and ``from_body(flags, body)``. ``parse_chunks`` walks
the chunks of a packet, dispatching through :data:`CHUNK_CLASSES`; a chunk type it does not
know becomes :class:`UnknownChunk` (the association applies the upper-two-bits rule of
RFC 9260 §3.2). Malformed input raises :class:`ValueError`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import ClassVar, Self

_HDR = struct.Struct("!BBH")
_DATA_HDR = struct.Struct("!BBHIHHI")  # chunk header + tsn, stream id, ssn, ppid
DATA_HEADER = _DATA_HDR
_DATA_FIELDS = struct.Struct("!IHHI")
_INIT = struct.Struct("!IIHHI")
_SACK = struct.Struct("!IIHH")
_U32 = struct.Struct("!I")
_U16PAIR = struct.Struct("!HH")
_TLV = struct.Struct("!HH")

Tlv = tuple[int, bytes]

# Parameter types (RFC 9260 §3.3.2.1, RFC 3758, RFC 6525, RFC 5061)
PARAM_HEARTBEAT_INFO = 1
PARAM_STATE_COOKIE = 7
PARAM_UNRECOGNIZED = 8
PARAM_SUPPORTED_EXTENSIONS = 0x8008
PARAM_FORWARD_TSN_SUPPORTED = 0xC000
# rtcpeer's "Receive Packet Max" (u32: the largest SCTP packet this endpoint reads). Not an
# IANA-assigned type: the upper bits 10 make every other implementation skip it silently
# (RFC 9260 §3.2.1), so it only ever means something between two rtcpeer endpoints.
PARAM_RECEIVE_PACKET_MAX = 0xBF52
# Error cause codes (RFC 9260 §3.3.10)
CAUSE_UNRECOGNIZED_CHUNK = 6
CAUSE_NO_USER_DATA = 9
CAUSE_PROTOCOL_VIOLATION = 13
CAUSE_USER_INITIATED_ABORT = 12


def _pad(n: int) -> int:
    return -n & 3


def parse_tlvs(data: bytes) -> list[Tlv]:
    """Parse a list of type-length-value items (parameters or error causes)."""
    out: list[Tlv] = []
    pos, end = 0, len(data)
    while pos + 4 <= end:
        typ, length = _TLV.unpack_from(data, pos)
        if length < 4 or pos + length > end:
            raise ValueError("bad parameter length")
        out.append((typ, data[pos + 4 : pos + length]))
        pos += length + _pad(length)
    if pos < end:
        raise ValueError("trailing bytes after parameters")
    return out


def serialize_tlvs(items: list[Tlv]) -> bytes:
    parts = []
    for typ, value in items:
        parts.append(_TLV.pack(typ, 4 + len(value)) + value + b"\x00" * _pad(len(value)))
    return b"".join(parts)


class Chunk:
    """Base class of every chunk."""

    __slots__ = ()
    type: ClassVar[int]

    @property
    def flags(self) -> int:
        return 0

    def body(self) -> bytes:
        return b""

    @classmethod
    def from_body(cls, flags: int, body: bytes) -> Self:
        raise NotImplementedError  # pragma: no cover

    def serialize(self) -> bytes:
        body = self.body()
        return _HDR.pack(self.type, self.flags, 4 + len(body)) + body + b"\x00" * _pad(len(body))


def pack_data_chunk(tsn: int, sid: int, ssn: int, ppid: int, payload: bytes, flags: int) -> bytes:
    """A serialized, padded DATA chunk without building a :class:`DataChunk` (sender path)."""
    n = len(payload)
    hdr = _DATA_HDR.pack(0, flags, 16 + n, tsn, sid, ssn, ppid)
    pad = -n & 3
    return hdr + payload + b"\x00" * pad if pad else hdr + payload


@dataclass(slots=True)
class DataChunk(Chunk):
    """DATA (RFC 9260 §3.3.1). Flags: U=unordered, B=first fragment, E=last fragment."""

    type: ClassVar[int] = 0
    tsn: int
    stream_id: int
    ssn: int
    ppid: int
    user_data: bytes
    unordered: bool = False
    beginning: bool = True
    ending: bool = True
    immediate: bool = False

    @property
    def flags(self) -> int:
        return (self.immediate << 3) | (self.unordered << 2) | (self.beginning << 1) | self.ending

    def serialize(self) -> bytes:
        return pack_data_chunk(
            self.tsn, self.stream_id, self.ssn, self.ppid, self.user_data, self.flags
        )

    @classmethod
    def from_body(cls, flags: int, body: bytes) -> Self:
        if len(body) < 12:
            raise ValueError("DATA too short")
        tsn, sid, ssn, ppid = _DATA_FIELDS.unpack_from(body)
        return cls(
            tsn,
            sid,
            ssn,
            ppid,
            body[12:],
            unordered=bool(flags & 4),
            beginning=bool(flags & 2),
            ending=bool(flags & 1),
            immediate=bool(flags & 8),
        )


@dataclass(slots=True)
class InitChunk(Chunk):
    """INIT (RFC 9260 §3.3.2); ``params`` are raw (type, value) pairs."""

    type: ClassVar[int] = 1
    initiate_tag: int
    a_rwnd: int
    outbound_streams: int
    inbound_streams: int
    initial_tsn: int
    params: list[Tlv] = field(default_factory=list)

    def body(self) -> bytes:
        fixed = _INIT.pack(
            self.initiate_tag,
            self.a_rwnd,
            self.outbound_streams,
            self.inbound_streams,
            self.initial_tsn,
        )
        return fixed + serialize_tlvs(self.params)

    @classmethod
    def from_body(cls, flags: int, body: bytes) -> Self:
        if len(body) < 16:
            raise ValueError("INIT too short")
        tag, rwnd, nout, nin, tsn = _INIT.unpack_from(body)
        return cls(tag, rwnd, nout, nin, tsn, parse_tlvs(body[16:]))


@dataclass(slots=True)
class InitAckChunk(InitChunk):
    """INIT ACK (RFC 9260 §3.3.3); carries the State Cookie parameter."""

    type: ClassVar[int] = 2


@dataclass(slots=True)
class SackChunk(Chunk):
    """SACK (RFC 9260 §3.3.4). ``gaps`` are (start, end) offsets from ``cumulative_tsn``."""

    type: ClassVar[int] = 3
    cumulative_tsn: int
    a_rwnd: int
    gaps: list[tuple[int, int]] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)

    def body(self) -> bytes:
        parts = [_SACK.pack(self.cumulative_tsn, self.a_rwnd, len(self.gaps), len(self.duplicates))]
        parts += [_U16PAIR.pack(s, e) for s, e in self.gaps]
        parts += [_U32.pack(d) for d in self.duplicates]
        return b"".join(parts)

    @classmethod
    def from_body(cls, flags: int, body: bytes) -> Self:
        if len(body) < 12:
            raise ValueError("SACK too short")
        cum, rwnd, ngaps, ndups = _SACK.unpack_from(body)
        if len(body) < 12 + 4 * ngaps + 4 * ndups:
            raise ValueError("SACK truncated")
        gaps = [_U16PAIR.unpack_from(body, 12 + 4 * i) for i in range(ngaps)]
        base = 12 + 4 * ngaps
        dups = [_U32.unpack_from(body, base + 4 * i)[0] for i in range(ndups)]
        return cls(cum, rwnd, gaps, dups)


@dataclass(slots=True)
class HeartbeatChunk(Chunk):
    """HEARTBEAT (RFC 9260 §3.3.5); ``params`` holds the Heartbeat Info TLV."""

    type: ClassVar[int] = 4
    params: list[Tlv] = field(default_factory=list)

    def body(self) -> bytes:
        return serialize_tlvs(self.params)

    @classmethod
    def from_body(cls, flags: int, body: bytes) -> Self:
        return cls(parse_tlvs(body))


@dataclass(slots=True)
class HeartbeatAckChunk(HeartbeatChunk):
    """HEARTBEAT ACK (RFC 9260 §3.3.6): echoes the Heartbeat Info."""

    type: ClassVar[int] = 5


@dataclass(slots=True)
class AbortChunk(Chunk):
    """ABORT (RFC 9260 §3.3.7). T bit: the verification tag is reflected."""

    type: ClassVar[int] = 6
    causes: list[Tlv] = field(default_factory=list)
    reflected: bool = False

    @property
    def flags(self) -> int:
        return int(self.reflected)

    def body(self) -> bytes:
        return serialize_tlvs(self.causes)

    @classmethod
    def from_body(cls, flags: int, body: bytes) -> Self:
        return cls(parse_tlvs(body), bool(flags & 1))


@dataclass(slots=True)
class ShutdownChunk(Chunk):
    """SHUTDOWN (RFC 9260 §3.3.8)."""

    type: ClassVar[int] = 7
    cumulative_tsn: int

    def body(self) -> bytes:
        return _U32.pack(self.cumulative_tsn)

    @classmethod
    def from_body(cls, flags: int, body: bytes) -> Self:
        if len(body) < 4:
            raise ValueError("SHUTDOWN too short")
        return cls(_U32.unpack_from(body)[0])


@dataclass(slots=True)
class ShutdownAckChunk(Chunk):
    """SHUTDOWN ACK (RFC 9260 §3.3.9)."""

    type: ClassVar[int] = 8

    @classmethod
    def from_body(cls, flags: int, body: bytes) -> Self:
        return cls()


@dataclass(slots=True)
class ErrorChunk(Chunk):
    """ERROR (RFC 9260 §3.3.10): a list of error causes."""

    type: ClassVar[int] = 9
    causes: list[Tlv] = field(default_factory=list)

    def body(self) -> bytes:
        return serialize_tlvs(self.causes)

    @classmethod
    def from_body(cls, flags: int, body: bytes) -> Self:
        return cls(parse_tlvs(body))


@dataclass(slots=True)
class CookieEchoChunk(Chunk):
    """COOKIE ECHO (RFC 9260 §3.3.11)."""

    type: ClassVar[int] = 10
    cookie: bytes

    def body(self) -> bytes:
        return self.cookie

    @classmethod
    def from_body(cls, flags: int, body: bytes) -> Self:
        return cls(body)


@dataclass(slots=True)
class CookieAckChunk(Chunk):
    """COOKIE ACK (RFC 9260 §3.3.12)."""

    type: ClassVar[int] = 11

    @classmethod
    def from_body(cls, flags: int, body: bytes) -> Self:
        return cls()


@dataclass(slots=True)
class ShutdownCompleteChunk(Chunk):
    """SHUTDOWN COMPLETE (RFC 9260 §3.3.13). T bit: the verification tag is reflected."""

    type: ClassVar[int] = 14
    reflected: bool = False

    @property
    def flags(self) -> int:
        return int(self.reflected)

    @classmethod
    def from_body(cls, flags: int, body: bytes) -> Self:
        return cls(bool(flags & 1))


@dataclass(slots=True)
class ForwardTsnChunk(Chunk):
    """FORWARD TSN (RFC 3758 §3.2): new cumulative TSN and (stream, ssn) pairs."""

    type: ClassVar[int] = 192
    new_cumulative_tsn: int
    streams: list[tuple[int, int]] = field(default_factory=list)

    def body(self) -> bytes:
        return _U32.pack(self.new_cumulative_tsn) + b"".join(
            _U16PAIR.pack(s, n) for s, n in self.streams
        )

    @classmethod
    def from_body(cls, flags: int, body: bytes) -> Self:
        if len(body) < 4 or len(body) % 4:
            raise ValueError("bad FORWARD TSN length")
        streams = [_U16PAIR.unpack_from(body, p) for p in range(4, len(body), 4)]
        return cls(_U32.unpack_from(body)[0], streams)


@dataclass(slots=True)
class PadChunk(Chunk):
    """PAD (RFC 4820 §3): ``length`` bytes of padding, ignored by the receiver.

    Type 0x84: its upper bits ``10`` tell an endpoint that does not know it to skip it
    silently and go on with the packet (RFC 9260 §3.2). Used to size PLPMTUD probes.
    """

    type: ClassVar[int] = 0x84
    length: int = 0

    def body(self) -> bytes:
        return bytes(self.length)

    @classmethod
    def from_body(cls, flags: int, body: bytes) -> Self:
        return cls(len(body))


@dataclass(slots=True)
class UnknownChunk(Chunk):
    """A chunk type this implementation does not know; kept raw (RFC 9260 §3.2)."""

    type: ClassVar[int] = -1
    chunk_type: int
    chunk_flags: int = 0
    value: bytes = b""

    @property
    def flags(self) -> int:
        return self.chunk_flags

    def body(self) -> bytes:
        return self.value

    def serialize(self) -> bytes:
        body = self.value
        return (
            _HDR.pack(self.chunk_type, self.chunk_flags, 4 + len(body))
            + body
            + (b"\x00" * _pad(len(body)))
        )


# RE-CONFIG parameters (RFC 6525 §4)
PARAM_OUTGOING_RESET = 13
PARAM_INCOMING_RESET = 14
PARAM_RECONFIG_RESPONSE = 16
_OUT_RESET = struct.Struct("!III")

# Re-configuration Response results (RFC 6525 §4.4)
RESULT_NOTHING_TO_DO = 0
RESULT_PERFORMED = 1
RESULT_DENIED = 2
RESULT_ERROR_WRONG_SSN = 3
RESULT_ERROR_IN_PROGRESS = 4
RESULT_ERROR_BAD_SEQUENCE = 5
RESULT_IN_PROGRESS = 6


@dataclass(slots=True, frozen=True)
class OutgoingSsnResetRequest:
    """Outgoing SSN Reset Request Parameter (RFC 6525 §4.1)."""

    request_seq: int
    response_seq: int
    last_tsn: int
    streams: tuple[int, ...] = ()

    def to_tlv(self) -> Tlv:
        value = _OUT_RESET.pack(self.request_seq, self.response_seq, self.last_tsn)
        return PARAM_OUTGOING_RESET, value + b"".join(struct.pack("!H", s) for s in self.streams)

    @classmethod
    def from_value(cls, value: bytes) -> Self:
        if len(value) < 12 or len(value) % 2:
            raise ValueError("bad outgoing reset request")
        streams = struct.unpack_from(f"!{(len(value) - 12) // 2}H", value, 12)
        req, resp, last = _OUT_RESET.unpack_from(value)
        return cls(req, resp, last, tuple(streams))


@dataclass(slots=True, frozen=True)
class IncomingSsnResetRequest:
    """Incoming SSN Reset Request Parameter (RFC 6525 §4.2)."""

    request_seq: int
    streams: tuple[int, ...] = ()

    def to_tlv(self) -> Tlv:
        value = _U32.pack(self.request_seq)
        return PARAM_INCOMING_RESET, value + b"".join(struct.pack("!H", s) for s in self.streams)

    @classmethod
    def from_value(cls, value: bytes) -> Self:
        if len(value) < 4 or len(value) % 2:
            raise ValueError("bad incoming reset request")
        streams = struct.unpack_from(f"!{(len(value) - 4) // 2}H", value, 4)
        return cls(_U32.unpack_from(value)[0], tuple(streams))


@dataclass(slots=True, frozen=True)
class ReconfigResponse:
    """Re-configuration Response Parameter (RFC 6525 §4.4)."""

    response_seq: int
    result: int
    sender_next_tsn: int | None = None
    receiver_next_tsn: int | None = None

    def to_tlv(self) -> Tlv:
        value = struct.pack("!II", self.response_seq, self.result)
        if self.sender_next_tsn is not None and self.receiver_next_tsn is not None:
            value += struct.pack("!II", self.sender_next_tsn, self.receiver_next_tsn)
        return PARAM_RECONFIG_RESPONSE, value

    @classmethod
    def from_value(cls, value: bytes) -> Self:
        if len(value) == 8:
            return cls(*struct.unpack("!II", value))
        if len(value) == 16:
            return cls(*struct.unpack("!IIII", value))
        raise ValueError("bad re-configuration response")


ReconfigParam = OutgoingSsnResetRequest | IncomingSsnResetRequest | ReconfigResponse | Tlv
_RECONFIG_PARAMS: dict[
    int, type[OutgoingSsnResetRequest | IncomingSsnResetRequest | ReconfigResponse]
] = {
    PARAM_OUTGOING_RESET: OutgoingSsnResetRequest,
    PARAM_INCOMING_RESET: IncomingSsnResetRequest,
    PARAM_RECONFIG_RESPONSE: ReconfigResponse,
}


@dataclass(slots=True)
class ReconfigChunk(Chunk):
    """RE-CONFIG (RFC 6525 §3.1); unknown parameters are kept as raw (type, value) pairs."""

    type: ClassVar[int] = 130
    params: list[ReconfigParam] = field(default_factory=list)

    def body(self) -> bytes:
        tlvs = [p if isinstance(p, tuple) else p.to_tlv() for p in self.params]
        return serialize_tlvs(tlvs)

    @classmethod
    def from_body(cls, flags: int, body: bytes) -> Self:
        params: list[ReconfigParam] = []
        for typ, value in parse_tlvs(body):
            pcls = _RECONFIG_PARAMS.get(typ)
            params.append((typ, value) if pcls is None else pcls.from_value(value))
        return cls(params)


CHUNK_CLASSES: dict[int, type[Chunk]] = {
    cls.type: cls
    for cls in (
        DataChunk,
        InitChunk,
        InitAckChunk,
        SackChunk,
        HeartbeatChunk,
        HeartbeatAckChunk,
        AbortChunk,
        ShutdownChunk,
        ShutdownAckChunk,
        ErrorChunk,
        CookieEchoChunk,
        CookieAckChunk,
        ShutdownCompleteChunk,
        ForwardTsnChunk,
        ReconfigChunk,
        PadChunk,
    )
}


def parse_chunks(data: bytes, pos: int = 0) -> list[Chunk]:
    """Parse every chunk of ``data`` from ``pos``; raise ValueError on truncation."""
    chunks: list[Chunk] = []
    end = len(data)
    classes = CHUNK_CLASSES
    while pos < end:
        if pos + 4 > end:
            raise ValueError("truncated chunk header")
        typ, flags, length = _HDR.unpack_from(data, pos)
        if length < 4 or pos + length > end:
            raise ValueError("bad chunk length")
        if typ == 0 and length >= 16:  # DATA, the hot path: no body copy, no keywords
            tsn, sid, ssn, ppid = _DATA_FIELDS.unpack_from(data, pos + 4)
            chunks.append(
                DataChunk(
                    tsn,
                    sid,
                    ssn,
                    ppid,
                    data[pos + 16 : pos + length],
                    bool(flags & 4),
                    bool(flags & 2),
                    bool(flags & 1),
                    bool(flags & 8),
                )
            )
            pos += length + _pad(length)
            continue
        body = data[pos + 4 : pos + length]
        cls = classes.get(typ)
        if cls is None:
            chunks.append(UnknownChunk(typ, flags, body))
        else:
            chunks.append(cls.from_body(flags, body))
        pos += length + _pad(length)
    return chunks


__all__ = [
    "CHUNK_CLASSES",
    "AbortChunk",
    "Chunk",
    "CookieAckChunk",
    "CookieEchoChunk",
    "DataChunk",
    "ErrorChunk",
    "ForwardTsnChunk",
    "HeartbeatAckChunk",
    "HeartbeatChunk",
    "IncomingSsnResetRequest",
    "InitAckChunk",
    "InitChunk",
    "OutgoingSsnResetRequest",
    "PadChunk",
    "ReconfigChunk",
    "ReconfigResponse",
    "SackChunk",
    "ShutdownAckChunk",
    "ShutdownChunk",
    "ShutdownCompleteChunk",
    "UnknownChunk",
    "pack_data_chunk",
    "parse_chunks",
    "parse_tlvs",
    "serialize_tlvs",
]

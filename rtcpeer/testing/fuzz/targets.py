"""The fuzz targets of rtcpeer's parsers and cores (the signaling codec's: signaling._fuzz).

Each is a :class:`~.engine.Target`: a session factory, a seed directory and, for binary
formats, where the length fields are (so mutations can lie about lengths) and a fixup
(SCTP: recompute the CRC32c, or nearly every mutation would stop at the checksum).
To add a target: a session class with ``feed(data)`` (see :mod:`.media` for RTP and SRTP) and one
``Target(...)`` entry in :func:`rtcpeer_targets`.
"""

from __future__ import annotations

import random
from pathlib import Path

from rtcpeer._mux import is_rtcp
from rtcpeer._negotiation import parse_remote
from rtcpeer.errors import InvalidAccessError, SdpParseError
from rtcpeer.sctp.crc32c import crc32c
from rtcpeer.sdp import parse, serialize
from rtcpeer.testing.fuzz import corpus
from rtcpeer.testing.fuzz.engine import Target
from rtcpeer.testing.fuzz.media import RtpSessionFuzz, SrtpSessionFuzz
from rtcpeer.testing.fuzz.sessions import DcepSession, DtlsSession, SctpSession


class OracleError(AssertionError):
    """A parser broke its contract (e.g. an error type or a round trip it promises)."""


class SdpSession:
    """``setRemoteDescription``'s reading of SDP text: parse + validate + read.

    Contract: only SdpParseError naming its line, or InvalidAccessError (valid syntax, not
    appliable); whatever parses serializes, and the serialization parses to the same model."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def feed(self, data: bytes) -> None:
        text = data.decode("utf-8", errors="replace")
        kind = "offer" if self.rng.random() < 0.5 else "answer"
        try:
            desc = parse_remote(text, kind).desc
        except SdpParseError as exc:
            if exc.line_number is None:
                raise OracleError(f"SdpParseError without a line: {exc}") from exc
            return
        except InvalidAccessError:
            desc = parse(text)  # it parsed; only the validation refused it
        again = serialize(desc)
        try:
            reparsed = parse(again)
        except SdpParseError as exc:
            raise OracleError(f"serialize() output does not parse: {exc}") from exc
        if reparsed != desc:
            raise OracleError("serialize() output parses to a different model")


def sctp_length_fields(data: bytes) -> list[tuple[int, int]]:
    """Chunk length fields (RFC 9260 §3.2), walking the chunks as a receiver would."""
    fields: list[tuple[int, int]] = []
    pos = 12
    while pos + 4 <= len(data) and len(fields) < 16:
        fields.append((pos + 2, 2))
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if length < 4:
            break
        pos += (length + 3) & ~3
    return fields


def sctp_fix_crc(data: bytes) -> bytes:
    """Recompute the CRC32c (RFC 9260 Appendix A) over the mutated packet."""
    if len(data) < 12:
        return data
    zeroed = data[:8] + b"\x00\x00\x00\x00" + data[12:]
    return data[:8] + crc32c(zeroed).to_bytes(4, "little") + data[12:]


def dcep_length_fields(data: bytes) -> list[tuple[int, int]]:
    """DATA_CHANNEL_OPEN label/protocol lengths (RFC 8832 §5.1), after the 6-byte prefix."""
    if len(data) >= 6 + 12 and data[6] == 0x03:
        return [(6 + 8, 2), (6 + 10, 2), (6 + 2, 2), (0, 2)]
    return [(0, 2)]  # the stream id


def dtls_length_fields(data: bytes) -> list[tuple[int, int]]:
    """DTLS record lengths (RFC 6347 §4.1) and plaintext handshake header fields (§4.2.2)."""
    fields: list[tuple[int, int]] = []
    pos = 0
    while pos + 13 <= len(data) and len(fields) < 16:
        fields.append((pos + 11, 2))
        epoch = int.from_bytes(data[pos + 3 : pos + 5], "big")
        if data[pos] == 22 and epoch == 0 and pos + 25 <= len(data):
            fields += [(pos + 14, 3), (pos + 17, 2), (pos + 19, 3), (pos + 22, 3)]
        pos += 13 + int.from_bytes(data[pos + 11 : pos + 13], "big")
    return fields


def rtp_length_fields(data: bytes) -> list[tuple[int, int]]:
    """RTCP packet lengths (RFC 3550 §6.4.1, walking the compound); RTP: the CSRC count's
    byte and the header-extension length (RFC 3550 §5.3.1, RFC 8285 §4.2)."""
    if is_rtcp(data):
        fields: list[tuple[int, int]] = []
        pos = 0
        while pos + 4 <= len(data) and len(fields) < 16:
            fields.append((pos + 2, 2))
            pos += 4 + 4 * int.from_bytes(data[pos + 2 : pos + 4], "big")
        return fields
    if len(data) < 12:
        return []
    fields = [(0, 1)]
    ext = 12 + 4 * (data[0] & 0x0F)
    if data[0] & 0x10 and ext + 4 <= len(data):
        fields.append((ext + 2, 2))
    return fields


def rtcpeer_targets(fixtures: Path) -> dict[str, Target]:
    """``fixtures`` is tests/fixtures (SDPs in sdp/, recorded seeds in fuzz/<target>/)."""
    fuzz = fixtures / "fuzz"
    return {
        "sdp": Target(
            "sdp",
            SdpSession,
            lambda: [p.read_bytes() for p in sorted((fixtures / "sdp").glob("*.sdp"))],
            session_inputs=1_000_000,
            text=True,
        ),
        "sctp": Target(
            "sctp",
            SctpSession,
            lambda: corpus.load(fuzz / "sctp"),
            session_inputs=300,
            length_fields=sctp_length_fields,
            fixup=sctp_fix_crc,
        ),
        "dcep": Target(
            "dcep",
            DcepSession,
            lambda: corpus.load(fuzz / "dcep"),
            session_inputs=300,
            length_fields=dcep_length_fields,
        ),
        "dtls": Target(
            "dtls",
            DtlsSession,
            lambda: corpus.load(fuzz / "dtls"),
            session_inputs=80,
            length_fields=dtls_length_fields,
        ),
        "rtp": Target(
            "rtp",
            RtpSessionFuzz,
            lambda: corpus.load(fuzz / "rtp"),
            session_inputs=500,
            length_fields=rtp_length_fields,
        ),
        "srtp": Target(
            "srtp",
            SrtpSessionFuzz,
            lambda: corpus.load(fuzz / "srtp"),
            session_inputs=200,
        ),
    }

"""Association set-up pieces that need no association state (RFC 9260 §5.1): the parameters
we put in INIT/INIT-ACK, what we read from the peer's, and the HMAC-signed state cookie.

The cookie carries everything needed to build the association when COOKIE-ECHO arrives, so
an INIT costs the listener no state (§5.1.3). Its MAC key is the association's random secret.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from typing import NamedTuple

from rtcpeer.sctp import chunks as ch

COOKIE_LIFETIME = 60.0  # s; an older COOKIE-ECHO is stale (§5.1.5)
EXT_FWD, EXT_RECONF = 1, 2  # peer feature bits: FORWARD-TSN (RFC 3758), RE-CONFIG (RFC 6525)
_EXTENSIONS = bytes([ch.ForwardTsnChunk.type, ch.ReconfigChunk.type])
_COOKIE = struct.Struct("!IIIIIHHdBI")
_MAC_SIZE = 32  # HMAC-SHA256


class StateCookie(NamedTuple):
    """What a valid cookie says: our tag and ITSN, and the peer's INIT values."""

    tag: int
    peer_tag: int
    itsn: int
    peer_itsn: int
    peer_rwnd: int
    peer_outbound_streams: int
    peer_inbound_streams: int
    created: float
    features: int
    peer_max_packet: int


def init_params(local_max_packet: int) -> list[ch.Tlv]:
    """Supported Extensions (FORWARD-TSN, RE-CONFIG), Forward-TSN-Supported, and the largest
    SCTP packet we read (rtcpeer's own 0xBF52 parameter, see plpmtud.py)."""
    params: list[ch.Tlv] = [
        (ch.PARAM_SUPPORTED_EXTENSIONS, _EXTENSIONS),
        (ch.PARAM_FORWARD_TSN_SUPPORTED, b""),
    ]
    if local_max_packet:
        params.append((ch.PARAM_RECEIVE_PACKET_MAX, struct.pack("!I", local_max_packet)))
    return params


def make_cookie(
    secret: bytes, tag: int, init: ch.InitChunk, itsn: int, features: int, now: float
) -> bytes:
    body = _COOKIE.pack(
        tag,
        init.initiate_tag,
        itsn,
        init.initial_tsn,
        init.a_rwnd,
        init.outbound_streams,
        init.inbound_streams,
        now,
        features,
        peer_max_packet(init.params),
    )
    return body + hmac.new(secret, body, hashlib.sha256).digest()


def open_cookie(secret: bytes, cookie: bytes, now: float) -> StateCookie | None:
    """The cookie's contents, or None if it is malformed, forged or stale."""
    n = _COOKIE.size
    if len(cookie) != n + _MAC_SIZE:
        return None
    body, mac = cookie[:n], cookie[n:]
    if not hmac.compare_digest(mac, hmac.new(secret, body, hashlib.sha256).digest()):
        return None
    state = StateCookie(*_COOKIE.unpack(body))
    if now - state.created > COOKIE_LIFETIME:
        return None
    return state


def peer_max_packet(params: list[ch.Tlv]) -> int:
    """The largest SCTP packet the peer says it reads (0: not announced)."""
    for typ, value in params:
        if typ == ch.PARAM_RECEIVE_PACKET_MAX and len(value) == 4:
            size: int = struct.unpack("!I", value)[0]
            return size
    return 0


def features(params: list[ch.Tlv]) -> int:
    """The peer's EXT_* bits from its Supported Extensions / Forward-TSN-Supported."""
    bits = 0
    for typ, value in params:
        if typ == ch.PARAM_FORWARD_TSN_SUPPORTED:
            bits |= EXT_FWD
        elif typ == ch.PARAM_SUPPORTED_EXTENSIONS:
            if ch.ForwardTsnChunk.type in value:
                bits |= EXT_FWD
            if ch.ReconfigChunk.type in value:
                bits |= EXT_RECONF
    return bits


_KNOWN_PARAMS = frozenset(
    (
        ch.PARAM_SUPPORTED_EXTENSIONS,
        ch.PARAM_FORWARD_TSN_SUPPORTED,
        ch.PARAM_STATE_COOKIE,
        ch.PARAM_RECEIVE_PACKET_MAX,
        5,
        6,
        9,
        11,
        0x8002,
        0x8001,
    )
)


def unrecognized_params(params: list[ch.Tlv]) -> list[ch.Tlv]:
    """Parameters to report back in INIT-ACK (RFC 9260 §3.2.1, upper bits 01 or 11)."""
    report = []
    for typ, value in params:
        if typ not in _KNOWN_PARAMS and typ & 0x4000:
            report.append((ch.PARAM_UNRECOGNIZED, ch.serialize_tlvs([(typ, value)])))
    return report

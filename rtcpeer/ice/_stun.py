"""One-pass encoding of signed STUN messages, for the checks an idle connection keeps sending.

aioice serializes a signed message three times (for MESSAGE-INTEGRITY, for FINGERPRINT, then
to send it) and packs XOR-MAPPED-ADDRESS byte by byte each time; consent checks and their
answers (RFC 7675) are most of what an idle connection costs. :func:`encode_signed` packs the
attributes once with aioice's own attribute packers (XOR-MAPPED-ADDRESS with whole-word XOR)
and appends MESSAGE-INTEGRITY (RFC 8489 §14.5: HMAC-SHA1 over the message up to it, with the
header length counting it) and FINGERPRINT (§14.7: CRC-32 of the message up to it, XOR
0x5354554e, the header length counting it). The bytes equal aioice's
``add_message_integrity`` + ``bytes()`` (tests/unit/ice/test_stun_encoding.py).
"""

from __future__ import annotations

import hmac
import socket
import struct
import zlib

from aioice import stun

_COOKIE = 0x2112A442
_COOKIE_BYTES = _COOKIE.to_bytes(4, "big")
_FINGERPRINT_XOR = 0x5354554E
_INTEGRITY_HEADER = struct.pack("!HH", 0x0008, 20)
_FINGERPRINT_HEADER = struct.pack("!HH", 0x8028, 4)
_XOR_MAPPED_ADDRESS = 0x0020
_SKIPPED = ("MESSAGE-INTEGRITY", "FINGERPRINT")


def xor_address(addr: tuple[str, int], transaction_id: bytes) -> bytes:
    """XOR-MAPPED-ADDRESS value (RFC 8489 §14.2)."""
    host, port = addr[0], addr[1]
    if ":" in host:
        family, packed, pad = 2, socket.inet_pton(socket.AF_INET6, host), _COOKIE_BYTES
        pad += transaction_id
    else:
        family, packed, pad = 1, socket.inet_aton(host), _COOKIE_BYTES
    masked = (int.from_bytes(packed, "big") ^ int.from_bytes(pad, "big")).to_bytes(
        len(packed), "big"
    )
    return struct.pack("!BBH", 0, family, port ^ (_COOKIE >> 16)) + masked


def encode_signed(message: stun.Message, key: bytes) -> bytes:
    """``message`` with MESSAGE-INTEGRITY (short-term ``key``) and FINGERPRINT, in one pass."""
    parts: list[bytes] = []
    for name, value in message.attributes.items():
        if name in _SKIPPED:
            continue
        attr_type, _, pack, _ = stun.ATTRIBUTES_BY_NAME[name]
        if attr_type == _XOR_MAPPED_ADDRESS:
            data = xor_address(value, message.transaction_id)
        else:
            data = pack(value)
        parts.append(struct.pack("!HH", attr_type, len(data)))
        parts.append(data)
        if len(data) % 4:
            parts.append(bytes(4 - len(data) % 4))
    body = b"".join(parts)
    kind = message.message_method | message.message_class
    length = len(body) + 24
    signed = struct.pack("!HHI12s", kind, length, _COOKIE, message.transaction_id) + body
    signed += _INTEGRITY_HEADER + hmac.digest(key, signed, "sha1")
    signed = signed[:2] + struct.pack("!H", length + 8) + signed[4:]
    crc = zlib.crc32(signed) ^ _FINGERPRINT_XOR
    return signed + _FINGERPRINT_HEADER + crc.to_bytes(4, "big")

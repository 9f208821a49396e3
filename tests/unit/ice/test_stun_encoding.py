"""rtcpeer/ice/_stun.py encodes signed STUN messages exactly as aioice does, in one pass."""

from __future__ import annotations

import pytest
from aioice import stun

from rtcpeer.ice._stun import encode_signed

KEY = b"0123456789abcdefghijkl"


def _aioice_bytes(message: stun.Message) -> bytes:
    message.add_message_integrity(KEY)
    return bytes(message)


def _request(controlling: bool, nominate: bool) -> stun.Message:
    message = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
    message.attributes["USERNAME"] = "abcd:efghi"  # 10 bytes: exercises padding
    message.attributes["PRIORITY"] = 1853824767
    if controlling:
        message.attributes["ICE-CONTROLLING"] = 0x1234567890ABCDEF
        if nominate:
            message.attributes["USE-CANDIDATE"] = None
    else:
        message.attributes["ICE-CONTROLLED"] = 42
    return message


@pytest.mark.parametrize(("controlling", "nominate"), [(True, True), (True, False), (False, False)])
def test_request_matches_aioice(controlling: bool, nominate: bool) -> None:
    message = _request(controlling, nominate)
    ours = encode_signed(message, KEY)
    assert ours == _aioice_bytes(message)
    parsed = stun.parse_message(ours)
    assert parsed.check_message_integrity(KEY)
    assert parsed.attributes["USERNAME"] == "abcd:efghi"


@pytest.mark.parametrize("addr", [("10.99.0.1", 50000), ("2001:db8::1:2", 9), ("127.0.0.1", 1)])
def test_response_with_xor_mapped_address_matches_aioice(addr: tuple[str, int]) -> None:
    message = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.RESPONSE)
    message.attributes["XOR-MAPPED-ADDRESS"] = addr
    ours = encode_signed(message, KEY)
    assert ours == _aioice_bytes(message)
    assert stun.parse_message(ours).attributes["XOR-MAPPED-ADDRESS"] == addr


def test_error_response_matches_aioice() -> None:
    message = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.ERROR)
    message.attributes["ERROR-CODE"] = (400, "Stale ICE generation")
    assert encode_signed(message, KEY) == _aioice_bytes(message)

"""IceCandidateInfo: SDP round trips and conversion to/from aioice."""

from __future__ import annotations

import aioice
import pytest

from rtcpeer.ice import IceCandidateInfo
from rtcpeer.ice.candidate import from_aioice, to_aioice

LINES = [
    "1 1 udp 2122260223 192.0.2.1 54321 typ host",
    "842163049 1 udp 1677729535 198.51.100.7 40001 typ srflx raddr 192.0.2.1 rport 54321",
    "3 1 udp 16777215 203.0.113.9 50000 typ relay raddr 0.0.0.0 rport 9",
    "4 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active",
    "5 1 udp 2122262783 2001:db8::1 5000 typ host generation 0 ufrag abcd",
    "6 1 udp 2122260223 4b5c6d7e-aaaa-bbbb-cccc-1234567890ab.local 6000 typ host",
]


@pytest.mark.parametrize("line", LINES)
def test_round_trip(line: str) -> None:
    c = IceCandidateInfo.from_sdp(line)
    assert c.to_sdp() == line
    assert c.to_candidate_string() == "candidate:" + line
    assert IceCandidateInfo.from_sdp("candidate:" + line) == c
    assert IceCandidateInfo.from_sdp("a=candidate:" + line) == c


def test_fields_and_browser_form() -> None:
    c = IceCandidateInfo.from_sdp(
        "candidate:842163049 1 udp 1677729535 198.51.100.7 40001 typ srflx raddr 192.0.2.1 "
        "rport 54321 generation 0 ufrag EsAw network-id 1 network-cost 10"
    )
    assert c.foundation == "842163049" and c.component == 1 and c.transport == "udp"
    assert c.priority == 1677729535 and c.address == "198.51.100.7" and c.port == 40001
    assert c.type == "srflx" and c.related_address == "192.0.2.1" and c.related_port == 54321
    assert c.ufrag == "EsAw" and c.generation == 0
    assert c.network_id == 1 and c.network_cost == 10
    assert c.is_ip_literal


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "candidate:",
        "1 1 udp 1 1.2.3.4 5 host",
        "1 1 udp 1 1.2.3.4 5 typ",
        "1 x udp 1 1.2.3.4 5 typ host",
        "1 1 udp 1 1.2.3.4 port typ host",
        "1 1 udp 1 1.2.3.4 70000 typ host",
        "1 0 udp 1 1.2.3.4 5 typ host",
        "1 1 udp 1 1.2.3.4 5 typ host raddr",
        "1 1 udp 1 1.2.3.4 5 typ srflx raddr 1.1.1.1 rport x",
    ],
)
def test_malformed(bad: str) -> None:
    with pytest.raises(ValueError):
        IceCandidateInfo.from_sdp(bad)


def test_aioice_round_trip() -> None:
    c = IceCandidateInfo.from_sdp(LINES[1])
    a = to_aioice(c)
    assert isinstance(a, aioice.Candidate)
    assert a.to_sdp() == LINES[1]
    back = from_aioice(a)
    assert back == c
    assert from_aioice(a, ufrag="EsAw").ufrag == "EsAw"
    assert aioice.Candidate.from_sdp(c.to_sdp()).to_sdp() == c.to_sdp()

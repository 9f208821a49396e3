"""The candidate attribute grammar (RFC 8839 §5.1)."""

from __future__ import annotations

import pytest

from rtcpeer.errors import SdpParseError
from rtcpeer.sdp import IceCandidateInfo

MDNS = (
    "candidate:1 1 udp 2113937151 3f0e5a0b-0b29-4a3e-8a0f-6a1a8f0b9c1d.local 54400 typ host "
    "generation 0 network-cost 999"
)
IPV6 = "candidate:2 1 UDP 2122262783 2001:db8::1 40000 typ host"
TCP = "candidate:3 1 tcp 1518280447 192.168.1.5 9 typ host tcptype active generation 0"
SRFLX = (
    "candidate:842163049 1 udp 1677729535 203.0.113.7 61234 typ srflx "
    "raddr 192.168.1.5 rport 50000 generation 0 ufrag Abcd network-id 1 network-cost 10"
)
RELAY = "candidate:4 2 udp 41885439 198.51.100.1 3478 typ relay raddr 0.0.0.0 rport 0 x-ext val"


def test_mdns_host() -> None:
    c = IceCandidateInfo.from_sdp(MDNS)
    assert c.is_mdns and c.address.endswith(".local")
    assert (c.type, c.port, c.generation, c.network_cost) == ("host", 54400, 0, 999)
    assert c.to_candidate_string() == MDNS


def test_ipv6_and_transport_case() -> None:
    c = IceCandidateInfo.from_sdp(IPV6)
    assert c.address == "2001:db8::1" and c.transport == "udp"
    assert c.raw == IPV6
    assert c.to_candidate_string() == IPV6.replace("UDP", "udp")


def test_tcp_tcptype() -> None:
    c = IceCandidateInfo.from_sdp(TCP)
    assert (c.transport, c.tcptype, c.port) == ("tcp", "active", 9)
    assert c.to_candidate_string() == TCP


def test_srflx_with_raddr_and_browser_extensions() -> None:
    c = IceCandidateInfo.from_sdp(SRFLX)
    assert (c.type, c.related_address, c.related_port) == ("srflx", "192.168.1.5", 50000)
    assert (c.ufrag, c.network_id, c.network_cost) == ("Abcd", 1, 10)
    assert c.to_candidate_string() == SRFLX


def test_unknown_extensions_are_preserved() -> None:
    c = IceCandidateInfo.from_sdp(RELAY)
    assert c.component == 2 and c.extensions == (("x-ext", "val"),)
    assert c.to_candidate_string() == RELAY


@pytest.mark.parametrize("prefix", ["", "candidate:", "a=candidate:"])
def test_prefixes(prefix: str) -> None:
    body = TCP.removeprefix("candidate:")
    assert IceCandidateInfo.from_sdp(prefix + body) == IceCandidateInfo.from_sdp(TCP)


def test_frozen_and_raw_not_compared() -> None:
    a = IceCandidateInfo.from_sdp(IPV6)
    b = IceCandidateInfo.from_sdp(IPV6.replace("UDP", "udp"))
    assert a == b and a.raw != b.raw
    with pytest.raises(AttributeError):
        a.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    "text",
    [
        "candidate:1 1 udp 1 1.2.3.4 9",  # too short
        "candidate:1 1 udp 1 1.2.3.4 9 type host",  # not "typ"
        "candidate:1 0 udp 1 1.2.3.4 9 typ host",  # component 0
        "candidate:1 1 udp x 1.2.3.4 9 typ host",  # priority
        "candidate:1 1 udp 4294967296 1.2.3.4 9 typ host",  # priority > 2^32-1
        "candidate:1 1 udp 1 1.2.3.4 65536 typ host",  # port
        "candidate:1 1 udp 1 999.2.3.4 9 typ host",  # looks numeric, is no address
        "candidate:1 1 udp 1 bad_host 9 typ host",  # underscore
        "candidate:1 1 udp 1 1.2.3.4 9 typ host raddr",  # extension without value
        "candidate:1 1 udp 1 1.2.3.4 9 typ srflx raddr 1.2.3.4",  # raddr without rport
        "candidate:1 1 tcp 1 1.2.3.4 9 typ host tcptype sideways",
        "candidate:1 1 udp 1 1.2.3.4 9 typ host generation x",
        "candidate:!! 1 udp 1 1.2.3.4 9 typ host",  # foundation chars
        "candidate:1 1 udp 1 1.2.3.4 9 typ host  generation 0",  # double space
    ],
)
def test_bad_candidates(text: str) -> None:
    with pytest.raises(SdpParseError):
        IceCandidateInfo.from_sdp(text)

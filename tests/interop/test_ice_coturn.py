"""IceAgent against a real coturn: srflx, relay over UDP/TCP/TLS, relay-only connections,
TURN error reporting, and a dead STUN server next to a live one."""

from __future__ import annotations

import asyncio
import socket
import ssl
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rtcpeer.ice import IceAgent, IceCandidateError, IceCandidateInfo, IceServer
from rtcpeer.testing.turnserver import CoturnServer

sys.path.insert(0, str(Path(__file__).parent))
from coturn_fixtures import coturn

__all__ = ["coturn"]

pytestmark = [pytest.mark.interop, pytest.mark.coturn]

TRANSPORTS = [("turn", "udp"), ("turn", "tcp"), ("turns", "tcp")]


class Peer:
    def __init__(self, *, controlling: bool, **kwargs: Any) -> None:
        self.candidates: list[IceCandidateInfo | None] = []
        self.errors: list[IceCandidateError] = []
        self.states: list[str] = []
        self.datagrams: list[bytes] = []
        self.other: Peer | None = None
        kwargs.setdefault("host_addresses", ["127.0.0.1"])
        self.agent = IceAgent(
            controlling=controlling,
            on_candidate=self._candidate,
            on_state_change=self.states.append,
            on_datagram=self.datagrams.append,
            on_candidate_error=self.errors.append,
            **kwargs,
        )

    def _candidate(self, c: IceCandidateInfo | None) -> None:
        self.candidates.append(c)
        if self.other is not None:
            self.other.agent.add_remote_candidate(c)

    @property
    def done(self) -> bool:
        return bool(self.candidates) and self.candidates[-1] is None

    def of_type(self, kind: str) -> list[IceCandidateInfo]:
        return [c for c in self.candidates if c is not None and c.type == kind]


async def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.01)


@pytest.fixture
def dead_udp_port() -> Iterator[int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


def turn_server(coturn: CoturnServer, scheme: str, transport: str, password: str = "") -> IceServer:
    return IceServer([coturn.url(scheme, transport)], coturn.username, password or coturn.password)


async def test_srflx_from_coturn_stun(coturn: CoturnServer) -> None:
    p = Peer(
        controlling=True,
        servers=[IceServer([coturn.url("stun")])],
        keep_redundant_srflx=True,  # on loopback the mapped address equals the host address
    )
    p.agent.gather()
    await wait_until(lambda: p.done, timeout=5)
    host = p.of_type("host")[0]
    srflx = p.of_type("srflx")
    assert len(srflx) == 1 and p.errors == []
    assert (srflx[0].address, srflx[0].port) == (host.address, host.port)
    assert (srflx[0].related_address, srflx[0].related_port) == (host.address, host.port)
    await p.agent.close()


async def test_redundant_srflx_not_reported_by_default(coturn: CoturnServer) -> None:
    p = Peer(controlling=True, servers=[IceServer([coturn.url("stun")])])
    p.agent.gather()
    await wait_until(lambda: p.done, timeout=5)
    assert p.of_type("srflx") == [] and p.errors == []
    await p.agent.close()


@pytest.mark.parametrize(
    ("scheme", "transport"), [("turn", "udp"), ("turn", "tcp"), ("turns", "tcp")]
)
async def test_relay_candidate(coturn: CoturnServer, scheme: str, transport: str) -> None:
    p = Peer(
        controlling=True,
        servers=[turn_server(coturn, scheme, transport)],
        turn_ssl_context=coturn.ssl_context(),
    )
    p.agent.gather()
    await wait_until(lambda: p.done, timeout=8)
    assert p.errors == []
    relay = p.of_type("relay")
    assert len(relay) == 1
    assert relay[0].address == "127.0.0.1"
    assert coturn.min_port <= relay[0].port <= coturn.max_port
    await p.agent.close()


async def test_turns_with_untrusted_certificate_reports_error(coturn: CoturnServer) -> None:
    p = Peer(controlling=True, servers=[turn_server(coturn, "turns", "tcp")])  # default context
    p.agent.gather()
    await wait_until(lambda: p.done, timeout=8)
    assert p.of_type("relay") == []
    assert len(p.errors) == 1
    assert p.errors[0].errorCode == 701
    assert "certificate" in p.errors[0].errorText.lower()
    assert p.errors[0].url == coturn.url("turns", "tcp")
    await p.agent.close()


@pytest.mark.parametrize(
    ("scheme", "transport"), [("turn", "udp"), ("turn", "tcp"), ("turns", "tcp")]
)
async def test_relay_only_connection(coturn: CoturnServer, scheme: str, transport: str) -> None:
    ctx: ssl.SSLContext = coturn.ssl_context()
    kwargs: dict[str, Any] = {
        "servers": [turn_server(coturn, scheme, transport)],
        "transport_policy": "relay",
        "turn_ssl_context": ctx,
    }
    a = Peer(controlling=True, **kwargs)
    b = Peer(controlling=False, **kwargs)
    a.other, b.other = b, a
    a.agent.set_remote_credentials(b.agent.local_ufrag, b.agent.local_pwd)
    b.agent.set_remote_credentials(a.agent.local_ufrag, a.agent.local_pwd)
    for p in (a, b):
        p.agent.gather()
        p.agent.start()
    await wait_until(lambda: a.agent.state == "completed" and b.agent.state == "completed", 15)
    for p in (a, b):
        assert [c.type for c in p.candidates if c is not None] == ["relay"]
        relay = p.of_type("relay")[0]
        assert (relay.related_address, relay.related_port) == ("0.0.0.0", 9)
        pair = p.agent.selected_pair
        assert pair is not None and pair[0].type == "relay" and pair[1].type == "relay"
    for i in range(10):
        a.agent.send(b"a%d" % i)
        b.agent.send(b"b%d" % i)
    await wait_until(lambda: len(a.datagrams) == 10 and len(b.datagrams) == 10)
    assert sorted(b.datagrams) == sorted(b"a%d" % i for i in range(10))
    assert sorted(a.datagrams) == sorted(b"b%d" % i for i in range(10))
    await a.agent.close()
    await b.agent.close()


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_wrong_turn_password_reports_401(coturn: CoturnServer, transport: str) -> None:
    p = Peer(controlling=True, servers=[turn_server(coturn, "turn", transport, "wrong")])
    p.agent.gather()
    await wait_until(lambda: p.done, timeout=8)
    assert p.of_type("relay") == []
    assert [(e.errorCode, e.url) for e in p.errors] == [(401, coturn.url("turn", transport))]
    await p.agent.close()


async def test_dead_stun_server_does_not_delay_live_one(
    coturn: CoturnServer, dead_udp_port: int
) -> None:
    dead = f"stun:127.0.0.1:{dead_udp_port}"
    p = Peer(
        controlling=True,
        servers=[IceServer([dead]), IceServer([coturn.url("stun")])],
        keep_redundant_srflx=True,
        server_timeout=3.0,
    )
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    p.agent.gather()
    await wait_until(lambda: bool(p.of_type("srflx")), timeout=5)
    assert loop.time() - t0 < 1.0
    assert not p.done and p.errors == []
    await wait_until(lambda: p.done, timeout=5)
    assert [(e.errorCode, e.url) for e in p.errors] == [(701, dead)]
    assert len(p.of_type("srflx")) == 1
    await p.agent.close()

"""Two IceAgents on 127.0.0.1 over real UDP: trickle, connect, datagrams, states."""

from __future__ import annotations

import pytest
from ice_testlib import FAST, Peer, link, wait_until

pytestmark = pytest.mark.loopback


async def test_connect_and_exchange() -> None:
    a = Peer("a", controlling=True, **FAST)
    b = Peer("b", controlling=False, **FAST)
    link(a, b)
    a.agent.gather()
    b.agent.gather()
    a.agent.start()
    b.agent.start()
    await wait_until(lambda: a.agent.state == "completed" and b.agent.state == "completed")
    assert a.states == ["checking", "connected", "completed"]
    assert b.states == ["checking", "connected", "completed"]
    assert a.gathering == ["gathering", "complete"]
    assert a.candidates[-1] is None
    host = a.candidates[0]
    assert host is not None and host.type == "host" and host.address == "127.0.0.1"
    assert host.ufrag == a.agent.local_ufrag

    for i in range(20):
        a.agent.send(b"a%d" % i)
        b.agent.send(b"b%d" % i)
    await wait_until(lambda: len(a.datagrams) == 20 and len(b.datagrams) == 20)
    assert b.datagrams == [b"a%d" % i for i in range(20)]
    assert a.datagrams == [b"b%d" % i for i in range(20)]
    pair = a.agent.selected_pair
    assert pair is not None and pair[0].address == "127.0.0.1"
    stats = a.agent.stats
    assert stats["packets_sent"] == 20 and stats["packets_received"] == 20
    assert stats["dropped_datagrams"] == 0

    await a.agent.close()
    await b.agent.close()
    assert a.states[-1] == "closed"

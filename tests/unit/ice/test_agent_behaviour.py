"""IceAgent on loopback: a dead STUN server, consent freshness, ICE restart."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import aioice.stun
import pytest
from ice_testlib import FAST, Peer, link, wait_until

from rtcpeer.ice import IceServer
from rtcpeer.ice import agent as agent_module

pytestmark = pytest.mark.loopback


@pytest.fixture
def dead_udp_port() -> Iterator[int]:
    """A UDP socket on 127.0.0.1 that receives and never answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


async def connect_pair(**kwargs: object) -> tuple[Peer, Peer]:
    a = Peer("a", controlling=True, **{**FAST, **kwargs})
    b = Peer("b", controlling=False, **FAST)
    link(a, b)
    for p in (a, b):
        p.agent.gather()
        p.agent.start()
    await wait_until(lambda: a.agent.state in ("connected", "completed"))
    await wait_until(lambda: b.agent.state in ("connected", "completed"))
    return a, b


async def test_dead_stun_server_delays_nothing(dead_udp_port: int) -> None:
    url = f"stun:127.0.0.1:{dead_udp_port}"
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    a, b = await connect_pair(servers=[IceServer([url])], server_timeout=2.0)
    assert loop.time() - t0 < 1.0
    # The host candidate came first, and the dead server's query is still pending.
    first = a.candidates[0]
    assert first is not None and first.type == "host"
    assert a.agent.gathering_state == "gathering"
    assert a.agent.stats["pending_server_queries"] == [f"{url}@{first.address}:{first.port}"]
    assert a.agent.state == "connected"  # not completed: local gathering still running
    a.agent.send(b"early")
    await wait_until(lambda: b.datagrams == [b"early"])

    await wait_until(lambda: a.agent.gathering_state == "complete", timeout=5)
    assert [e.errorCode for e in a.errors] == [701]
    err = a.errors[0]
    assert err.url == url and err.address == "127.0.0.1" and err.port == first.port
    assert a.candidates[-1] is None
    assert [c.type for c in a.candidates if c is not None] == ["host"]
    await wait_until(lambda: a.agent.state == "completed")
    await a.agent.close()
    await b.agent.close()


async def test_datagrams_sent_before_a_pair_is_selected_go_out_on_the_first_one() -> None:
    """A DTLS server answering a peer that is ahead of us must not lose that answer."""
    a = Peer("a", controlling=True, **FAST)
    b = Peer("b", controlling=False, **FAST)
    link(a, b)
    a.agent.send(b"flight-1")
    a.agent.send(b"flight-2")
    for n in range(20):  # beyond the bound: dropped and counted
        a.agent.send(b"%d" % n)
    held_max = agent_module.HOLD_MAX_DATAGRAMS
    assert a.agent.stats["dropped_datagrams"] == 22 - held_max
    for p in (a, b):
        p.agent.gather()
        p.agent.start()
    await wait_until(lambda: len(b.datagrams) >= held_max)
    assert b.datagrams[:3] == [b"flight-1", b"flight-2", b"0"]
    assert len(b.datagrams) == held_max
    assert a.agent.stats["packets_sent"] == held_max
    a.agent.send(b"after")
    await wait_until(lambda: b.datagrams[-1] == b"after")
    await a.agent.close()
    await b.agent.close()


async def test_consent_lost_then_failed() -> None:
    a, b = await connect_pair()
    await wait_until(lambda: a.agent.state == "completed")
    await asyncio.sleep(0.5)  # several consent rounds succeed
    assert a.agent.stats["consent_responses_received"] >= 1
    assert a.agent.state == "completed"
    await b.agent.close()  # the peer vanishes: no answer, no data
    await wait_until(lambda: a.agent.state == "failed", timeout=5)
    assert a.states[-2:] == ["disconnected", "failed"]
    assert a.agent.selected_pair is None
    a.agent.send(b"x")
    assert a.agent.stats["dropped_datagrams"] == 1
    await a.agent.close()


async def test_consent_recovers_after_silence() -> None:
    a, b = await connect_pair()
    await wait_until(lambda: a.agent.state == "completed")
    conn = b.agent._current.conn
    original = conn.request_received
    conn.request_received = lambda *args: None  # type: ignore[method-assign]
    await wait_until(lambda: a.agent.state == "disconnected", timeout=3)
    conn.request_received = original  # type: ignore[method-assign]
    await wait_until(lambda: a.agent.state == "completed", timeout=3)
    assert a.states[-2:] == ["disconnected", "completed"]
    assert "failed" not in a.states
    await a.agent.close()
    await b.agent.close()


async def test_data_keeps_consent_fresh_without_responses() -> None:
    a, b = await connect_pair()
    conn = b.agent._current.conn
    conn.request_received = lambda *args: None  # type: ignore[method-assign]
    for _ in range(30):  # 1.5 s > disconnected_timeout, but b keeps sending data
        b.agent.send(b"keepalive")
        await asyncio.sleep(0.05)
    assert "disconnected" not in a.states
    await a.agent.close()
    await b.agent.close()


async def test_ice_restart_keeps_data_flowing() -> None:
    a, b = await connect_pair()
    await wait_until(lambda: a.agent.state == "completed" and b.agent.state == "completed")
    old_a, old_b = a.agent._current.conn, b.agent._current.conn
    old_ufrag_a, old_ufrag_b = a.agent.local_ufrag, b.agent.local_ufrag
    old_pair = a.agent.selected_pair
    states_before = list(a.states)

    sent = 0

    async def pump(stop: asyncio.Event) -> None:
        nonlocal sent
        while not stop.is_set():
            a.agent.send(b"%d" % sent)
            b.agent.send(b"%d" % sent)
            sent += 1
            await asyncio.sleep(0.005)

    stop = asyncio.Event()
    pumping = asyncio.create_task(pump(stop))
    await asyncio.sleep(0.1)

    a.agent.restart()  # offerer restarts; its new credentials go to b in the offer
    assert a.agent.local_ufrag != old_ufrag_a and a.agent.generation == 1
    b.agent.set_remote_credentials(a.agent.local_ufrag, a.agent.local_pwd)  # b restarts too
    assert b.agent.local_ufrag != old_ufrag_b and b.agent.generation == 1
    a.agent.set_remote_credentials(b.agent.local_ufrag, b.agent.local_pwd)  # the answer

    await wait_until(lambda: a.agent._pending is None and b.agent._pending is None)
    await asyncio.sleep(0.5)  # old generations retired (retire_delay 0.3)
    stop.set()
    await pumping
    await asyncio.sleep(0.1)

    assert old_a.closing and old_b.closing
    new_pair = a.agent.selected_pair
    assert new_pair is not None and old_pair is not None and new_pair[0].port != old_pair[0].port
    # Nothing lost on loopback, state never left connected/completed.
    assert len(a.datagrams) == sent and len(b.datagrams) == sent
    assert a.states[: len(states_before)] == states_before
    assert all(s in ("connected", "completed") for s in a.states[len(states_before) :])
    assert all(s in ("connected", "completed") for s in b.states[2:])
    new_candidates = [c for c in a.candidates if c is not None and c.ufrag == a.agent.local_ufrag]
    assert new_candidates and new_candidates[0].type == "host"
    assert a.gathering[-2:] == ["gathering", "complete"]
    # After the restart, more data flows on the new pair.
    a.agent.send(b"after")
    await wait_until(lambda: b.datagrams[-1] == b"after")
    await a.agent.close()
    await b.agent.close()


async def test_all_checks_failed_after_end_of_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aioice.stun, "RETRY_MAX", 1)  # checks time out after 1.5 s, not 63 s
    a = Peer("a", controlling=True, **FAST)
    b = Peer("b", controlling=False, **FAST)
    a.other, b.other = b, a
    # a has a wrong password for b: b's unsigned 401 answers are ignored, checks time out.
    a.agent.set_remote_credentials(b.agent.local_ufrag, "x" * 22)
    b.agent.set_remote_credentials(a.agent.local_ufrag, a.agent.local_pwd)
    a.agent.send(b"too early")
    assert a.agent.stats["dropped_datagrams"] == 0  # held for a pair that may come
    b.agent.gather()
    a.agent.gather()
    a.agent.start()
    await wait_until(lambda: a.agent.state == "failed", timeout=5)
    assert a.states == ["checking", "failed"]
    assert a.agent.stats["dropped_datagrams"] == 1  # no pair came: dropped and counted
    await a.agent.close()
    await b.agent.close()


async def test_start_needs_remote_credentials_and_closed_agent_rejects_calls() -> None:
    from rtcpeer.errors import InvalidStateError

    a = Peer("a", controlling=True)
    with pytest.raises(InvalidStateError):
        a.agent.start()
    await a.agent.close()
    assert a.agent.state == "closed" and a.states == ["closed"]
    with pytest.raises(InvalidStateError):
        a.agent.gather()
    await a.agent.close()  # idempotent


async def test_peer_without_candidates_is_learned_as_peer_reflexive() -> None:
    """b never gets a's candidates, only end-of-candidates, and it gets it before any
    check from a (a browser that hides its addresses behind unpublished mDNS names). b must
    not prune its component nor fail: a's checks create a peer-reflexive pair on b."""
    a = Peer("a", controlling=True, **FAST)
    b = Peer("b", controlling=False, **{**FAST, "failure_grace": 3.0})
    b.other = a  # b's candidates reach a; a's never reach b
    a.agent.set_remote_credentials(b.agent.local_ufrag, b.agent.local_pwd)
    b.agent.set_remote_credentials(a.agent.local_ufrag, a.agent.local_pwd)
    b.agent.add_remote_candidate(None)
    b.agent.gather()
    b.agent.start()
    await asyncio.sleep(0.5)  # b has nothing to check: within its grace it must not fail
    assert b.agent.state == "checking"
    a.agent.gather()
    a.agent.start()
    await wait_until(lambda: b.agent.state in ("connected", "completed"), timeout=5)
    await wait_until(lambda: a.agent.state in ("connected", "completed"), timeout=5)
    pair = b.agent.selected_pair
    assert pair is not None and pair[1].type == "prflx"
    a.agent.send(b"hello")
    await wait_until(lambda: b"hello" in b.datagrams)
    b.agent.send(b"back")
    await wait_until(lambda: b"back" in a.datagrams)
    await a.agent.close()
    await b.agent.close()

"""Scale-out: two server processes (nodes) sharing rooms through a real redis-server.

Presence runs fast here (``--presence-interval 0.25 --presence-ttl 1.5``) so node death is
observed within seconds; the assertions use those figures."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from rtc_exchange import check_pair, run_peer
from server_fixtures import (
    Client,
    RedisProcess,
    ServerProcess,
    answer,
    mint,
    offer,
    running_redis,
    start_server,
)

from signaling.websocket import WebSocketTransport

pytestmark = pytest.mark.redis

INTERVAL = 0.25
TTL = 1.5


@dataclass
class Cluster:
    redis: RedisProcess
    a: ServerProcess
    b: ServerProcess


@pytest.fixture
def cluster(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Cluster]:
    extra: tuple[str, ...] = getattr(request, "param", ())
    with running_redis(tmp_path) as redis:
        args = (
            "--redis",
            redis.url,
            "--presence-interval",
            str(INTERVAL),
            "--presence-ttl",
            str(TTL),
            *extra,
        )
        a = start_server(tmp_path, *args, name="node-a")
        try:
            b = start_server(tmp_path, *args, name="node-b")
            try:
                yield Cluster(redis, a, b)
            finally:
                b.stop()
        finally:
            a.stop()


async def test_cross_node_presence_and_routing(cluster: Cluster) -> None:
    alice = await Client.connect(cluster.a.ws_url)
    bob = await Client.connect(cluster.b.ws_url)
    carol = await Client.connect(cluster.a.ws_url)
    assert (await alice.join("r1", mint("r1"), "alice"))["peers"] == []
    joined = await bob.join("r1", mint("r1"), "bob")
    assert joined["peers"] == [{"id": alice.id, "name": "alice"}]
    assert await alice.expect("peer-joined") == {"type": "peer-joined", "id": bob.id, "name": "bob"}
    joined = await carol.join("r1", mint("r1"), "carol")
    assert sorted((p["id"], p["name"]) for p in joined["peers"]) == sorted(
        [(alice.id, "alice"), (bob.id, "bob")]
    )
    assert (await alice.expect("peer-joined"))["id"] == carol.id
    assert (await bob.expect("peer-joined"))["id"] == carol.id

    # Offer/answer addressed across nodes.
    await alice.send(offer("v=0\r\no=alice\r\n", to=bob.id))
    got = await bob.expect("offer")
    assert got["from"] == alice.id and got["description"]["sdp"] == "v=0\r\no=alice\r\n"
    await bob.send(answer("v=0\r\no=bob\r\n", to=alice.id))
    got = await alice.expect("answer")
    assert got["from"] == bob.id and got["description"]["sdp"] == "v=0\r\no=bob\r\n"
    await carol.quiet(0.2)  # addressed frames reach only their recipient

    # Broadcast from node B reaches both participants on node A, not the sender.
    await bob.send({"type": "bye", "from": "forged"})
    assert (await alice.expect("bye"))["from"] == bob.id
    assert (await carol.expect("bye"))["from"] == bob.id
    await bob.quiet(0.2)

    # unknown-peer across the cluster; another room is separate.
    await alice.send(offer(to="no-such-participant"))
    assert (await alice.expect("error"))["code"] == "unknown-peer"
    dave = await Client.connect(cluster.b.ws_url)
    assert (await dave.join("r2", mint("r2"), "dave"))["peers"] == []
    await alice.send(offer(to=dave.id))
    assert (await alice.expect("error"))["code"] == "unknown-peer"

    # A graceful leave on node B is seen on node A at once.
    await bob.close()
    assert await alice.expect("peer-left") == {"type": "peer-left", "id": bob.id}
    assert (await carol.expect("peer-left"))["id"] == bob.id
    for c in (alice, carol, dave):
        await c.close()


@pytest.mark.parametrize("cluster", [("--max-participants", "2")], indirect=True)
async def test_room_full_across_nodes(cluster: Cluster) -> None:
    alice = await Client.connect(cluster.a.ws_url)
    bob = await Client.connect(cluster.b.ws_url)
    await alice.join("r1", mint("r1"), "alice")
    await bob.join("r1", mint("r1"), "bob")
    carol = await Client.connect(cluster.a.ws_url)
    await carol.send({"type": "join", "room": "r1", "token": mint("r1")})
    assert (await carol.expect("error"))["code"] == "room-full"
    assert await carol.closed() == 1008
    await alice.close()
    await bob.close()


async def test_node_death_yields_peer_left_within_expiry(cluster: Cluster) -> None:
    alice = await Client.connect(cluster.a.ws_url)
    bob = await Client.connect(cluster.b.ws_url)
    carol = await Client.connect(cluster.b.ws_url)
    await alice.join("r1", mint("r1"), "alice")
    await bob.join("r1", mint("r1"), "bob")
    await carol.join("r1", mint("r1"), "carol")
    seen = {(await alice.expect("peer-joined"))["id"] for _ in range(2)}
    assert seen == {bob.id, carol.id}

    cluster.b.kill()  # SIGKILL by PID: node B never says goodbye
    killed = time.monotonic()
    left = set()
    while len(left) < 2:
        frame = await alice.expect("peer-left", timeout=TTL + 2 * INTERVAL + 2.0)
        left.add(frame["id"])
    elapsed = time.monotonic() - killed
    assert left == {bob.id, carol.id}
    # Expiry: TTL after node B's last heartbeat, noticed at node A's next pass.
    assert elapsed <= TTL + 2 * INTERVAL + 1.0, elapsed
    await alice.quiet(2 * INTERVAL)  # announced once each

    # The survivors' view is consistent: a newcomer sees only alice.
    dave = await Client.connect(cluster.a.ws_url)
    assert (await dave.join("r1", mint("r1"), "dave"))["peers"] == [
        {"id": alice.id, "name": "alice"}
    ]
    await alice.close()
    await dave.close()


async def test_rtcpeer_peers_connect_across_nodes(cluster: Cluster) -> None:
    """Two rtcpeer peers on different nodes: full trickle exchange + data channel."""
    first = WebSocketTransport(cluster.a.ws_url, "call", token=mint("call"), name="first")
    second = WebSocketTransport(cluster.b.ws_url, "call", token=mint("call"), name="second")
    await first.connect()
    await second.connect()
    try:
        assert [p.id for p in second.peers] == [first.id]
        offerer, answerer = await asyncio.gather(
            run_peer(first, offerer=True, label="first", to=second.id),
            run_peer(second, offerer=False, label="second"),
        )
        check_pair(offerer, answerer)
        assert answerer.remote_id == first.id
    finally:
        await first.close()
        await second.close()


async def test_stalled_node_evicts_its_expired_participants(cluster: Cluster) -> None:
    """A node paused longer than the TTL (SIGSTOP) loses its participants' presence; when it
    resumes it closes their connections instead of keeping ghosts."""
    alice = await Client.connect(cluster.a.ws_url)
    bob = await Client.connect(cluster.b.ws_url)
    await alice.join("r1", mint("r1"), "alice")
    await bob.join("r1", mint("r1"), "bob")
    await alice.expect("peer-joined")
    os.kill(cluster.b.pid, signal.SIGSTOP)
    try:
        frame = await alice.expect("peer-left", timeout=TTL + 2 * INTERVAL + 2.0)
        assert frame["id"] == bob.id
    finally:
        os.kill(cluster.b.pid, signal.SIGCONT)
    assert await bob.closed(timeout=TTL + 2.0) == 1011
    evicted = [r for r in cluster.b.log_records() if r["event"] == "evicted"]
    assert [r["participant"] for r in evicted] == [bob.id]
    await alice.quiet(2 * INTERVAL)  # no second peer-left
    await alice.close()


async def test_a_token_admits_one_participant_across_nodes(cluster: Cluster) -> None:
    token = mint("r1", name="alice")
    alice = await Client.connect(cluster.a.ws_url)
    await alice.join("r1", token)
    replay = await Client.connect(cluster.b.ws_url)
    await replay.send({"type": "join", "room": "r1", "token": token})
    assert (await replay.expect("error"))["code"] == "token-in-use"
    assert await replay.closed() == 1008
    await alice.close()
    # Concurrent joins with one fresh token on both nodes: exactly one is admitted.
    fresh = mint("r1", name="bob")
    racers = [await Client.connect(node.ws_url) for node in (cluster.a, cluster.b) * 5]
    for client in racers:
        await client.send({"type": "join", "room": "r1", "token": fresh})
    replies = [await client.recv() for client in racers]
    codes = sorted(r["type"] if r["type"] == "joined" else r["code"] for r in replies)
    assert codes == ["joined"] + ["token-in-use"] * 9, codes
    for client in racers:
        await client.close()


async def test_a_dead_nodes_token_is_released_with_its_presence(cluster: Cluster) -> None:
    token = mint("r1", name="alice")
    alice = await Client.connect(cluster.a.ws_url)
    await alice.join("r1", token)
    cluster.a.kill()
    # The claim is the membership: once presence expires, the token may join on node B.
    deadline = time.monotonic() + TTL + 4 * INTERVAL + 3
    while True:
        again = await Client.connect(cluster.b.ws_url)
        await again.send({"type": "join", "room": "r1", "token": token})
        reply = await again.recv()
        if reply["type"] == "joined":
            break
        assert reply["code"] == "token-in-use" and time.monotonic() < deadline, reply
        await again.close()
        await asyncio.sleep(INTERVAL)
    await again.close()

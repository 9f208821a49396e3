"""``RedisBroker``: rooms shared by several server processes ("nodes") through Redis.

Data in Redis (``P`` is the key prefix, default ``signaling``):

- ``P:room:<room>:members`` hash: participant id -> JSON ``{"name", "node", "token"?}``
  (``token``: the nonce of the join token that admitted it)
- ``P:room:<room>:seen`` sorted set: participant id -> last heartbeat (Redis clock, ms)
- ``P:node:<node id>`` pub/sub channel: each node subscribes to its own channel only.

Every change is a Lua script, so it is atomic across nodes: ``join`` prunes expired members,
refuses a token another member of the room was admitted with (single concurrent use, on every
node: the claim is the membership itself, so it ends with a leave or a presence expiry),
checks the capacity, adds the participant and publishes ``peer-joined`` in one step; a frame is
published only to the channels of the nodes that have members in the room (one channel for
a frame addressed ``to`` one participant, after checking that participant exists). A
published envelope is JSON ``{"room", "sender", "to"?, "frame"}`` where ``frame`` is the
frame's wire text (``signaling.messages.encode``); the receiving node decodes it and hands it
to its local recipients (``LocalDelivery``).

Presence survives a node's death: each node refreshes the ``seen`` score of its own
participants every ``heartbeat_interval`` seconds and, in the same pass, prunes from every room
it has participants in the members not seen for ``presence_ttl`` seconds, publishing
``peer-left`` for each. The prune happens inside a script, so exactly one node announces each
departure. A dead node's participants therefore leave at most ``presence_ttl +
heartbeat_interval`` after its last heartbeat. If this node itself was silent longer than the
TTL (paused, partitioned) and others pruned its participants, the next heartbeat finds them
gone and evicts them locally (``on_evicted``) rather than leaving ghosts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis

from ..errors import SignalingProtocolError
from ..messages import PeerInfo, PeerJoined, PeerLeft, decode, encode
from .broker import Deliver, Frame, LocalDelivery, RoomFull, TokenInUse

log = logging.getLogger("signaling.server")

_COMMON = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function fanout(members, prefix, envelope)
  local nodes = {}
  for _, v in ipairs(redis.call('HVALS', members)) do
    nodes[cjson.decode(v)['node']] = true
  end
  for node, _ in pairs(nodes) do
    redis.call('PUBLISH', prefix .. ':node:' .. node, envelope)
  end
end
local function prune(members, seen, prefix, room, ttl_ms)
  local dead = redis.call('ZRANGEBYSCORE', seen, '-inf', now_ms() - ttl_ms)
  for _, pid in ipairs(dead) do
    redis.call('HDEL', members, pid)
    redis.call('ZREM', seen, pid)
  end
  for _, pid in ipairs(dead) do
    fanout(members, prefix, cjson.encode(
      {room = room, sender = pid, frame = cjson.encode({type = 'peer-left', id = pid})}))
  end
  return dead
end
local function keep(members, seen, keep_ms)
  redis.call('PEXPIRE', members, keep_ms)
  redis.call('PEXPIRE', seen, keep_ms)
end
"""

# KEYS: members, seen.
# ARGV: prefix, room, id, member json, capacity, ttl ms, keep ms, envelope, token ('' = none)
# -> {1, existing members} | {0, {}} room full | {2, {}} token in use
_JOIN = (
    _COMMON
    + """
local members, seen = KEYS[1], KEYS[2]
prune(members, seen, ARGV[1], ARGV[2], tonumber(ARGV[6]))
if ARGV[9] ~= '' then
  for _, v in ipairs(redis.call('HVALS', members)) do
    if cjson.decode(v)['token'] == ARGV[9] then
      return {2, {}}
    end
  end
end
if redis.call('HLEN', members) >= tonumber(ARGV[5]) then
  return {0, {}}
end
local existing = redis.call('HGETALL', members)
redis.call('HSET', members, ARGV[3], ARGV[4])
redis.call('ZADD', seen, now_ms(), ARGV[3])
keep(members, seen, tonumber(ARGV[7]))
fanout(members, ARGV[1], ARGV[8])
return {1, existing}
"""
)

# KEYS: members, seen. ARGV: prefix, id, envelope
_LEAVE = (
    _COMMON
    + """
local members, seen = KEYS[1], KEYS[2]
if redis.call('HDEL', members, ARGV[2]) == 0 then
  return 0
end
redis.call('ZREM', seen, ARGV[2])
fanout(members, ARGV[1], ARGV[3])
return 1
"""
)

# KEYS: members. ARGV: prefix, to ('' = everyone), envelope
_PUBLISH = (
    _COMMON
    + """
local members = KEYS[1]
if ARGV[2] == '' then
  fanout(members, ARGV[1], ARGV[3])
  return 1
end
local value = redis.call('HGET', members, ARGV[2])
if not value then
  return 0
end
redis.call('PUBLISH', ARGV[1] .. ':node:' .. cjson.decode(value)['node'], ARGV[3])
return 1
"""
)

# KEYS: members, seen. ARGV: prefix, room, ttl ms, keep ms, ids... -> ids no longer members
_HEARTBEAT = (
    _COMMON
    + """
local members, seen = KEYS[1], KEYS[2]
local now = now_ms()
local missing = {}
for i = 5, #ARGV do
  if redis.call('HEXISTS', members, ARGV[i]) == 1 then
    redis.call('ZADD', seen, now, ARGV[i])
  else
    table.insert(missing, ARGV[i])
  end
end
prune(members, seen, ARGV[1], ARGV[2], tonumber(ARGV[3]))
keep(members, seen, tonumber(ARGV[4]))
return missing
"""
)


class RedisBroker:
    """Rooms shared through Redis; see the module docstring for the data layout."""

    def __init__(
        self,
        url: str,
        *,
        heartbeat_interval: float = 1.0,
        presence_ttl: float = 5.0,
        prefix: str = "signaling",
        node_id: str | None = None,
    ) -> None:
        if heartbeat_interval <= 0 or presence_ttl <= heartbeat_interval:
            raise ValueError("need 0 < heartbeat interval < presence TTL")
        self.url = url
        self.heartbeat_interval = heartbeat_interval
        self.presence_ttl = presence_ttl
        self.prefix = prefix
        self.node_id = node_id or secrets.token_hex(8)
        self.local = LocalDelivery()
        self._evicted: dict[tuple[str, str], Callable[[], None]] = {}
        self._client: aioredis.Redis = aioredis.from_url(url, decode_responses=True)
        self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        self._join = self._client.register_script(_JOIN)
        self._leave = self._client.register_script(_LEAVE)
        self._publish = self._client.register_script(_PUBLISH)
        self._heartbeat = self._client.register_script(_HEARTBEAT)
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def _ttl_ms(self) -> int:
        return int(self.presence_ttl * 1000)

    @property
    def _keep_ms(self) -> int:
        # Room keys outlive any member's TTL; an abandoned room's keys vanish by themselves.
        return int(max(60.0, 10 * self.presence_ttl) * 1000)

    def _keys(self, room: str) -> list[str]:
        base = f"{self.prefix}:room:{room}"
        return [f"{base}:members", f"{base}:seen"]

    async def start(self) -> None:
        await self._client.ping()
        await self._pubsub.subscribe(f"{self.prefix}:node:{self.node_id}")
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._listen()), loop.create_task(self._beat())]

    async def close(self) -> None:
        for room, pid in self.local.items():
            with contextlib.suppress(Exception):
                await self.leave(room, pid)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        with contextlib.suppress(Exception):
            await self._client.aclose()

    async def join(
        self,
        room: str,
        peer: PeerInfo,
        deliver: Deliver,
        *,
        capacity: int,
        token_id: str | None = None,
        on_evicted: Callable[[], None] | None = None,
    ) -> list[PeerInfo]:
        # Registered (holding frames) before the script runs, so nothing published right
        # after the join is lost; activated with the script's member list.
        self.local.add_pending(room, peer, deliver)
        fields: dict[str, str | None] = {"name": peer.name, "node": self.node_id}
        if token_id is not None:
            fields["token"] = token_id
        member = json.dumps(fields)
        envelope = _envelope(room, PeerJoined(peer.id, peer.name), peer.id, None)
        try:
            ok, flat = await self._join(
                keys=self._keys(room),
                args=[
                    self.prefix,
                    room,
                    peer.id,
                    member,
                    capacity,
                    self._ttl_ms,
                    self._keep_ms,
                    envelope,
                    token_id or "",
                ],
            )
        except BaseException:
            self.local.remove(room, peer.id)
            raise
        if ok != 1:
            self.local.remove(room, peer.id)
            raise TokenInUse(room) if ok == 2 else RoomFull(room)
        peers = [
            PeerInfo(pid, json.loads(value).get("name"))
            for pid, value in zip(flat[::2], flat[1::2], strict=True)
        ]
        self.local.activate(room, peer.id, peers)
        if on_evicted is not None:
            self._evicted[(room, peer.id)] = on_evicted
        return peers

    async def leave(self, room: str, peer_id: str) -> None:
        self.local.remove(room, peer_id)
        self._evicted.pop((room, peer_id), None)
        await self._leave(
            keys=self._keys(room),
            args=[self.prefix, peer_id, _envelope(room, PeerLeft(peer_id), peer_id, None)],
        )

    async def publish(self, room: str, frame: Frame, *, sender: str, to: str | None) -> bool:
        result = await self._publish(
            keys=self._keys(room)[:1],
            args=[self.prefix, to or "", _envelope(room, frame, sender, to)],
        )
        return bool(result)

    async def _listen(self) -> None:
        while True:
            try:
                async for message in self._pubsub.listen():
                    if message.get("type") == "message":
                        self._dispatch(message["data"])
                await asyncio.sleep(self.heartbeat_interval)  # not subscribed (yet/any more)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("redis subscription failed: %s", exc, extra={"event": "redis-error"})
                await asyncio.sleep(self.heartbeat_interval)

    def _dispatch(self, data: str) -> None:
        try:
            envelope = json.loads(data)
            room, frame = envelope["room"], decode(envelope["frame"])
            sender, to = envelope.get("sender"), envelope.get("to")
        except (ValueError, KeyError, TypeError, SignalingProtocolError):
            log.error("undecodable envelope from redis", extra={"event": "redis-error"})
            return
        self.local.dispatch(room, frame, sender, to)

    async def _beat(self) -> None:
        while True:
            try:
                await self._beat_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("redis heartbeat failed: %s", exc, extra={"event": "redis-error"})
            await asyncio.sleep(self.heartbeat_interval)

    async def _beat_once(self) -> None:
        rooms: dict[str, list[str]] = {}
        for room, pid in self.local.items():
            rooms.setdefault(room, []).append(pid)
        for room, pids in rooms.items():
            missing = await self._heartbeat(
                keys=self._keys(room),
                args=[self.prefix, room, self._ttl_ms, self._keep_ms, *pids],
            )
            for pid in missing:
                self._evict(room, pid)

    def _evict(self, room: str, pid: str) -> None:
        if not self.local.remove(room, pid):
            return
        log.warning(
            "participant's presence expired in redis; evicting it",
            extra={"event": "evicted", "room": room, "participant": pid},
        )
        callback = self._evicted.pop((room, pid), None)
        if callback is not None:
            callback()


def _envelope(room: str, frame: Frame, sender: str, to: str | None) -> str:
    envelope: dict[str, Any] = {"room": room, "sender": sender, "frame": encode(frame)}
    if to is not None:
        envelope["to"] = to
    return json.dumps(envelope, separators=(",", ":"))

"""The seam between the room logic and the fan-out of frames: the ``Broker`` protocol.

The room logic (``rooms.py``) never delivers a frame itself. It asks its broker to
``join`` a participant (getting back everyone already in the room, on every node), to
``publish`` a frame to a room (to everyone else, or to one participant by id), and to
``leave``. The broker calls each local participant's ``deliver`` callback with every frame
for it: participant frames (already stamped with ``from``) and the presence frames
``peer-joined`` / ``peer-left`` it generates itself. ``LocalBroker`` keeps rooms in this
process; ``RedisBroker`` (``redis_broker.py``) shares them between processes.

Frames are the codec's message objects (``signaling.messages``); a participant frame reaches
the broker with ``sender`` already stamped. ``LocalDelivery`` is the part both share: the
participants connected to this process and the rule for which of them a frame reaches. It
also keeps, per local participant, the set of peers it has been told about, so presence is
exact even when a ``peer-joined`` races with the ``joined`` reply of a concurrent join (a
peer listed in ``joined`` is not announced again, and ``peer-left`` is only sent for a peer
the participant knew).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from ..messages import Message, PeerInfo, PeerJoined, PeerLeft

Frame = Message
Deliver = Callable[[Frame], None]


class RoomFull(Exception):
    """The room already holds its maximum number of participants."""


class TokenInUse(Exception):
    """A participant admitted with the same join token is still in the room."""


class Broker(Protocol):
    async def start(self) -> None:
        """Connect and start background work (heartbeats, subscriptions)."""

    async def close(self) -> None:
        """Remove this process's participants (others get ``peer-left``) and disconnect."""

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
        """Add ``peer`` to ``room``; return the peers already there (all nodes).

        Raises ``TokenInUse`` if a participant admitted with ``token_id`` (the join token's
        nonce; None: no token) is in the room, on any node, and ``RoomFull`` if the room
        already holds ``capacity`` participants; the check and the add are one atomic step.
        Everyone else in the room gets ``PeerJoined``."""
        ...

    async def leave(self, room: str, peer_id: str) -> None:
        """Remove the participant; everyone else gets ``PeerLeft``."""

    async def publish(self, room: str, frame: Frame, *, sender: str, to: str | None) -> bool:
        """Deliver ``frame`` to ``to`` (a participant id) or, if None, to everyone in
        ``room`` but ``sender``. Returns False, delivering nothing, if ``to`` is not in the
        room."""
        ...


@dataclass
class _Local:
    peer: PeerInfo
    deliver: Deliver
    known: set[str] = field(default_factory=set)
    pending: list[Frame] | None = None  # frames that arrived while the join was in flight


class LocalDelivery:
    """Participants connected to this process, by room, and delivery to them."""

    def __init__(self) -> None:
        self.rooms: dict[str, dict[str, _Local]] = {}

    def add(self, room: str, peer: PeerInfo, deliver: Deliver, peers: list[PeerInfo]) -> None:
        known = {p.id for p in peers}
        self.rooms.setdefault(room, {})[peer.id] = _Local(peer, deliver, known)

    def add_pending(self, room: str, peer: PeerInfo, deliver: Deliver) -> None:
        """Register a participant whose join is still in flight: its frames are held."""
        self.rooms.setdefault(room, {})[peer.id] = _Local(peer, deliver, set(), [])

    def activate(self, room: str, peer_id: str, peers: list[PeerInfo]) -> None:
        """The join completed with ``peers`` present: replay the held frames through the
        presence filter (a peer in ``peers`` announced meanwhile is not announced twice)."""
        member = self.rooms[room][peer_id]
        held, member.pending = member.pending or [], None
        member.known = {p.id for p in peers}
        for frame in held:
            self._deliver_one(member, frame)

    def remove(self, room: str, peer_id: str) -> bool:
        members = self.rooms.get(room)
        if members is None or members.pop(peer_id, None) is None:
            return False
        if not members:
            del self.rooms[room]
        return True

    def has(self, room: str, peer_id: str) -> bool:
        return peer_id in self.rooms.get(room, {})

    def items(self) -> list[tuple[str, str]]:
        """(room, participant) of every member whose join has completed. A join still in
        flight is left out: it is not in the shared presence yet, so a heartbeat pass would
        find it "missing" and evict it mid-join (seen as a KeyError in activate, close 1011)."""
        return [
            (room, pid)
            for room, members in self.rooms.items()
            for pid, member in members.items()
            if member.pending is None
        ]

    def dispatch(self, room: str, frame: Frame, sender: str | None, to: str | None) -> None:
        """Hand ``frame`` to the local recipients: ``to`` only, or all but ``sender``."""
        members = self.rooms.get(room)
        if not members:
            return
        if to is not None:
            target = members.get(to)
            targets = [target] if target is not None else []
        else:
            targets = [m for pid, m in members.items() if pid != sender]
        for member in targets:
            if member.pending is not None:
                member.pending.append(frame)
            else:
                self._deliver_one(member, frame)

    @staticmethod
    def _deliver_one(member: _Local, frame: Frame) -> None:
        if isinstance(frame, PeerJoined):
            if frame.id in member.known:
                return
            member.known.add(frame.id)
        elif isinstance(frame, PeerLeft):
            if frame.id not in member.known:
                return
            member.known.discard(frame.id)
        member.deliver(frame)


class LocalBroker:
    """Rooms in this process only (the default without ``--redis``)."""

    def __init__(self) -> None:
        self.local = LocalDelivery()
        self._names: dict[str, dict[str, PeerInfo]] = {}
        self._tokens: dict[tuple[str, str], str] = {}  # (room, token id) -> participant
        self._token_of: dict[str, tuple[str, str]] = {}  # participant -> (room, token id)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        for room, pid in self.local.items():
            await self.leave(room, pid)

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
        if token_id is not None and (room, token_id) in self._tokens:
            raise TokenInUse(room)
        members = self._names.setdefault(room, {})
        if len(members) >= capacity:
            if not members:
                del self._names[room]
            raise RoomFull(room)
        peers = list(members.values())
        members[peer.id] = peer
        if token_id is not None:
            self._tokens[(room, token_id)] = peer.id
            self._token_of[peer.id] = (room, token_id)
        self.local.add(room, peer, deliver, peers)
        self.local.dispatch(room, PeerJoined(peer.id, peer.name), peer.id, None)
        return peers

    async def leave(self, room: str, peer_id: str) -> None:
        members = self._names.get(room)
        if members is None or members.pop(peer_id, None) is None:
            return
        if not members:
            del self._names[room]
        key = self._token_of.pop(peer_id, None)
        if key is not None:
            del self._tokens[key]
        self.local.remove(room, peer_id)
        self.local.dispatch(room, PeerLeft(peer_id), peer_id, None)

    async def publish(self, room: str, frame: Frame, *, sender: str, to: str | None) -> bool:
        if to is not None and to not in self._names.get(room, {}):
            return False
        self.local.dispatch(room, frame, sender, to)
        return True

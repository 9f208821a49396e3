"""Signaling messages and their JSON wire format.

Every frame is one JSON object with a ``"type"``. Peer-to-peer messages (offer, answer,
candidate, end-of-candidates, bye) may carry ``"to"`` (recipient id; absent = everyone in the
room) and, on delivery by the room server, ``"from"`` (the sender id, ``sender`` in Python
because ``from`` is a keyword). Over point-to-point transports both are simply absent::

    {"type":"offer","description":{"type":"offer","sdp":"v=0..."}}
    {"type":"answer","description":{"type":"answer","sdp":"v=0..."},"to":"b7","from":"a3"}
    {"type":"candidate","candidate":{"candidate":"candidate:...","sdpMid":"0",
                                     "sdpMLineIndex":0,"usernameFragment":"abcd"}}
    {"type":"end-of-candidates"}   {"type":"bye"}
    {"type":"join","room":"r1","token":"...","name":"alice"}
    {"type":"joined","room":"r1","id":"a3","peers":[{"id":"b7","name":"bob"}]}
    {"type":"peer-joined","id":"b7","name":"bob"}   {"type":"peer-left","id":"b7"}
    {"type":"error","code":"bad-token","message":"token signature does not match"}

``description`` is exactly a browser's ``RTCSessionDescription.toJSON()`` and ``candidate``
exactly ``RTCIceCandidate.toJSON()``, so browser JSON passes through untouched and, with
rtcpeer, ``RTCSessionDescription(**msg.description)`` and
``RTCIceCandidate.from_json(msg.candidate)`` work directly (this module never imports rtcpeer).

Decoding rules (``decode``):

- bytes must be UTF-8; the text must be one JSON object (RFC 8259: no NaN/Infinity); strings
  must not hold lone surrogates (they could not be written back as UTF-8).
- ``type`` must name a known message; anything else raises
  :class:`~signaling.errors.SignalingProtocolError` with ``code="unknown-type"``. Missing or
  ill-typed fields raise it with ``code="malformed"`` and a message naming the field, e.g.
  ``candidate frame: candidate.sdpMLineIndex must be an integer or null``.
- **Unknown extra fields are ignored and dropped**, at the top level and inside
  ``description``/``candidate`` (forward compatibility: a newer peer may add fields; dropping
  them inside the two dicts keeps ``RTCSessionDescription(**description)`` working).
- Optional fields (``to``, ``from``, ``token``, ``name``) may be absent or ``null``; both mean
  ``None``. In a candidate, ``sdpMid``, ``sdpMLineIndex`` and ``usernameFragment`` may be
  absent or null (WebIDL ``RTCIceCandidateInit``); the decoded dict always has all four keys.
- An offer's description must have type ``offer``; an answer's ``answer`` or ``pranswer``.
- Ids, rooms and error codes must be non-empty strings. Error codes outside
  :data:`ERROR_CODES` are accepted (a newer server may add codes).

``encode`` writes compact JSON (no spaces, UTF-8 text, ``type`` first, ``None`` fields
omitted) and checks the message with the same rules, raising ``ValueError`` for a message
that the other side would reject, so ``decode(encode(m)) == m`` for every message it accepts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Final, NoReturn, TypedDict

from .errors import SignalingProtocolError

__all__ = [
    "ERROR_CODES",
    "Answer",
    "Bye",
    "Candidate",
    "EndOfCandidates",
    "Error",
    "IceCandidateJSON",
    "Join",
    "Joined",
    "Message",
    "Offer",
    "PeerInfo",
    "PeerJoined",
    "PeerLeft",
    "SessionDescriptionJSON",
    "decode",
    "encode",
]

ERROR_CODES: Final = frozenset(
    {
        "malformed",
        "unknown-type",
        "bad-token",
        "expired-token",
        "wrong-room",
        "too-large",
        "rate-limited",
        "room-full",
        "token-in-use",
        "unknown-peer",
        "not-joined",
    }
)
MAX_SDP_MLINE_INDEX: Final = 65535  # WebIDL unsigned short


class SessionDescriptionJSON(TypedDict):
    """``RTCSessionDescription.toJSON()``: ``type`` is offer, answer or pranswer here."""

    type: str
    sdp: str


class IceCandidateJSON(TypedDict):
    """``RTCIceCandidate.toJSON()``. An empty ``candidate`` string is a browser's end marker."""

    candidate: str
    sdpMid: str | None
    sdpMLineIndex: int | None
    usernameFragment: str | None


# --------------------------------------------------------------------------- field reading


def _fail(problem: str, code: str = "malformed") -> NoReturn:
    raise SignalingProtocolError(problem, code=code)


class _Fields:
    """Typed access to the fields of one JSON object; errors name ``frame: path.key``."""

    def __init__(self, obj: dict[str, Any], frame: str, path: str = "") -> None:
        self.obj = obj
        self.frame = frame
        self.path = path

    def _name(self, key: str) -> str:
        return f"{self.path}{key}"

    def fail(self, key: str, problem: str) -> NoReturn:
        _fail(f"{self.frame} frame: {self._name(key)} {problem}")

    def _check_text(self, key: str, value: str) -> str:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            self.fail(key, "contains a lone surrogate (not encodable as UTF-8)")
        return value

    def text(self, key: str, *, nonempty: bool = False) -> str:
        if key not in self.obj:
            self.fail(key, "is missing")
        value = self.obj[key]
        if not isinstance(value, str) or (nonempty and not value):
            self.fail(key, "must be a non-empty string" if nonempty else "must be a string")
        return self._check_text(key, value)

    def optional_text(self, key: str, *, nonempty: bool = False) -> str | None:
        value = self.obj.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or (nonempty and not value):
            kind = "a non-empty string" if nonempty else "a string"
            self.fail(key, f"must be {kind} or null")
        return self._check_text(key, value)

    def optional_index(self, key: str) -> int | None:
        value = self.obj.get(key)
        if value is None:
            return None
        # bool is an int in Python but true/false is not a JSON number.
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(key, "must be an integer or null")
        if not 0 <= value <= MAX_SDP_MLINE_INDEX:
            self.fail(key, f"must be between 0 and {MAX_SDP_MLINE_INDEX}")
        return value

    def object(self, key: str) -> _Fields:
        if key not in self.obj:
            self.fail(key, "is missing")
        value = self.obj[key]
        if not isinstance(value, dict):
            self.fail(key, "must be an object")
        return _Fields(value, self.frame, f"{self._name(key)}.")

    def objects(self, key: str) -> list[_Fields]:
        if key not in self.obj:
            self.fail(key, "is missing")
        value = self.obj[key]
        if not isinstance(value, list):
            self.fail(key, "must be an array")
        items: list[_Fields] = []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                self.fail(f"{key}[{index}]", "must be an object")
            items.append(_Fields(item, self.frame, f"{self._name(key)}[{index}]."))
        return items


def _description(fields: _Fields, allowed: tuple[str, ...]) -> SessionDescriptionJSON:
    desc = fields.object("description")
    sdp_type = desc.text("type")
    if sdp_type not in allowed:
        desc.fail("type", f"must be {' or '.join(repr(t) for t in allowed)}, not {sdp_type!r}")
    return {"type": sdp_type, "sdp": desc.text("sdp")}


def _addressing(msg: _PeerMessage) -> dict[str, Any]:
    wire: dict[str, Any] = {}
    if msg.to is not None:
        wire["to"] = msg.to
    if msg.sender is not None:
        wire["from"] = msg.sender
    return wire


def _to_and_from(fields: _Fields) -> tuple[str | None, str | None]:
    return (
        fields.optional_text("to", nonempty=True),
        fields.optional_text("from", nonempty=True),
    )


# --------------------------------------------------------------------------- messages


@dataclass(frozen=True, slots=True)
class Offer:
    """An SDP offer. ``to``: recipient id (None = broadcast); ``sender``: stamped by servers."""

    TYPE: ClassVar[str] = "offer"
    description: SessionDescriptionJSON
    to: str | None = None
    sender: str | None = None

    def _wire(self) -> dict[str, Any]:
        return {"description": dict(self.description), **_addressing(self)}

    @classmethod
    def _parse(cls, fields: _Fields) -> Offer:
        return cls(_description(fields, ("offer",)), *_to_and_from(fields))


@dataclass(frozen=True, slots=True)
class Answer:
    """An SDP answer (``description.type`` is ``answer`` or ``pranswer``)."""

    TYPE: ClassVar[str] = "answer"
    description: SessionDescriptionJSON
    to: str | None = None
    sender: str | None = None

    def _wire(self) -> dict[str, Any]:
        return {"description": dict(self.description), **_addressing(self)}

    @classmethod
    def _parse(cls, fields: _Fields) -> Answer:
        return cls(_description(fields, ("answer", "pranswer")), *_to_and_from(fields))


@dataclass(frozen=True, slots=True)
class Candidate:
    """One trickled ICE candidate, as ``RTCIceCandidate.toJSON()``."""

    TYPE: ClassVar[str] = "candidate"
    candidate: IceCandidateJSON
    to: str | None = None
    sender: str | None = None

    def _wire(self) -> dict[str, Any]:
        return {"candidate": dict(self.candidate), **_addressing(self)}

    @classmethod
    def _parse(cls, fields: _Fields) -> Candidate:
        cand = fields.object("candidate")
        value: IceCandidateJSON = {
            "candidate": cand.text("candidate"),
            "sdpMid": cand.optional_text("sdpMid"),
            "sdpMLineIndex": cand.optional_index("sdpMLineIndex"),
            "usernameFragment": cand.optional_text("usernameFragment"),
        }
        return cls(value, *_to_and_from(fields))


@dataclass(frozen=True, slots=True)
class EndOfCandidates:
    """The sender has gathered all its candidates (``RTCPeerConnection`` gave ``None``)."""

    TYPE: ClassVar[str] = "end-of-candidates"
    to: str | None = None
    sender: str | None = None

    def _wire(self) -> dict[str, Any]:
        return _addressing(self)

    @classmethod
    def _parse(cls, fields: _Fields) -> EndOfCandidates:
        return cls(*_to_and_from(fields))


@dataclass(frozen=True, slots=True)
class Bye:
    """The sender is hanging up (closing its peer connection)."""

    TYPE: ClassVar[str] = "bye"
    to: str | None = None
    sender: str | None = None

    def _wire(self) -> dict[str, Any]:
        return _addressing(self)

    @classmethod
    def _parse(cls, fields: _Fields) -> Bye:
        return cls(*_to_and_from(fields))


@dataclass(frozen=True, slots=True)
class Join:
    """Client -> room server: enter ``room`` (with a token unless the server is in dev mode)."""

    TYPE: ClassVar[str] = "join"
    room: str
    token: str | None = None
    name: str | None = None

    def _wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"room": self.room}
        if self.token is not None:
            wire["token"] = self.token
        if self.name is not None:
            wire["name"] = self.name
        return wire

    @classmethod
    def _parse(cls, fields: _Fields) -> Join:
        return cls(
            fields.text("room", nonempty=True),
            fields.optional_text("token"),
            fields.optional_text("name"),
        )


@dataclass(frozen=True, slots=True)
class PeerInfo:
    """A participant in a room: ``id`` given by the server, ``name`` chosen by the client."""

    id: str
    name: str | None = None

    def _wire(self) -> dict[str, Any]:
        return {"id": self.id} if self.name is None else {"id": self.id, "name": self.name}

    @classmethod
    def _parse(cls, fields: _Fields) -> PeerInfo:
        return cls(fields.text("id", nonempty=True), fields.optional_text("name"))


@dataclass(frozen=True, slots=True)
class Joined:
    """Room server -> client: you are ``id`` in ``room``; ``peers`` were there before you."""

    TYPE: ClassVar[str] = "joined"
    room: str
    id: str
    peers: tuple[PeerInfo, ...] = ()

    def _wire(self) -> dict[str, Any]:
        return {"room": self.room, "id": self.id, "peers": [p._wire() for p in self.peers]}

    @classmethod
    def _parse(cls, fields: _Fields) -> Joined:
        return cls(
            fields.text("room", nonempty=True),
            fields.text("id", nonempty=True),
            tuple(PeerInfo._parse(item) for item in fields.objects("peers")),
        )


@dataclass(frozen=True, slots=True)
class PeerJoined:
    """Presence: a participant entered the room."""

    TYPE: ClassVar[str] = "peer-joined"
    id: str
    name: str | None = None

    def _wire(self) -> dict[str, Any]:
        return PeerInfo(self.id, self.name)._wire()

    @classmethod
    def _parse(cls, fields: _Fields) -> PeerJoined:
        return cls(fields.text("id", nonempty=True), fields.optional_text("name"))


@dataclass(frozen=True, slots=True)
class PeerLeft:
    """Presence: a participant left (or its connection or server node died)."""

    TYPE: ClassVar[str] = "peer-left"
    id: str

    def _wire(self) -> dict[str, Any]:
        return {"id": self.id}

    @classmethod
    def _parse(cls, fields: _Fields) -> PeerLeft:
        return cls(fields.text("id", nonempty=True))


@dataclass(frozen=True, slots=True)
class Error:
    """An error frame from the room server; ``code`` is normally one of :data:`ERROR_CODES`."""

    TYPE: ClassVar[str] = "error"
    code: str
    message: str

    def _wire(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}

    @classmethod
    def _parse(cls, fields: _Fields) -> Error:
        return cls(fields.text("code", nonempty=True), fields.text("message"))


Message = (
    Offer
    | Answer
    | Candidate
    | EndOfCandidates
    | Bye
    | Join
    | Joined
    | PeerJoined
    | PeerLeft
    | Error
)
_PeerMessage = Offer | Answer | Candidate | EndOfCandidates | Bye

# type -> parser. Adding a message: write its class, list it here (and in ``Message``).
_PARSERS: Final[dict[str, Callable[[_Fields], Message]]] = {
    cls.TYPE: cls._parse
    for cls in (
        Offer,
        Answer,
        Candidate,
        EndOfCandidates,
        Bye,
        Join,
        Joined,
        PeerJoined,
        PeerLeft,
        Error,
    )
}
MESSAGE_TYPES: Final = frozenset(_PARSERS)


# --------------------------------------------------------------------------- codec


def _reject_constant(name: str) -> NoReturn:
    _fail(f"frame is not valid JSON: {name} is not a JSON number")


def _parse_json(data: str | bytes | bytearray | memoryview) -> Any:
    if isinstance(data, bytes | bytearray | memoryview):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            _fail(f"frame is not valid UTF-8 (bad byte at offset {exc.start})")
    elif isinstance(data, str):
        text = data
    else:
        raise TypeError(f"decode() takes str or bytes, not {type(data).__name__}")
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except SignalingProtocolError:
        raise
    except json.JSONDecodeError as exc:
        _fail(f"frame is not valid JSON: {exc.msg} (line {exc.lineno} column {exc.colno})")
    except RecursionError:
        _fail("frame is not valid JSON: nested too deeply")
    except ValueError as exc:  # e.g. an integer literal with too many digits
        _fail(f"frame is not valid JSON: {exc}")


def decode(data: str | bytes | bytearray | memoryview) -> Message:
    """Parse one frame. Raises :class:`SignalingProtocolError` naming what is wrong."""
    obj = _parse_json(data)
    if not isinstance(obj, dict):
        kind = "an array" if isinstance(obj, list) else f"a {type(obj).__name__} value"
        _fail(f"frame must be a JSON object, not {kind}")
    if "type" not in obj:
        _fail('frame has no "type" field')
    frame_type = obj["type"]
    if not isinstance(frame_type, str):
        _fail('frame "type" must be a string')
    parser = _PARSERS.get(frame_type)
    if parser is None:
        shown = frame_type if len(frame_type) <= 40 else frame_type[:40] + "..."
        _fail(f"unknown message type {shown!r}", code="unknown-type")
    return parser(_Fields(obj, frame_type))


def encode(message: Message) -> str:
    """Compact JSON for ``message`` (``sender`` is written as ``"from"``).

    Raises ``ValueError`` for a message that ``decode`` would reject (e.g. an ``Offer`` whose
    description has type ``answer``), so bad local calls fail at the sender."""
    wire = {"type": message.TYPE, **message._wire()}
    try:
        text = json.dumps(wire, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except ValueError as exc:
        raise ValueError(f"cannot encode {message!r}: {exc}") from None
    try:
        decode(text)
    except SignalingProtocolError as exc:
        raise ValueError(f"cannot encode {message.TYPE} message: {exc}") from None
    return text

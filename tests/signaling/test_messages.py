"""The signaling codec: round-trips, browser JSON verbatim, malformed input, fuzzing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signaling import (
    ERROR_CODES,
    Answer,
    Bye,
    Candidate,
    EndOfCandidates,
    Error,
    Join,
    Joined,
    Message,
    Offer,
    PeerInfo,
    PeerJoined,
    PeerLeft,
    SignalingProtocolError,
    decode,
    encode,
)

# What Chromium's toJSON() gives (captured shapes; the SDP is abbreviated).
BROWSER_OFFER_SDP = (
    "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "a=group:BUNDLE 0\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:Zk1b\r\na=ice-pwd:4wM1yCvH6h4Pj4Y1Bxj4BfCE\r\na=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 5E:7A:...\r\na=setup:actpass\r\na=mid:0\r\n"
    "a=sctp-port:5000\r\na=max-message-size:262144\r\n"
)
BROWSER_CANDIDATE = {
    "candidate": "candidate:2395300328 1 udp 2113937151 10.99.0.1 51000 typ host generation 0 "
    "ufrag Zk1b network-cost 999",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
    "usernameFragment": "Zk1b",
}

SAMPLES: list[tuple[Message, dict[str, Any]]] = [
    (
        Offer({"type": "offer", "sdp": BROWSER_OFFER_SDP}),
        {"type": "offer", "description": {"type": "offer", "sdp": BROWSER_OFFER_SDP}},
    ),
    (
        Offer({"type": "offer", "sdp": "v=0\r\n"}, to="b7", sender="a3"),
        {
            "type": "offer",
            "description": {"type": "offer", "sdp": "v=0\r\n"},
            "to": "b7",
            "from": "a3",
        },
    ),
    (
        Answer({"type": "answer", "sdp": "v=0\r\n"}, to="a3"),
        {"type": "answer", "description": {"type": "answer", "sdp": "v=0\r\n"}, "to": "a3"},
    ),
    (
        Answer({"type": "pranswer", "sdp": "v=0\r\n"}, sender="x"),
        {"type": "answer", "description": {"type": "pranswer", "sdp": "v=0\r\n"}, "from": "x"},
    ),
    (
        Candidate(BROWSER_CANDIDATE),  # type: ignore[arg-type]
        {"type": "candidate", "candidate": BROWSER_CANDIDATE},
    ),
    (
        Candidate(
            {"candidate": "", "sdpMid": None, "sdpMLineIndex": 3, "usernameFragment": None},
            to="p1",
        ),
        {
            "type": "candidate",
            "candidate": {
                "candidate": "",
                "sdpMid": None,
                "sdpMLineIndex": 3,
                "usernameFragment": None,
            },
            "to": "p1",
        },
    ),
    (EndOfCandidates(), {"type": "end-of-candidates"}),
    (EndOfCandidates(to="b", sender="a"), {"type": "end-of-candidates", "to": "b", "from": "a"}),
    (Bye(), {"type": "bye"}),
    (Bye(sender="a"), {"type": "bye", "from": "a"}),
    (Join("r1"), {"type": "join", "room": "r1"}),
    (
        Join("r1", token="t.k.n", name="älice ☃"),
        {"type": "join", "room": "r1", "token": "t.k.n", "name": "älice ☃"},
    ),
    (Joined("r1", "a3"), {"type": "joined", "room": "r1", "id": "a3", "peers": []}),
    (
        Joined("r1", "a3", (PeerInfo("b7", "bob"), PeerInfo("c9"))),
        {
            "type": "joined",
            "room": "r1",
            "id": "a3",
            "peers": [{"id": "b7", "name": "bob"}, {"id": "c9"}],
        },
    ),
    (PeerJoined("b7", "bob"), {"type": "peer-joined", "id": "b7", "name": "bob"}),
    (PeerJoined("b7"), {"type": "peer-joined", "id": "b7"}),
    (PeerLeft("b7"), {"type": "peer-left", "id": "b7"}),
    *(
        (Error(code, f"about {code}"), {"type": "error", "code": code, "message": f"about {code}"})
        for code in sorted(ERROR_CODES)
    ),
]


@pytest.mark.parametrize(("message", "wire"), SAMPLES, ids=lambda v: getattr(v, "TYPE", ""))
def test_round_trip(message: Message, wire: dict[str, Any]) -> None:
    text = encode(message)
    assert json.loads(text) == wire
    assert decode(text) == message
    assert decode(text.encode("utf-8")) == message
    # Compact, UTF-8, keys in a fixed order (type first).
    assert text == json.dumps(wire, separators=(",", ":"), ensure_ascii=False)
    assert text.startswith(f'{{"type":"{message.TYPE}"')
    assert "\n" not in text  # one frame per line on line transports


def test_encode_is_compact_utf8() -> None:
    assert encode(Bye(to="p1")) == '{"type":"bye","to":"p1"}'
    assert encode(PeerJoined("p1", "☃")) == '{"type":"peer-joined","id":"p1","name":"☃"}'


def test_browser_json_is_accepted_verbatim() -> None:
    """Frames built in JS as {type, description: desc.toJSON()} / {type, candidate: c.toJSON()}."""
    offer = json.dumps(
        {"type": "offer", "description": {"type": "offer", "sdp": BROWSER_OFFER_SDP}}
    )
    message = decode(offer)
    assert isinstance(message, Offer)
    assert message.description == {"type": "offer", "sdp": BROWSER_OFFER_SDP}
    cand = decode(json.dumps({"type": "candidate", "candidate": BROWSER_CANDIDATE, "to": "a3"}))
    assert isinstance(cand, Candidate)
    assert cand.candidate == BROWSER_CANDIDATE
    assert cand.to == "a3"
    # Pretty-printed JSON is fine too.
    assert decode(json.dumps({"type": "bye"}, indent=4)) == Bye()


def test_description_and_candidate_dicts_feed_rtcpeer_directly() -> None:
    from rtcpeer import RTCIceCandidate, RTCSessionDescription

    offer = decode(json.dumps({"type": "offer", "description": {"type": "offer", "sdp": "v=0"}}))
    assert isinstance(offer, Offer)
    assert RTCSessionDescription(**offer.description).toJSON() == offer.description
    cand = decode(json.dumps({"type": "candidate", "candidate": BROWSER_CANDIDATE}))
    assert isinstance(cand, Candidate)
    ice = RTCIceCandidate.from_json(dict(cand.candidate))
    assert (ice.address, ice.port, ice.type) == ("10.99.0.1", 51000, "host")
    assert ice.toJSON() == cand.candidate
    assert RTCIceCandidate(**cand.candidate).toJSON() == BROWSER_CANDIDATE


def test_extra_fields_are_ignored_and_dropped() -> None:
    frame = {
        "type": "candidate",
        "candidate": {**BROWSER_CANDIDATE, "relayProtocol": "udp", "url": "stun:x"},
        "id": 17,
        "future": {"nested": True},
    }
    message = decode(json.dumps(frame))
    assert message == Candidate(BROWSER_CANDIDATE)  # type: ignore[arg-type]
    offer = decode('{"type":"offer","description":{"type":"offer","sdp":"v=0","extra":1},"v":2}')
    assert isinstance(offer, Offer)
    assert offer.description == {"type": "offer", "sdp": "v=0"}


def test_optional_fields_may_be_null_or_absent() -> None:
    assert decode('{"type":"bye","to":null,"from":null}') == Bye()
    assert decode('{"type":"join","room":"r","token":null,"name":null}') == Join("r")
    assert decode('{"type":"peer-joined","id":"p","name":null}') == PeerJoined("p")
    sparse = decode('{"type":"candidate","candidate":{"candidate":"","sdpMid":"0"}}')
    assert sparse == Candidate(
        {"candidate": "", "sdpMid": "0", "sdpMLineIndex": None, "usernameFragment": None}
    )


def test_unknown_error_codes_are_accepted() -> None:
    assert decode('{"type":"error","code":"teapot","message":""}') == Error("teapot", "")


def cand(fields: str) -> str:
    """A candidate frame whose candidate object is ``{"candidate":""<fields>}``."""
    return '{"type":"candidate","candidate":{"candidate":""' + fields + "}}"


def desc(frame_type: str, description: str, extra: str = "") -> str:
    return f'{{"type":"{frame_type}","description":{description}{extra}}}'


BAD_INDEX = "candidate.sdpMLineIndex must be an integer or null"
NON_EMPTY = "must be a non-empty string or null"

# (frame, a fragment of the expected message); the code is "unknown-type" for unknown types.
MALFORMED: list[tuple[str | bytes, str]] = [
    (b"\xff\xfe{}", "not valid UTF-8"),
    (b'{"type":"bye","to":"\xed\xa0\x80"}', "not valid UTF-8"),  # an encoded surrogate
    ("", "not valid JSON"),
    ("{", "not valid JSON"),
    ('{"type":"bye"} x', "not valid JSON"),
    ("NaN", "NaN is not a JSON number"),
    (cand(',"sdpMLineIndex":Infinity'), "Infinity is not a JSON number"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ("1" * 5000, "not valid JSON"),
    ("[]", "must be a JSON object, not an array"),
    ('"bye"', "must be a JSON object, not a str value"),
    ("null", "must be a JSON object, not a NoneType value"),
    ("{}", 'no "type"'),
    ('{"type":7}', '"type" must be a string'),
    ('{"type":"hello"}', "unknown message type 'hello'"),
    ('{"type":"Offer"}', "unknown message type 'Offer'"),
    ('{"type":"offer"}', "offer frame: description is missing"),
    (desc("offer", '"v=0"'), "description must be an object"),
    (desc("offer", '{"sdp":"v=0"}'), "description.type is missing"),
    (desc("offer", '{"type":"offer"}'), "description.sdp is missing"),
    (desc("offer", '{"type":"offer","sdp":1}'), "description.sdp must be a string"),
    (desc("offer", '{"type":"answer","sdp":""}'), "description.type must be 'offer', not 'answer'"),
    (desc("answer", '{"type":"offer","sdp":""}'), "must be 'answer' or 'pranswer', not 'offer'"),
    (desc("answer", '{"type":"rollback","sdp":""}'), "not 'rollback'"),
    (desc("offer", '{"type":"offer","sdp":""}', ',"to":5'), f"offer frame: to {NON_EMPTY}"),
    ('{"type":"bye","to":""}', f"bye frame: to {NON_EMPTY}"),
    ('{"type":"bye","from":[]}', f"bye frame: from {NON_EMPTY}"),
    ('{"type":"bye","to":"\\ud800"}', "to contains a lone surrogate"),
    ('{"type":"candidate"}', "candidate frame: candidate is missing"),
    ('{"type":"candidate","candidate":"candidate:1"}', "candidate must be an object"),
    ('{"type":"candidate","candidate":{"sdpMid":"0"}}', "candidate.candidate is missing"),
    ('{"type":"candidate","candidate":{"candidate":null}}', "candidate.candidate must be a str"),
    (cand(',"sdpMLineIndex":"0"'), BAD_INDEX),
    (cand(',"sdpMLineIndex":0.0'), BAD_INDEX),
    (cand(',"sdpMLineIndex":true'), BAD_INDEX),
    (cand(',"sdpMLineIndex":-1'), "candidate.sdpMLineIndex must be between 0 and 65535"),
    (cand(',"sdpMLineIndex":65536'), "must be between 0 and 65535"),
    (cand(',"sdpMid":0'), "candidate.sdpMid must be a string or null"),
    (cand(',"usernameFragment":{}'), "candidate.usernameFragment must be a string or null"),
    ('{"type":"join"}', "join frame: room is missing"),
    ('{"type":"join","room":""}', "room must be a non-empty string"),
    ('{"type":"join","room":"r","token":1}', "token must be a string or null"),
    ('{"type":"join","room":"r","name":false}', "name must be a string or null"),
    ('{"type":"joined","room":"r","id":"a"}', "joined frame: peers is missing"),
    ('{"type":"joined","room":"r","id":"a","peers":{}}', "peers must be an array"),
    ('{"type":"joined","room":"r","id":"a","peers":["b"]}', "peers[0] must be an object"),
    ('{"type":"joined","room":"r","id":"a","peers":[{"id":"b"},{}]}', "peers[1].id is missing"),
    ('{"type":"joined","room":"r","peers":[]}', "joined frame: id is missing"),
    ('{"type":"joined","room":7,"id":"a","peers":[]}', "room must be a non-empty string"),
    ('{"type":"peer-joined"}', "peer-joined frame: id is missing"),
    ('{"type":"peer-joined","id":"b","name":3}', "name must be a string or null"),
    ('{"type":"peer-left","id":null}', "peer-left frame: id must be a non-empty string"),
    ('{"type":"error","message":"x"}', "error frame: code is missing"),
    ('{"type":"error","code":"malformed"}', "error frame: message is missing"),
    ('{"type":"error","code":"","message":""}', "code must be a non-empty string"),
]


@pytest.mark.parametrize(("frame", "problem"), MALFORMED)
def test_malformed_frames_raise_protocol_error(frame: str | bytes, problem: str) -> None:
    with pytest.raises(SignalingProtocolError) as info:
        decode(frame)
    assert problem in str(info.value)
    unknown = problem.startswith("unknown message type")
    assert info.value.code == ("unknown-type" if unknown else "malformed")
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        (Offer({"type": "answer", "sdp": ""}), "must be 'offer'"),
        (Answer({"type": "offer", "sdp": ""}), "must be 'answer' or 'pranswer'"),
        (Bye(to=""), "to must be a non-empty string"),
        (Join(""), "room must be a non-empty string"),
        (PeerLeft("\ud800"), "lone surrogate"),
        (
            Candidate(
                {"candidate": "", "sdpMid": None, "sdpMLineIndex": 70000, "usernameFragment": None}
            ),
            "between 0 and 65535",
        ),
    ],
)
def test_encode_rejects_what_decode_would(message: Message, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        encode(message)


def test_decode_rejects_non_text_argument() -> None:
    with pytest.raises(TypeError):
        decode(42)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- properties

ids = st.text(min_size=1, max_size=12)
opt_text = st.none() | st.text(max_size=20)
opt_ids = st.none() | ids
sdp = st.text(max_size=200)
candidates = st.fixed_dictionaries(
    {
        "candidate": st.text(max_size=80),
        "sdpMid": opt_text,
        "sdpMLineIndex": st.none() | st.integers(0, 65535),
        "usernameFragment": opt_text,
    }
)
messages: st.SearchStrategy[Message] = st.one_of(
    st.builds(
        Offer, st.fixed_dictionaries({"type": st.just("offer"), "sdp": sdp}), opt_ids, opt_ids
    ),
    st.builds(
        Answer,
        st.fixed_dictionaries({"type": st.sampled_from(["answer", "pranswer"]), "sdp": sdp}),
        opt_ids,
        opt_ids,
    ),
    st.builds(Candidate, candidates, opt_ids, opt_ids),
    st.builds(EndOfCandidates, opt_ids, opt_ids),
    st.builds(Bye, opt_ids, opt_ids),
    st.builds(Join, ids, opt_text, opt_text),
    st.builds(
        Joined, ids, ids, st.lists(st.builds(PeerInfo, ids, opt_text), max_size=4).map(tuple)
    ),
    st.builds(PeerJoined, ids, opt_text),
    st.builds(PeerLeft, ids),
    st.builds(Error, st.sampled_from(sorted(ERROR_CODES)) | ids, st.text(max_size=40)),
)  # fmt: skip


@given(messages)
def test_property_round_trip(message: Message) -> None:
    text = encode(message)
    assert "\n" not in text
    assert decode(text) == message
    assert decode(text.encode("utf-8")) == message


def _decode_or_protocol_error(data: str | bytes) -> None:
    try:
        decode(data)
    except SignalingProtocolError as exc:
        assert str(exc)
        assert exc.code in {"malformed", "unknown-type"}


@given(st.binary(max_size=300))
def test_fuzz_random_bytes(data: bytes) -> None:
    _decode_or_protocol_error(data)


@given(st.text(max_size=300))
def test_fuzz_random_text(text: str) -> None:
    _decode_or_protocol_error(text)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=10)
    | st.sampled_from(["offer", "answer", "candidate", "join", "joined", "error", "0", ""]),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(
        st.sampled_from(["type", "description", "candidate", "sdp", "sdpMid", "sdpMLineIndex",
                         "usernameFragment", "to", "from", "room", "id", "peers", "name", "token",
                         "code", "message"]) | st.text(max_size=5),
        children,
        max_size=5,
    ),
    max_leaves=20,
)  # fmt: skip


@given(json_values)
def test_fuzz_random_json_values(value: Any) -> None:
    _decode_or_protocol_error(json.dumps(value))


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(messages, st.data())
def test_fuzz_mutated_valid_frames(message: Message, data: st.DataObject) -> None:
    """Take a valid frame, replace/delete one field somewhere, or flip bytes of its text."""
    frame = json.loads(encode(message))
    path: list[Any] = []
    node: Any = frame
    while isinstance(node, dict | list) and node and data.draw(st.booleans()):
        key = data.draw(
            st.sampled_from(sorted(node) if isinstance(node, dict) else range(len(node)))
        )
        path.append(key)
        node = node[key]
    if path:
        parent = frame
        for key in path[:-1]:
            parent = parent[key]
        if data.draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(json_values)
    _decode_or_protocol_error(json.dumps(frame))
    raw = bytearray(encode(message).encode("utf-8"))
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(raw) - 1))
        raw[position] = data.draw(st.integers(0, 255))
    _decode_or_protocol_error(bytes(raw))

"""Property tests: parse never fails except with SdpParseError; serialize∘parse is a fixed point."""

from __future__ import annotations

import contextlib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from rtcpeer.errors import SdpParseError
from rtcpeer.sdp import IceCandidateInfo, parse, serialize

FIXTURES = Path(__file__).parents[2] / "fixtures" / "sdp"
REAL_LINES = sorted(
    {line for p in FIXTURES.glob("*.sdp") for line in p.read_bytes().decode().splitlines()}
)
ATTR_NAMES = [
    "mid",
    "rtpmap",
    "fmtp",
    "rtcp-fb",
    "candidate",
    "extmap",
    "ssrc",
    "ssrc-group",
    "msid",
    "rid",
    "simulcast",
    "sctp-port",
    "max-message-size",
    "sctpmap",
    "rtcp",
    "fingerprint",
    "setup",
    "ice-ufrag",
    "ice-pwd",
    "ice-options",
    "group",
    "msid-semantic",
    "sendrecv",
    "rtcp-mux",
    "end-of-candidates",
    "bundle-only",
    "ice-lite",
    "x-unknown",
]
HEAD = ["v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0"]
value_text = st.text(alphabet=st.characters(blacklist_characters="\r\n"), max_size=40)
token_text = st.text(alphabet="0123456789 /:;=*-.abcXYZ", max_size=30)


@st.composite
def attribute_lines(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(ATTR_NAMES))
    value = draw(st.one_of(st.none(), token_text, value_text))
    return f"a={name}" if value is None else f"a={name}:{value}"


@st.composite
def sdp_texts(draw: st.DrawFn) -> str:
    lines = list(HEAD)
    for _ in range(draw(st.integers(0, 3))):
        lines.append(
            draw(
                st.sampled_from(
                    [
                        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
                        "m=audio 9 UDP/TLS/RTP/SAVPF 111 0",
                        "m=video 0 UDP/TLS/RTP/SAVPF 96",
                    ]
                )
            )
        )
        lines += draw(
            st.lists(st.one_of(attribute_lines(), st.sampled_from(REAL_LINES)), max_size=8)
        )
    if draw(st.integers(0, 3)) == 0:  # sometimes one garbage line
        index = draw(st.integers(0, len(lines)))
        lines.insert(index, draw(value_text))
    ending = draw(st.sampled_from(["\r\n", "\n"]))
    return "".join(line + ending for line in lines)


def check(text: str) -> None:
    try:
        desc = parse(text)
    except SdpParseError as exc:
        assert exc.line_number is None or exc.line_number >= 1
        return
    out = serialize(desc)
    assert out == text.replace("\r\n", "\n").replace("\n", "\r\n")
    assert serialize(parse(out)) == out
    # the canonical form (no layout) is a fixed point too and keeps the model
    desc.layout = []
    for m in desc.media:
        m.layout = []
    canonical = serialize(desc)
    assert parse(canonical) == desc
    assert serialize(parse(canonical)) == canonical


@settings(max_examples=400, deadline=None)
@given(sdp_texts())
def test_structured_random_sdp(text: str) -> None:
    check(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(REAL_LINES), max_size=30))
def test_shuffled_real_lines(lines: list[str]) -> None:
    check("".join(line + "\r\n" for line in ["v=0", *lines]))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text(text: str) -> None:
    with contextlib.suppress(SdpParseError):
        parse(text)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(alphabet="0123456789abcdef.:-/ udptcphostyprflx", max_size=12), max_size=14)
)
def test_candidate_parser_total(tokens: list[str]) -> None:
    text = "candidate:" + " ".join(tokens)
    try:
        c = IceCandidateInfo.from_sdp(text)
    except SdpParseError:
        return
    assert IceCandidateInfo.from_sdp(c.to_sdp()) == c

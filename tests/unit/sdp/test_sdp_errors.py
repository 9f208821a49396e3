"""Malformed SDP raises SdpParseError naming the 1-based line number and the line."""

from __future__ import annotations

import pytest

from rtcpeer.errors import SdpParseError
from rtcpeer.sdp import parse

HEAD = ["v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0"]
APP = ["m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "c=IN IP4 0.0.0.0", "a=mid:0"]
AUDIO = ["m=audio 9 UDP/TLS/RTP/SAVPF 111", "c=IN IP4 0.0.0.0", "a=mid:0"]


def sdp(*lines: str) -> str:
    return "".join(line + "\r\n" for line in lines)


# (id, lines, expected 1-based line number of the error)
CASES: list[tuple[str, list[str], int]] = [
    ("empty", [""], 1),
    ("missing v=", ["o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0"], 1),
    ("v not zero", ["v=1", *HEAD[1:]], 1),
    ("line without =", [*HEAD, "a=group:BUNDLE 0", "garbage", *APP], 6),
    ("empty line", [*HEAD, "", *APP], 5),
    ("two-letter type", [*HEAD, "ab=c"], 5),
    ("unknown line type", [*HEAD, "x=1"], 5),
    ("duplicate o=", [*HEAD[:2], HEAD[1], *HEAD[2:]], 3),
    ("short o=", ["v=0", "o=- 1 2 IN IP4", "s=-", "t=0 0"], 2),
    ("non-numeric session id", ["v=0", "o=- abc 2 IN IP4 1.2.3.4", "s=-", "t=0 0"], 2),
    ("bad t=", [*HEAD[:3], "t=0"], 4),
    ("missing s= before m=", [HEAD[0], HEAD[1], HEAD[3], *APP], 4),  # at the m= line
    ("missing t= at end", HEAD[:3], 3),
    ("bad c=", [*HEAD, "c=IN IP4"], 5),
    ("bad b=", [*HEAD, "b=AS"], 5),
    ("m= too short", [*HEAD, "m=audio 9 UDP/TLS/RTP/SAVPF"], 5),
    ("m= bad port", [*HEAD, "m=audio 9x UDP/TLS/RTP/SAVPF 111"], 5),
    ("m= port too big", [*HEAD, "m=audio 70000 UDP/TLS/RTP/SAVPF 111"], 5),
    ("m= bad port count", [*HEAD, "m=audio 9/x UDP/TLS/RTP/SAVPF 111"], 5),
    ("m= double space", [*HEAD, "m=audio  9 UDP/TLS/RTP/SAVPF 111"], 5),
    ("m= non-numeric RTP payload", [*HEAD, "m=audio 9 UDP/TLS/RTP/SAVPF opus"], 5),
    ("m= RTP payload > 127", [*HEAD, "m=audio 9 UDP/TLS/RTP/SAVPF 200"], 5),
    ("rtpmap non-numeric pt", [*HEAD, *AUDIO, "a=rtpmap:abc opus/48000/2"], 8),
    ("rtpmap no clock", [*HEAD, *AUDIO, "a=rtpmap:111 opus"], 8),
    ("rtpmap bad channels", [*HEAD, *AUDIO, "a=rtpmap:111 opus/48000/x"], 8),
    ("fmtp non-numeric pt in RTP", [*HEAD, *AUDIO, "a=fmtp:x a=b"], 8),
    ("rtcp-fb missing type", [*HEAD, *AUDIO, "a=rtcp-fb:111"], 8),
    ("bad candidate", [*HEAD, *APP, "a=candidate:1 1 udp 1 1.2.3.4 9 host"], 8),
    ("candidate bad port", [*HEAD, *APP, "a=candidate:1 1 udp 1 1.2.3.4 99999 typ host"], 8),
    ("candidate bad address", [*HEAD, *APP, "a=candidate:1 1 udp 1 1.2.3 9 typ host"], 8),
    ("sctp-port not a number", [*HEAD, *APP, "a=sctp-port:abc"], 8),
    ("max-message-size not a number", [*HEAD, *APP, "a=max-message-size:-1"], 8),
    ("rtcp bad port", [*HEAD, *AUDIO, "a=rtcp:x IN IP4 0.0.0.0"], 8),
    ("extmap bad id", [*HEAD, *AUDIO, "a=extmap:x urn:foo"], 8),
    ("ssrc not a number", [*HEAD, *AUDIO, "a=ssrc:abc cname:x"], 8),
    ("ssrc-group bad ssrc", [*HEAD, *AUDIO, "a=ssrc-group:FID 1 x"], 8),
    ("fingerprint no value", [*HEAD, *APP, "a=fingerprint:sha-256"], 8),
    ("mid without value", [*HEAD, *APP[:2], "a=mid"], 7),
    ("empty attribute name", [*HEAD, "a=:x"], 5),
    ("rid bad direction", [*HEAD, *AUDIO, "a=rid:h sideways"], 8),
    ("unexpected s= in media", [*HEAD, *APP, "s=x"], 8),
]


@pytest.mark.parametrize(
    ("lines", "line_number"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES]
)
def test_malformed_line_is_reported(lines: list[str], line_number: int) -> None:
    with pytest.raises(SdpParseError) as info:
        parse(sdp(*lines))
    assert info.value.line_number == line_number
    expected_line = lines[line_number - 1] if line_number <= len(lines) else None
    if expected_line is not None:
        assert info.value.line == expected_line
    assert f"line {line_number}" in str(info.value)


def test_lf_line_endings_report_the_same_line() -> None:
    text = "\n".join([*HEAD, *AUDIO, "a=rtpmap:abc opus/48000/2"]) + "\n"
    with pytest.raises(SdpParseError) as info:
        parse(text)
    assert (info.value.line_number, info.value.line) == (8, "a=rtpmap:abc opus/48000/2")


def test_unknown_attributes_are_kept_in_order() -> None:
    text = sdp(*HEAD, "a=x-session:1", *APP, "a=zzz", "a=yyy:a b c", "a=mid:again")
    desc = parse(text)
    assert [(a.name, a.value) for a in desc.attributes] == [("x-session", "1")]
    m = desc.media[0]
    assert [(a.name, a.value) for a in m.attributes] == [
        ("zzz", None),
        ("yyy", "a b c"),
        ("mid", "again"),  # a repeated single-valued attribute is kept verbatim
    ]
    assert m.mid == "0"


def test_no_trailing_newline_and_mixed_endings() -> None:
    text = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\ns=-\r\nt=0 0"
    desc = parse(text)
    assert desc.origin.session_id == 1
    from rtcpeer.sdp import serialize

    assert serialize(desc) == "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


def test_legacy_sctp_and_unusual_lines() -> None:
    text = sdp(
        *HEAD[:3],
        "i=info",
        "u=http://example.com/",
        "e=a@example.com",
        "p=+1 555",
        "c=IN IP4 0.0.0.0",
        "b=AS:100",
        "t=0 0",
        "r=604800 3600 0 90000",
        "a=ice-lite",
        "m=application 9/2 DTLS/SCTP 5000",
        "b=AS:30",
        "a=sctpmap:5000 webrtc-datachannel 1024",
        "a=fmtp:webrtc-datachannel max-message-size=100000",
    )
    desc = parse(text)
    from rtcpeer.sdp import serialize
    from rtcpeer.sdp.jsep import remote_sctp

    assert desc.ice_lite and desc.information == "info" and desc.extra_lines[0][0] == "r"
    m = desc.media[0]
    assert (m.port, m.port_count) == (9, 2)
    assert m.sctpmap is not None and (m.sctpmap.number, m.sctpmap.streams) == (5000, 1024)
    assert m.attribute_values("fmtp") == ["webrtc-datachannel max-message-size=100000"]
    assert remote_sctp(desc) == (5000, 65536, True)
    assert serialize(desc) == text

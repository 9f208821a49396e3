"""Real SDPs (tests/fixtures/sdp, captured by tools/capture_sdp.py) parse and round-trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from rtcpeer.sdp import Codec, Fingerprint, RtcpFeedback, parse, serialize
from rtcpeer.sdp.jsep import (
    bundle_group,
    remote_candidates,
    remote_end_of_candidates,
    remote_fingerprints,
    remote_ice_params,
    remote_sctp,
    remote_setup,
    validate_remote_description,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "sdp"
ALL = sorted(FIXTURES.glob("*.sdp"))


def load(name: str) -> str:
    return (FIXTURES / name).read_bytes().decode()


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def test_fixtures_exist() -> None:
    names = {p.name for p in ALL}
    for peer in ("aiortc", "chromium"):
        for scenario in ("datachannel", "audio_video"):
            for kind in ("offer", "answer"):
                assert f"{peer}_{scenario}_{kind}.sdp" in names


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_round_trip_byte_for_byte(path: Path) -> None:
    text = path.read_bytes().decode()
    assert serialize(parse(text)) == crlf(text)


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_round_trip_with_lf_line_endings(path: Path) -> None:
    text = path.read_bytes().decode().replace("\r\n", "\n")
    assert serialize(parse(text)) == crlf(text)


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_canonical_form_parses_to_the_same_model(path: Path) -> None:
    desc = parse(path.read_bytes().decode())
    desc.layout = []
    for m in desc.media:
        m.layout = []
    canonical = serialize(desc)
    again = parse(canonical)
    assert again == desc
    assert serialize(again) == canonical


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_fixture_is_a_valid_remote_description(path: Path) -> None:
    desc = parse(path.read_bytes().decode())
    sdp_type = "offer" if "offer" in path.name else "answer"
    validate_remote_description(desc, sdp_type)


def test_chromium_datachannel_offer_fields() -> None:
    desc = parse(load("chromium_datachannel_offer.sdp"))
    assert desc.version == 0
    assert desc.origin.username == "-"
    assert desc.origin.session_version == 2
    assert (desc.origin.nettype, desc.origin.addrtype) == ("IN", "IP4")
    assert desc.session_name == "-"
    assert (desc.timing.start, desc.timing.stop) == (0, 0)
    assert bundle_group(desc) == ["0"]
    assert desc.extmap_allow_mixed
    assert desc.msid_semantic is not None and desc.msid_semantic.semantic == "WMS"
    [m] = desc.media
    assert (m.kind, m.proto, m.fmt, m.mid) == (
        "application",
        "UDP/DTLS/SCTP",
        ["webrtc-datachannel"],
        "0",
    )
    assert (m.sctp_port, m.max_message_size) == (5000, 262144)
    assert m.setup == "actpass" and remote_setup(desc) == "actpass"
    assert m.ice_options == ["trickle"]
    assert m.ice_ufrag is not None and m.ice_pwd is not None
    ice = remote_ice_params(desc)
    assert (ice.ufrag, ice.pwd, ice.ice_lite, ice.ice_options) == (
        m.ice_ufrag,
        m.ice_pwd,
        False,
        ("trickle",),
    )
    [fp] = remote_fingerprints(desc)
    assert fp.algorithm == "sha-256" and len(fp.value.split(":")) == 32
    assert remote_sctp(desc) == (5000, 262144, False)
    assert m.candidates and all(c.component == 1 for c in m.candidates)
    assert {c.transport for c in m.candidates} <= {"udp", "tcp"}
    assert all(c.tcptype == "active" for c in m.candidates if c.transport == "tcp")
    assert all(c.generation == 0 for c in m.candidates)
    cands = remote_candidates(desc)
    assert [(rc.mid, rc.mline_index) for rc in cands] == [("0", 0)] * len(m.candidates)
    assert cands[0].candidate.raw is not None and cands[0].candidate.raw.startswith("candidate:")


def test_aiortc_datachannel_offer_fields() -> None:
    desc = parse(load("aiortc_datachannel_offer.sdp"))
    [m] = desc.media
    assert m.mid == "0" and m.setup == "actpass"
    assert [f.algorithm for f in m.fingerprints] == ["sha-256", "sha-384", "sha-512"]
    assert isinstance(m.fingerprints[0], Fingerprint) and isinstance(m.fingerprints[0], tuple)
    assert m.end_of_candidates and remote_end_of_candidates(desc)
    assert desc.msid_semantic is not None and desc.msid_semantic.identifiers == ["*"]


def test_aiortc_answer_setup_is_active() -> None:
    assert remote_setup(parse(load("aiortc_datachannel_answer.sdp"))) == "active"
    assert remote_setup(parse(load("chromium_datachannel_answer.sdp"))) == "active"


def test_chromium_audio_video_offer_codecs() -> None:
    desc = parse(load("chromium_audio_video_offer.sdp"))
    assert bundle_group(desc) == ["0", "1"]
    audio, video = desc.media
    assert (audio.kind, audio.mid, audio.direction) == ("audio", "0", "sendrecv")
    assert (video.kind, video.mid) == ("video", "1")
    assert audio.proto == "UDP/TLS/RTP/SAVPF"
    assert audio.fmt[0] == "111"
    opus = audio.codec(111)
    assert opus is not None
    assert (opus.name, opus.clock_rate, opus.channels) == ("opus", 48000, 2)
    assert opus.fmtp == {"minptime": "10", "useinbandfec": "1"}
    assert list(opus.fmtp) == ["minptime", "useinbandfec"]
    assert RtcpFeedback("transport-cc") in opus.rtcp_fb
    red = next(c for c in audio.codecs if c.name == "red")
    assert red.fmtp == {f"{opus.payload_type}/{opus.payload_type}": None}
    assert audio.rtcp_mux and audio.rtcp_rsize
    assert audio.rtcp is not None and audio.rtcp.port == 9 and audio.rtcp.address == "0.0.0.0"
    assert any(e.uri == "urn:ietf:params:rtp-hdrext:sdes:mid" for e in audio.extmaps)
    assert audio.msids and audio.msids[0].track_id is not None
    assert {s.attribute for s in audio.ssrcs} >= {"cname"}
    assert audio.attribute_values("rtcp-xr") == ["rcvr-rtt=all"]
    names = {c.name for c in video.codecs}
    assert {"VP8", "rtx"} <= names
    vp8 = next(c for c in video.codecs if c.name == "VP8")
    assert vp8.clock_rate == 90000 and vp8.channels is None
    assert RtcpFeedback("nack", "pli") in vp8.rtcp_fb
    rtx = [c for c in video.codecs if c.name == "rtx"]
    assert any(c.fmtp.get("apt") == str(vp8.payload_type) for c in rtx)
    assert video.ssrc_groups and video.ssrc_groups[0].semantics == "FID"
    assert all(str(c.payload_type) in video.fmt for c in video.codecs)


def test_aiortc_audio_video_offer_codecs() -> None:
    desc = parse(load("aiortc_audio_video_offer.sdp"))
    audio, video = desc.media
    assert [c.name for c in audio.codecs][:1] == ["opus"]
    assert isinstance(audio.codecs[0], Codec)
    assert "VP8" in {c.name for c in video.codecs}
    assert video.ssrc_groups[0].semantics == "FID"
    assert len(video.ssrc_groups[0].ssrcs) == 2


def test_chromium_answer_has_same_mids_as_offer() -> None:
    offer = parse(load("chromium_audio_video_offer.sdp"))
    answer = parse(load("chromium_audio_video_answer.sdp"))
    assert [m.mid for m in answer.media] == [m.mid for m in offer.media]
    validate_remote_description(answer, "answer", offer=offer)


def test_edit_after_parse_keeps_other_lines_verbatim() -> None:
    text = load("chromium_audio_video_offer.sdp")
    desc = parse(text)
    audio = desc.media[0]
    audio.direction = "recvonly"
    opus = audio.codec(111)
    assert opus is not None
    opus.fmtp["stereo"] = "1"
    out = serialize(desc)
    expected = (
        crlf(text)
        .replace("a=sendrecv\r\na=msid:", "a=recvonly\r\na=msid:", 1)
        .replace("minptime=10;useinbandfec=1", "minptime=10;useinbandfec=1;stereo=1", 1)
    )
    assert out == expected


def test_removed_and_added_values() -> None:
    desc = parse(load("chromium_datachannel_offer.sdp"))
    m = desc.media[0]
    first = m.candidates.pop(0)
    m.end_of_candidates = True
    out = serialize(desc)
    assert first.to_candidate_string() not in out
    # a new line goes next to its canonical neighbour: after the last candidate
    lines = out.split("\r\n")
    assert (
        lines[lines.index("a=end-of-candidates") - 1]
        == "a=" + m.candidates[-1].to_candidate_string()
    )
    assert parse(out).media[0].candidates == m.candidates

"""JSEP builders and readers; aiortc (an independent implementation) checks our offers."""

from __future__ import annotations

import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription

from rtcpeer.errors import InvalidAccessError
from rtcpeer.sdp import (
    Codec,
    IceCandidateInfo,
    MediaSectionSpec,
    RtcpFeedback,
    build_answer,
    build_offer,
    parse,
    serialize,
)
from rtcpeer.sdp.jsep import (
    bundle_group,
    remote_candidates,
    remote_fingerprints,
    remote_ice_params,
    remote_sctp,
    remote_setup,
    validate_remote_description,
)

UFRAG, PWD = "abcd", "0123456789abcdefghijkl"
FP = [("sha-256", ":".join(["AB"] * 32))]
HOST = IceCandidateInfo.from_sdp("candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host")
MDNS = IceCandidateInfo.from_sdp(
    "candidate:2 1 udp 2130706431 0a1b2c3d-1111-2222-3333-444455556666.local 50001 typ host"
)


def data_offer(**kwargs: object) -> str:
    desc = build_offer(
        session_id=123456789,
        session_version=1,
        ice_ufrag=UFRAG,
        ice_pwd=PWD,
        fingerprints=FP,
        media=[MediaSectionSpec(kind="application", mid="0")],
        **kwargs,  # type: ignore[arg-type]
    )
    return serialize(desc)


def test_data_channel_offer_text() -> None:
    assert data_offer() == (
        "v=0\r\n"
        "o=- 123456789 1 IN IP4 127.0.0.1\r\n"
        "s=-\r\n"
        "t=0 0\r\n"
        "a=group:BUNDLE 0\r\n"
        "a=msid-semantic: WMS *\r\n"
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
        "c=IN IP4 0.0.0.0\r\n"
        f"a=ice-ufrag:{UFRAG}\r\n"
        f"a=ice-pwd:{PWD}\r\n"
        "a=ice-options:trickle\r\n"
        f"a=fingerprint:sha-256 {FP[0][1]}\r\n"
        "a=setup:actpass\r\n"
        "a=mid:0\r\n"
        "a=sctp-port:5000\r\n"
        "a=max-message-size:262144\r\n"
    )


def test_offer_parses_back_and_reads() -> None:
    text = data_offer(candidates_by_mid={"0": [MDNS, HOST]}, end_of_candidates=True)
    desc = parse(text)
    assert serialize(desc) == text
    validate_remote_description(desc, "offer")
    m = desc.media[0]
    # the default candidate is the first with an IP literal (the mDNS one cannot be in c=)
    assert (m.port, m.connection and m.connection.address) == (50000, "127.0.0.1")
    assert [rc.candidate for rc in remote_candidates(desc)] == [MDNS, HOST]
    assert remote_ice_params(desc) == (UFRAG, PWD, False, ("trickle",))
    assert remote_fingerprints(desc) == FP
    assert remote_setup(desc) == "actpass"
    assert remote_sctp(desc) == (5000, 262144, False)
    assert bundle_group(desc) == ["0"]


async def test_aiortc_accepts_our_offer_and_we_parse_its_answer() -> None:
    pc = RTCPeerConnection()
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=data_offer(), type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        answer = parse(pc.localDescription.sdp)
    finally:
        await pc.close()
    offer = parse(data_offer())
    validate_remote_description(answer, "answer", offer=offer)
    assert [m.mid for m in answer.media] == ["0"]
    assert remote_setup(answer) in ("active", "passive")
    assert remote_sctp(answer) is not None
    assert remote_ice_params(answer).ufrag


async def test_our_answer_to_aiortc_offer_is_accepted_by_aiortc() -> None:
    pc = RTCPeerConnection()
    try:
        pc.createDataChannel("chat")
        await pc.setLocalDescription(await pc.createOffer())
        offer = parse(pc.localDescription.sdp)
        validate_remote_description(offer, "offer")
        answer = build_answer(
            offer,
            session_id=42,
            session_version=1,
            ice_ufrag=UFRAG,
            ice_pwd=PWD,
            fingerprints=FP,
            setup="active",
        )
        text = serialize(answer)
        assert parse(text) == answer
        await pc.setRemoteDescription(RTCSessionDescription(sdp=text, type="answer"))
        assert pc.signalingState == "stable"
    finally:
        await pc.close()
    assert [m.mid for m in answer.media] == [m.mid for m in offer.media]
    assert answer.media[0].setup == "active"
    assert bundle_group(answer) == bundle_group(offer)


def chromium_like_offer() -> str:
    from pathlib import Path

    return (Path(__file__).parents[2] / "fixtures/sdp/chromium_audio_video_offer.sdp").read_text()


def test_answer_rejects_media_it_cannot_accept() -> None:
    offer = parse(chromium_like_offer())
    answer = build_answer(
        offer, session_id=1, session_version=1, ice_ufrag=UFRAG, ice_pwd=PWD, fingerprints=FP
    )
    assert [(m.kind, m.port, m.mid) for m in answer.media] == [("audio", 0, "0"), ("video", 0, "1")]
    assert answer.media[0].fmt == offer.media[0].fmt
    assert bundle_group(answer) is None
    parse(serialize(answer))


def test_answer_accepts_audio_with_common_codec() -> None:
    offer = parse(chromium_like_offer())
    opus = Codec(100, "opus", 48000, 2, {"minptime": "10"}, [RtcpFeedback("transport-cc")])
    answer = build_answer(
        offer,
        session_id=1,
        session_version=1,
        ice_ufrag=UFRAG,
        ice_pwd=PWD,
        fingerprints=FP,
        media=[MediaSectionSpec(kind="audio", mid="0", direction="recvonly", codecs=[opus])],
    )
    audio, video = answer.media
    assert (audio.port, audio.mid, audio.direction, audio.fmt) == (9, "0", "recvonly", ["111"])
    assert audio.rtcp_mux and audio.setup == "active"
    assert video.port == 0
    assert bundle_group(answer) == ["0"]
    again = parse(serialize(answer))
    assert again == answer
    validate_remote_description(again, "answer", offer=offer)


def test_offer_with_audio_spec() -> None:
    opus = Codec(111, "opus", 48000, 2, {"minptime": "10", "useinbandfec": "1"})
    desc = build_offer(
        session_id=1,
        session_version=1,
        ice_ufrag=UFRAG,
        ice_pwd=PWD,
        fingerprints=FP,
        media=[
            MediaSectionSpec(kind="audio", mid="0", codecs=[opus]),
            MediaSectionSpec(kind="application", mid="1"),
        ],
    )
    text = serialize(desc)
    assert "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n" in text
    assert "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n" in text
    assert bundle_group(parse(text)) == ["0", "1"]
    with pytest.raises(ValueError):
        build_offer(
            session_id=1,
            session_version=1,
            ice_ufrag=UFRAG,
            ice_pwd=PWD,
            fingerprints=FP,
            media=[MediaSectionSpec(kind="video", mid="0")],
        )


def test_answer_to_legacy_sctpmap_offer() -> None:
    offer = parse(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
        "m=application 9 DTLS/SCTP 5000\r\nc=IN IP4 0.0.0.0\r\na=mid:data\r\n"
        f"a=ice-ufrag:{UFRAG}\r\na=ice-pwd:{PWD}\r\na=fingerprint:sha-256 {FP[0][1]}\r\n"
        "a=setup:active\r\na=sctpmap:5000 webrtc-datachannel 1024\r\n"
    )
    answer = build_answer(
        offer, session_id=1, session_version=1, ice_ufrag=UFRAG, ice_pwd=PWD, fingerprints=FP
    )
    [m] = answer.media
    assert (m.proto, m.fmt, m.mid) == ("DTLS/SCTP", ["5000"], "data")
    assert m.sctpmap is not None and m.sctpmap.app == "webrtc-datachannel"
    assert m.setup == "passive"  # the offerer insisted on active
    assert remote_sctp(parse(serialize(answer))) == (5000, 65536, True)


@pytest.mark.parametrize(
    ("drop", "sdp_type", "message"),
    [
        ("a=ice-ufrag:", "offer", "ice-ufrag"),
        ("a=ice-pwd:", "offer", "ice-pwd"),
        ("a=fingerprint:", "offer", "fingerprint"),
    ],
)
def test_validation_errors(drop: str, sdp_type: str, message: str) -> None:
    text = "".join(
        line + "\r\n" for line in data_offer().split("\r\n")[:-1] if not line.startswith(drop)
    )
    with pytest.raises(InvalidAccessError, match=message):
        validate_remote_description(parse(text), sdp_type)


def test_actpass_answer_is_invalid() -> None:
    with pytest.raises(InvalidAccessError, match="actpass"):
        validate_remote_description(parse(data_offer()), "answer")


def test_answer_mid_mismatch_is_invalid() -> None:
    offer = parse(data_offer())
    answer = parse(data_offer().replace("a=mid:0", "a=mid:1").replace("BUNDLE 0", "BUNDLE 1"))
    answer.media[0].setup = "active"
    with pytest.raises(InvalidAccessError, match="match"):
        validate_remote_description(answer, "answer", offer=offer)


def test_session_level_values_are_defaults() -> None:
    text = (
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
        f"a=ice-ufrag:{UFRAG}\r\na=ice-pwd:{PWD}\r\na=ice-lite\r\n"
        f"a=fingerprint:sha-256 {FP[0][1]}\r\na=setup:passive\r\n"
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\na=ice-ufrag:wxyz\r\n"
    )
    desc = parse(text)
    validate_remote_description(desc, "answer")
    assert remote_ice_params(desc) == ("wxyz", PWD, True, ())
    assert remote_fingerprints(desc) == FP
    assert remote_setup(desc) == "passive"
    assert remote_sctp(desc) == (5000, 65536, False)  # RFC 8841 defaults

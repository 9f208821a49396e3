"""The answer claims only what rtcpeer implements (DESIGN rule 9, RFC 9429 §5.3.1).

Regression: the answer to Chromium's offer used to copy the offer's rtcp-fb and fmtp lines, so
it claimed goog-remb, transport-cc and ccm fir whatever the local codecs said.
"""

from __future__ import annotations

from pathlib import Path

from rtcpeer.sdp.codecs import answer_codecs, codecs_match, h264_profile
from rtcpeer.sdp.jsep import MediaSectionSpec, build_answer
from rtcpeer.sdp.model import Codec, Extmap, RtcpFeedback
from rtcpeer.sdp.parse import parse
from rtcpeer.sdp.serialize import serialize

FIXTURES = Path(__file__).parents[2] / "fixtures/sdp"
UFRAG, PWD = "abcd", "a" * 24
FP = [("sha-256", ":".join(["AB"] * 32))]
NACK = [RtcpFeedback("nack"), RtcpFeedback("nack", "pli")]
MID_URI = "urn:ietf:params:rtp-hdrext:sdes:mid"


def _ours_video() -> list[Codec]:
    return [
        Codec(96, "VP8", 90000, None, {}, list(NACK)),
        Codec(
            100,
            "H264",
            90000,
            None,
            {
                "level-asymmetry-allowed": "1",
                "packetization-mode": "1",
                "profile-level-id": "42e01f",
            },
            list(NACK),
        ),
        Codec(97, "rtx", 90000, None, {"apt": "96"}),
    ]


def _answer_chromium() -> str:
    offer = parse((FIXTURES / "chromium_audio_video_offer.sdp").read_text())
    opus = Codec(111, "opus", 48000, 2, {"minptime": "10", "useinbandfec": "1"})
    answer = build_answer(
        offer,
        session_id=1,
        session_version=1,
        ice_ufrag=UFRAG,
        ice_pwd=PWD,
        fingerprints=FP,
        media=[
            MediaSectionSpec(kind="audio", mid="0", codecs=[opus], extmaps=[Extmap(9, MID_URI)]),
            MediaSectionSpec(
                kind="video", mid="1", codecs=_ours_video(), extmaps=[Extmap(9, MID_URI)]
            ),
        ],
    )
    return serialize(answer)


def _lines(text: str, prefixes: tuple[str, ...]) -> list[str]:
    return [line for line in text.split("\r\n") if line.startswith(prefixes)]


def test_answer_to_chromium_claims_only_local_feedback_and_fmtp() -> None:
    text = _answer_chromium()
    audio, video = text.split("m=video")
    assert _lines(audio, ("m=audio", "a=rtpmap", "a=fmtp", "a=rtcp-fb", "a=extmap")) == [
        "m=audio 9 UDP/TLS/RTP/SAVPF 111",
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=rtpmap:111 opus/48000/2",
        "a=fmtp:111 minptime=10;useinbandfec=1",
    ]
    video_lines = _lines(video, (" ", "a=rtpmap", "a=fmtp", "a=rtcp-fb", "a=extmap"))
    assert video_lines == [
        " 9 UDP/TLS/RTP/SAVPF 96 108 97 109",
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
        "a=rtpmap:96 VP8/90000",
        "a=rtcp-fb:96 nack",
        "a=rtcp-fb:96 nack pli",
        "a=rtpmap:108 H264/90000",
        "a=rtcp-fb:108 nack",
        "a=rtcp-fb:108 nack pli",
        "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
        "a=rtpmap:97 rtx/90000",
        "a=fmtp:97 apt=96",
        "a=rtpmap:109 rtx/90000",
        "a=fmtp:109 apt=108",
    ]
    assert "goog-remb" not in text and "transport-cc" not in text and "ccm fir" not in text
    # VP8 at the offerer's PT 96 with our feedback; H.264 only in packetization-mode 1 and the
    # constrained-baseline profile (Chromium's 42e01f entry); RTX only for accepted codecs.
    assert "a=rtpmap:96 VP8/90000" in video_lines
    assert "a=rtcp-fb:96 nack" in video_lines and "a=rtcp-fb:96 nack pli" in video_lines
    assert "a=rtpmap:97 rtx/90000" in video_lines and "a=fmtp:97 apt=96" in video_lines
    h264 = [line for line in video_lines if "H264" in line]
    assert h264, video_lines
    offer = parse((FIXTURES / "chromium_audio_video_offer.sdp").read_text())
    offered = {c.payload_type: c for c in offer.media[1].codecs}
    for line in h264:
        pt = int(line.split(":")[1].split()[0])
        assert offered[pt].fmtp.get("packetization-mode") == "1"
        profile = h264_profile(offered[pt].fmtp.get("profile-level-id"))
        assert profile is not None and profile[0] == "constrained-baseline"
    rtx_apts = {line.split("apt=")[1] for line in video_lines if "apt=" in line}
    answered = {line.split(":")[1].split()[0] for line in video_lines if "rtpmap" in line}
    assert rtx_apts <= answered
    assert not any("red/" in line or "ulpfec" in line or "AV1" in line for line in video_lines)


def test_feedback_is_the_intersection() -> None:
    theirs = [Codec(120, "VP8", 90000, None, {}, [RtcpFeedback("nack")])]
    (answer,) = answer_codecs(theirs, _ours_video())
    assert answer.payload_type == 120
    assert answer.rtcp_fb == [RtcpFeedback("nack")]  # not nack pli: they did not offer it


def test_h264_matching_rules() -> None:
    def h264(pm: str | None, plid: str, asym: bool = False) -> Codec:
        fmtp: dict[str, str | None] = {"profile-level-id": plid}
        if pm is not None:
            fmtp["packetization-mode"] = pm
        if asym:
            fmtp["level-asymmetry-allowed"] = "1"
        return Codec(102, "H264", 90000, None, fmtp)

    ours = h264("1", "42e01f", asym=True)
    assert codecs_match(h264("1", "42e01f"), ours)
    assert codecs_match(h264("1", "42c00d"), ours)  # same profile, other level
    assert not codecs_match(h264(None, "42e01f"), ours)  # mode 0 by default
    assert not codecs_match(h264("1", "640c1f"), ours)  # high profile
    assert not codecs_match(h264("1", "zz"), ours)
    # Without level asymmetry, the answer never claims more than the offered level.
    (answer,) = answer_codecs([h264("1", "42e00d")], [ours])
    assert answer.fmtp["profile-level-id"] == "42e00d"
    (answer,) = answer_codecs([h264("1", "42e00d", asym=True)], [ours])
    assert answer.fmtp["profile-level-id"] == "42e01f"


def test_vp9_profile_and_rtx_apt() -> None:
    ours = [
        Codec(98, "VP9", 90000, None, {"profile-id": "0"}),
        Codec(99, "rtx", 90000, None, {"apt": "98"}),
    ]
    theirs = [
        Codec(100, "VP9", 90000, None, {"profile-id": "2"}),
        Codec(101, "rtx", 90000, None, {"apt": "100"}),
        Codec(98, "VP9", 90000, None, {}),
        Codec(99, "rtx", 90000, None, {"apt": "98"}),
    ]
    answer = answer_codecs(theirs, ours)
    assert [(c.payload_type, c.name, c.fmtp) for c in answer] == [
        (98, "VP9", {"profile-id": "0"}),
        (99, "rtx", {"apt": "98"}),
    ]

"""RtpSession.reconfigure (renegotiation) and the SDP -> session config reader."""

from __future__ import annotations

import random
from pathlib import Path

from rtcpeer._mediaconfig import negotiated_media, rtp_session_config
from rtcpeer.rtp.packet import MID_URI, TRANSPORT_CC_URI, HeaderExtensionMap, parse_rtp
from rtcpeer.rtp.session import (
    MediaSectionConfig,
    RtpSession,
    RtpSessionConfig,
    SendStreamConfig,
)
from rtcpeer.sdp.parse import parse

EXT = HeaderExtensionMap({1: MID_URI, 3: TRANSPORT_CC_URI})
FIXTURES = Path(__file__).parents[2] / "fixtures/sdp"


def _audio(ssrc: int) -> MediaSectionConfig:
    return MediaSectionConfig("0", {111: 48000}, EXT, (SendStreamConfig(ssrc, "cn"),))


def test_reconfigure_keeps_sequence_timestamps_and_transport_seq() -> None:
    s = RtpSession(RtpSessionConfig((_audio(10),)), rng=random.Random(3), now=0.0, ntp_offset=0)
    first = s.send_rtp("0", 111, b"a", 0, False, 0.0)
    video = MediaSectionConfig("1", {96: 90000}, EXT, (SendStreamConfig(20, "cn"),))
    s.reconfigure(RtpSessionConfig((_audio(10), video)))
    second = s.send_rtp("0", 111, b"b", 960, False, 0.02)
    assert second.sequence_number == (first.sequence_number + 1) & 0xFFFF
    assert (second.timestamp - first.timestamp) & 0xFFFFFFFF == 960
    seq = [int.from_bytes(p.extensions[3], "big") for p in (first, second)]
    assert seq[1] == (seq[0] + 1) & 0xFFFF
    s.send_rtp("1", 96, b"v", 0, True, 0.03)  # the new section can send
    sent = [parse_rtp(data) for data, is_rtcp in s.packets_to_send(0.03) if not is_rtcp]
    assert [p.ssrc for p in sent] == [10, 10, 20]


def test_config_from_aiortc_offer_and_chromium_answer_fixtures() -> None:
    offer = parse((FIXTURES / "chromium_audio_video_offer.sdp").read_text())
    answer = parse((FIXTURES / "chromium_audio_video_answer.sdp").read_text())
    media = [
        negotiated_media(m.mid or "", "sendrecv", a, m, SendStreamConfig(100 + i, "me"))
        for i, (m, a) in enumerate(zip(offer.media, answer.media, strict=True))
    ]
    audio, video = media
    assert audio.send_codec is not None and audio.send_codec.name.lower() == "opus"
    assert video.send_codec is not None and video.codecs[0] == video.send_codec
    # RTX folded into its codec, both PTs routable.
    if video.send_codec.rtx_payload_type is not None:
        assert video.send_codec.rtx_payload_type in video.clock_rates()
    assert video.extensions.id_of(MID_URI) is not None
    assert video.remote_ssrcs  # Chromium signals a=ssrc
    assert all(media_ssrc in video.remote_ssrcs for media_ssrc in video.remote_rtx.values())
    config = rtp_session_config(media)
    assert [m.mid for m in config.media] == [audio.mid, video.mid]
    assert config.media[0].send_streams == (SendStreamConfig(100, "me"),)

"""Fuzz sessions for the media path: plaintext RTP/RTCP into an RtpSession, and SRTP/SRTCP
through an SrtpSession into it (RFC 3550, RFC 3711, RFC 5761 mux), plus the seeds.

Contracts checked besides "nothing escapes the core": ``parse_rtp`` / ``parse_compound``
raise only their parse errors (the session catches only those), and whatever parses
serializes to something that parses again. The SRTP keys are fixed, so recorded SRTP seeds
authenticate in every fresh session.
"""

from __future__ import annotations

import random

from rtcpeer._mux import is_rtcp
from rtcpeer.dtls.srtp_keys import SrtpKeyMaterial
from rtcpeer.rtp.packet import (
    ABS_SEND_TIME_URI,
    MID_URI,
    TRANSPORT_CC_URI,
    HeaderExtensionMap,
    RtpParseError,
    parse_rtp,
)
from rtcpeer.rtp.rtcp import (
    Bye,
    Fir,
    GenericNack,
    Pli,
    Remb,
    RtcpPacket,
    RtcpParseError,
    TransportFeedback,
    parse_compound,
    serialize_compound,
)
from rtcpeer.rtp.session import MediaSectionConfig, RtpSession, RtpSessionConfig, SendStreamConfig
from rtcpeer.srtp import SrtpSession

_EXT = HeaderExtensionMap({1: MID_URI, 2: ABS_SEND_TIME_URI, 3: TRANSPORT_CC_URI})
_NTP_OFFSET = 3_900_000_000.0
SRTP_PROFILES = ("SRTP_AES128_CM_SHA1_80", "SRTP_AEAD_AES_128_GCM")


class MediaOracleError(AssertionError):
    """A media parser broke its contract."""


def _config(audio_ssrc: int, video_ssrc: int, remote: tuple[int, ...]) -> RtpSessionConfig:
    audio = MediaSectionConfig(
        "0", {111: 48000}, _EXT, (SendStreamConfig(audio_ssrc, "cn"),), remote[:1]
    )
    video = MediaSectionConfig(
        "1",
        {96: 90000, 97: 90000},
        _EXT,
        (SendStreamConfig(video_ssrc, "cn", rtx_ssrc=video_ssrc + 1),),
        remote[1:],
    )
    return RtpSessionConfig((audio, video))


def new_rtp_pair() -> tuple[RtpSession, RtpSession]:
    """a sends (SSRCs 10, 20/21), b receives (SSRCs 30, 40/41); b knows a's SSRCs."""
    a = RtpSession(_config(10, 20, (30, 40)), rng=random.Random(1), now=0.0, ntp_offset=_NTP_OFFSET)
    b = RtpSession(_config(30, 40, (10, 20)), rng=random.Random(2), now=0.0, ntp_offset=_NTP_OFFSET)
    return a, b


def _keys(profile: str, flip: bool) -> SrtpKeyMaterial:
    size = 16
    salt = 12 if "GCM" in profile else 14
    k1, s1, k2, s2 = bytes(range(size)), bytes(salt), bytes(range(1, size + 1)), b"\x01" * salt
    if flip:
        k1, s1, k2, s2 = k2, s2, k1, s1
    return SrtpKeyMaterial(profile, k1, s1, k2, s2)


def check_parsers(data: bytes) -> None:
    if is_rtcp(data):
        try:
            packets = parse_compound(data)
        except RtcpParseError:
            return
        again = serialize_compound(packets)
        try:
            parse_compound(again)
        except RtcpParseError as exc:
            raise MediaOracleError(f"serialized RTCP does not parse: {exc}") from exc
        return
    try:
        packet = parse_rtp(data)
    except RtpParseError:
        return
    try:
        parse_rtp(packet.serialize())
    except RtpParseError as exc:
        raise MediaOracleError(f"serialized RTP does not parse: {exc}") from exc


class RtpSessionFuzz:
    """Plaintext datagrams (after SRTP) into the receiving RtpSession, RTCP told by RFC 5761."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.now = 0.0
        self.a, self.b = new_rtp_pair()

    def deliver(self, data: bytes) -> None:
        if is_rtcp(data):
            self.b.receive_rtcp(data, self.now)
        else:
            self.b.receive_rtp(data, self.now)
        while self.b.next_event() is not None:
            pass

    def feed(self, data: bytes) -> None:
        check_parsers(data)
        self.deliver(data)
        self.tick()

    def tick(self) -> None:
        self.now += 0.02
        deadline = self.b.get_timer()
        if deadline is not None and deadline <= self.now:
            self.b.handle_timer(self.now)  # RTCP reports built from what was received
        self.b.packets_to_send(self.now)


class SrtpSessionFuzz(RtpSessionFuzz):
    """SRTP/SRTCP datagrams unprotected by b's SrtpSession, then into its RtpSession."""

    def __init__(self, rng: random.Random) -> None:
        super().__init__(rng)
        profile = rng.choice(SRTP_PROFILES)
        self.srtp = SrtpSession(_keys(profile, flip=True))

    def feed(self, data: bytes) -> None:
        rtcp = is_rtcp(data)
        plain = self.srtp.unprotect_rtcp(data) if rtcp else self.srtp.unprotect_rtp(data)
        if plain is not None:
            self.deliver(plain)
        self.tick()


def record_rtp() -> list[bytes]:
    """RTP from a's send streams (audio, video, RTX PT) and RTCP of every type it sends."""
    a, _b = new_rtp_pair()
    out: list[bytes] = []
    for i in range(6):
        now = i * 0.02
        a.send_rtp("0", 111, b"\xfc" + bytes(40), i * 960, False, now)
        a.send_rtp("1", 96, bytes([0x90, 0x80, i]) + bytes(60), i * 3000, i == 5, now)
    a.send_rtp("1", 97, b"\x00\x01" + bytes(30), 0, False, 0.2)  # RTX payload type
    feedback: list[RtcpPacket] = [
        GenericNack(10, 40, (5, 6, 9, 40)),
        Pli(10, 40),
        Fir(10, ((40, 3),)),
        Remb(10, 1_500_000, (40,)),
        TransportFeedback(10, 40, 100, 7, 1, (1, 1, 0, 2, 1), (4, 8, -300, 12)),
        Bye((10,), b"done"),
    ]
    for packet in feedback:
        a.send_rtcp([packet], 0.3)
    a.handle_timer(5.0)  # the regular SR + SDES compound
    out += [data for data, _ in a.packets_to_send(5.0)]
    return out


def record_srtp(plain: list[bytes]) -> list[bytes]:
    out: list[bytes] = []
    for profile in SRTP_PROFILES:
        sender = SrtpSession(_keys(profile, flip=False))
        for data in plain:
            out.append(sender.protect_rtcp(data) if is_rtcp(data) else sender.protect_rtp(data))
    return out

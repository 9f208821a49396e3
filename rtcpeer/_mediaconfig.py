"""What an applied offer/answer settled for each audio/video m= section, read from the SDP.

The answer carries only what both sides support, with the offerer's payload type numbers and
extension ids (RFC 9429 §5.3.1, :mod:`rtcpeer.sdp.codecs`), so both sides read the negotiated
codecs, feedback and header extensions from the *answer's* section. The send codec is the
first of them (RFC 9429 §5.3.1 / RFC 3264 §6.1: the answerer lists codecs in the offerer's
preference order and both sides send the first they support). Remote SSRCs come from the
remote section (``a=ssrc``, ``a=ssrc-group:FID`` pairs for RTX, RFC 4588 §8.2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .rtp.packet import HeaderExtensionMap
from .rtp.session import MediaSectionConfig, RtpSessionConfig, SendStreamConfig
from .sdp.model import MediaSection

__all__ = [
    "NegotiatedCodec",
    "NegotiatedMedia",
    "negotiated_media",
    "rtp_session_config",
]


@dataclass(frozen=True)
class NegotiatedCodec:
    payload_type: int
    name: str
    clock_rate: int
    channels: int | None
    fmtp: tuple[tuple[str, str | None], ...]
    feedback: frozenset[tuple[str, str | None]]
    rtx_payload_type: int | None = None

    def has_feedback(self, kind: str, parameter: str | None = None) -> bool:
        return (kind, parameter) in self.feedback

    def fmtp_value(self, key: str) -> str | None:
        return next((v for k, v in self.fmtp if k == key), None)


@dataclass(frozen=True)
class NegotiatedMedia:
    """One accepted audio/video m= section, from our side."""

    mid: str
    kind: str
    direction: str  # ours: sendrecv | sendonly | recvonly | inactive
    codecs: tuple[NegotiatedCodec, ...]  # send preference order (RTX folded in)
    extensions: HeaderExtensionMap
    rtcp_reduced_size: bool
    remote_ssrcs: tuple[int, ...] = ()
    remote_rtx: dict[int, int] = field(default_factory=dict)  # rtx ssrc -> media ssrc
    send_stream: SendStreamConfig | None = None

    @property
    def send_codec(self) -> NegotiatedCodec | None:
        return self.codecs[0] if self.codecs else None

    def codec(self, payload_type: int) -> NegotiatedCodec | None:
        return next((c for c in self.codecs if c.payload_type == payload_type), None)

    def clock_rates(self) -> dict[int, int]:
        rates = {c.payload_type: c.clock_rate for c in self.codecs}
        for c in self.codecs:
            if c.rtx_payload_type is not None:
                rates[c.rtx_payload_type] = c.clock_rate
        return rates


def _codecs(answer: MediaSection) -> tuple[NegotiatedCodec, ...]:
    rtx_for = {
        c.fmtp.get("apt"): c.payload_type for c in answer.codecs if (c.name or "").lower() == "rtx"
    }
    out = []
    for c in answer.codecs:
        if not c.name or c.clock_rate is None or c.name.lower() == "rtx":
            continue
        out.append(
            NegotiatedCodec(
                c.payload_type,
                c.name,
                c.clock_rate,
                c.channels,
                tuple(c.fmtp.items()),
                frozenset((f.type, f.parameter) for f in [*c.rtcp_fb, *answer.rtcp_fb_all]),
                rtx_for.get(str(c.payload_type)),
            )
        )
    return tuple(out)


def _remote_ssrcs(remote: MediaSection) -> tuple[tuple[int, ...], dict[int, int]]:
    ssrcs = tuple(dict.fromkeys(s.ssrc for s in remote.ssrcs))
    rtx = {}
    for group in remote.ssrc_groups:
        if group.semantics == "FID" and len(group.ssrcs) == 2:
            rtx[group.ssrcs[1]] = group.ssrcs[0]
    return ssrcs, rtx


def negotiated_media(
    mid: str,
    direction: str,
    answer: MediaSection,
    remote: MediaSection,
    send_stream: SendStreamConfig | None,
) -> NegotiatedMedia:
    """The settled parameters of one m= section (``answer`` is the answer's section, ours or
    the peer's; ``remote`` the peer's section of the same m-line)."""
    ssrcs, rtx = _remote_ssrcs(remote)
    return NegotiatedMedia(
        mid=mid,
        kind=answer.kind,
        direction=direction,
        codecs=_codecs(answer),
        extensions=HeaderExtensionMap({e.id: e.uri for e in answer.extmaps}),
        rtcp_reduced_size=answer.rtcp_rsize,
        remote_ssrcs=ssrcs,
        remote_rtx=rtx,
        send_stream=send_stream,
    )


def rtp_session_config(media: Sequence[NegotiatedMedia]) -> RtpSessionConfig:
    """The RTP session of the BUNDLE group for these sections."""
    return RtpSessionConfig(
        media=tuple(
            MediaSectionConfig(
                mid=m.mid,
                clock_rates=m.clock_rates(),
                extensions=m.extensions,
                send_streams=(m.send_stream,) if m.send_stream is not None else (),
                remote_ssrcs=m.remote_ssrcs + tuple(m.remote_rtx),
            )
            for m in media
        ),
        rtcp_reduced_size=bool(media) and all(m.rtcp_reduced_size for m in media),
    )

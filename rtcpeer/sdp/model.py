"""The SDP data model (RFC 8866 grammar plus the WebRTC attributes JSEP uses).

Structured fields are the truth: code reads and edits ``MediaSection.mid``,
``MediaSection.codecs`` and so on, and :func:`rtcpeer.sdp.serialize.serialize` writes them
out. Parsing also records, per section, the original lines in order (``layout``: a
private list of :class:`LayoutSlot`). The serializer walks that layout first, writing each
line's original text when the structured value behind it is unchanged, so parse →
serialize reproduces a real SDP byte for byte (attribute order and odd spacing included);
edited values come out in canonical form, new values are inserted next to their canonical
neighbours, removed values vanish. A description built in code has no layout and comes out
in canonical order.

Attributes this module does not model are kept in ``attributes`` (name, value) in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from rtcpeer.candidate import IceCandidateInfo

__all__ = [
    "DIRECTIONS",
    "Attribute",
    "Bandwidth",
    "Codec",
    "Connection",
    "Extmap",
    "Fingerprint",
    "Group",
    "LayoutSlot",
    "MediaSection",
    "Msid",
    "MsidSemantic",
    "Origin",
    "Rid",
    "RtcpAttribute",
    "RtcpFeedback",
    "SctpMap",
    "SessionDescription",
    "SsrcAttribute",
    "SsrcGroup",
    "Timing",
]

DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")


class Fingerprint(NamedTuple):
    """``a=fingerprint:<algorithm> <value>`` (RFC 8122); a plain (algorithm, value) tuple."""

    algorithm: str
    value: str


@dataclass
class Origin:
    """``o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>``."""

    username: str = "-"
    session_id: int = 0
    session_version: int = 0
    nettype: str = "IN"
    addrtype: str = "IP4"
    address: str = "127.0.0.1"


@dataclass
class Timing:
    """``t=<start-time> <stop-time>``."""

    start: int = 0
    stop: int = 0


@dataclass
class Connection:
    """``c=<nettype> <addrtype> <connection-address>``."""

    nettype: str = "IN"
    addrtype: str = "IP4"
    address: str = "0.0.0.0"


@dataclass
class Bandwidth:
    """``b=<bwtype>:<bandwidth>``."""

    type: str
    value: int


@dataclass
class Attribute:
    """An attribute kept verbatim: ``a=<name>`` (value None) or ``a=<name>:<value>``."""

    name: str
    value: str | None = None


@dataclass
class Group:
    """``a=group:<semantics> <mid>...`` (RFC 9143 BUNDLE, RFC 5888)."""

    semantics: str
    mids: list[str] = field(default_factory=list)


@dataclass
class MsidSemantic:
    """``a=msid-semantic:<semantic> <identifier>...`` (legacy WMS line browsers still send)."""

    semantic: str
    identifiers: list[str] = field(default_factory=list)


@dataclass
class RtcpFeedback:
    """``a=rtcp-fb:<pt> <type> [<parameter>]`` (RFC 4585), e.g. ("nack", "pli")."""

    type: str
    parameter: str | None = None


@dataclass
class Codec:
    """A payload type with its rtpmap, fmtp and rtcp-fb lines.

    ``name`` is None when only fmtp/rtcp-fb lines name the payload type (a static payload
    type without rtpmap). ``fmtp`` keeps parameter order; a parameter without ``=`` (e.g.
    ``0-15`` of telephone-event or ``111/111`` of RED) maps to None.
    """

    payload_type: int
    name: str | None = None
    clock_rate: int | None = None
    channels: int | None = None
    fmtp: dict[str, str | None] = field(default_factory=dict)
    rtcp_fb: list[RtcpFeedback] = field(default_factory=list)
    has_fmtp: bool = False  # an empty ``a=fmtp:<pt> `` line is still a line


@dataclass
class Extmap:
    """``a=extmap:<id>[/<direction>] <uri> [<attributes>]`` (RFC 8285)."""

    id: int
    uri: str
    direction: str | None = None
    attributes: str | None = None


@dataclass
class Msid:
    """``a=msid:<stream-id> [<track-id>]`` (RFC 8830)."""

    stream_id: str
    track_id: str | None = None


@dataclass
class SsrcAttribute:
    """``a=ssrc:<ssrc> <attribute>[:<value>]`` (RFC 5576)."""

    ssrc: int
    attribute: str
    value: str | None = None


@dataclass
class SsrcGroup:
    """``a=ssrc-group:<semantics> <ssrc>...`` (RFC 5576), e.g. FID, SIM."""

    semantics: str
    ssrcs: list[int] = field(default_factory=list)


@dataclass
class Rid:
    """``a=rid:<id> <send|recv> [<params>]`` (RFC 8851); params kept as text."""

    id: str
    direction: str
    params: str | None = None


@dataclass
class RtcpAttribute:
    """``a=rtcp:<port> [<nettype> <addrtype> <address>]`` (RFC 3605)."""

    port: int
    nettype: str | None = None
    addrtype: str | None = None
    address: str | None = None


@dataclass
class SctpMap:
    """Legacy ``a=sctpmap:<number> <app> [<streams>]`` (draft-ietf-mmusic-sctp-sdp-05)."""

    number: int
    app: str
    streams: int | None = None


class LayoutSlot(NamedTuple):
    """One parsed line: its key in the structure, its original text, its canonical text."""

    key: tuple[object, ...]
    raw: str
    canonical: str


@dataclass
class MediaSection:
    """One ``m=`` section and everything under it."""

    kind: str  # "audio" | "video" | "application" (others are kept, e.g. for rejection)
    port: int
    proto: str  # "UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP", legacy "DTLS/SCTP", ...
    fmt: list[str] = field(default_factory=list)
    port_count: int | None = None
    information: str | None = None
    connection: Connection | None = None
    bandwidths: list[Bandwidth] = field(default_factory=list)
    mid: str | None = None
    direction: str | None = None
    ice_ufrag: str | None = None
    ice_pwd: str | None = None
    ice_options: list[str] | None = None
    fingerprints: list[Fingerprint] = field(default_factory=list)
    setup: str | None = None
    candidates: list[IceCandidateInfo] = field(default_factory=list)
    end_of_candidates: bool = False
    sctp_port: int | None = None
    max_message_size: int | None = None
    sctpmap: SctpMap | None = None
    rtcp: RtcpAttribute | None = None
    rtcp_mux: bool = False
    rtcp_mux_only: bool = False
    rtcp_rsize: bool = False
    codecs: list[Codec] = field(default_factory=list)
    rtcp_fb_all: list[RtcpFeedback] = field(default_factory=list)  # a=rtcp-fb:* ...
    extmaps: list[Extmap] = field(default_factory=list)
    extmap_allow_mixed: bool = False
    msids: list[Msid] = field(default_factory=list)
    ssrc_groups: list[SsrcGroup] = field(default_factory=list)
    ssrcs: list[SsrcAttribute] = field(default_factory=list)
    rids: list[Rid] = field(default_factory=list)
    simulcast: str | None = None
    bundle_only: bool = False
    attributes: list[Attribute] = field(default_factory=list)
    layout: list[LayoutSlot] = field(default_factory=list, repr=False, compare=False)

    @property
    def rejected(self) -> bool:
        """A port of zero rejects (or disables) the section (RFC 3264 §6)."""
        return self.port == 0

    def codec(self, payload_type: int) -> Codec | None:
        for codec in self.codecs:
            if codec.payload_type == payload_type:
                return codec
        return None

    def attribute_values(self, name: str) -> list[str | None]:
        """Values of unmodelled attributes named ``name``, in order."""
        return [a.value for a in self.attributes if a.name == name]


@dataclass
class SessionDescription:
    """A whole SDP: session-level lines plus the media sections in order."""

    version: int = 0
    origin: Origin = field(default_factory=Origin)
    session_name: str = "-"
    information: str | None = None
    uri: str | None = None
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    connection: Connection | None = None
    bandwidths: list[Bandwidth] = field(default_factory=list)
    timing: Timing = field(default_factory=Timing)
    extra_lines: list[tuple[str, str]] = field(default_factory=list)  # r=, z=, k= verbatim
    groups: list[Group] = field(default_factory=list)
    msid_semantic: MsidSemantic | None = None
    ice_lite: bool = False
    ice_ufrag: str | None = None
    ice_pwd: str | None = None
    ice_options: list[str] | None = None
    fingerprints: list[Fingerprint] = field(default_factory=list)
    setup: str | None = None
    direction: str | None = None
    extmap_allow_mixed: bool = False
    extmaps: list[Extmap] = field(default_factory=list)
    attributes: list[Attribute] = field(default_factory=list)
    media: list[MediaSection] = field(default_factory=list)
    layout: list[LayoutSlot] = field(default_factory=list, repr=False, compare=False)

    @property
    def bundle_group(self) -> Group | None:
        for group in self.groups:
            if group.semantics == "BUNDLE":
                return group
        return None

    def section(self, mid: str) -> MediaSection | None:
        for media in self.media:
            if media.mid == mid:
                return media
        return None

    def attribute_values(self, name: str) -> list[str | None]:
        """Values of unmodelled session-level attributes named ``name``, in order."""
        return [a.value for a in self.attributes if a.name == name]

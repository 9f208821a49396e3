"""JSEP offer/answer rules (RFC 9429, formerly RFC 8829) for the RTCPeerConnection facade.

Builders:

* :func:`build_offer` writes one m= section per :class:`MediaSectionSpec`. The data-channel
  section is ``m=application 9 UDP/DTLS/SCTP webrtc-datachannel`` with ``a=sctp-port`` and
  ``a=max-message-size`` (RFC 8841); audio/video sections are ``UDP/TLS/RTP/SAVPF`` with
  rtcp-mux and the spec's codecs (the media milestone fills those in). All sections share
  one BUNDLE group (RFC 9143), ICE credentials and DTLS fingerprints.
* :func:`build_answer` mirrors the offer's m= sections in order (same mids). It accepts the
  first data-channel section (and the legacy ``DTLS/SCTP <port>`` + ``a=sctpmap`` form old
  peers offer), audio/video sections for which a local spec of that kind has a codec in
  common, and rejects everything else with port 0 (RFC 3264 §6, RFC 9429 §5.3.1).

Readers of a remote description (media-level values override session-level ones,
RFC 8839 §5.4, RFC 8122 §5): :func:`remote_ice_params`, :func:`remote_fingerprints`,
:func:`remote_setup`, :func:`remote_sctp`, :func:`remote_candidates`,
:func:`remote_end_of_candidates`, :func:`bundle_group`.

Validation (:func:`validate_remote_description`): a description that parses but cannot be
used — missing ICE credentials or DTLS fingerprint, ``actpass`` in an answer, an answer
whose m= sections do not match the offer — raises ``InvalidAccessError``: W3C webrtc-pc
§4.4.1.5 ("If the content of description is invalid, reject with InvalidAccessError").
Unparseable text raises :class:`~rtcpeer.errors.SdpParseError` from :func:`parse`; the facade
maps that to an ``RTCError`` (``OperationError``) with errorDetail ``"sdp-syntax-error"``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, NamedTuple

from rtcpeer.candidate import IceCandidateInfo
from rtcpeer.errors import InvalidAccessError
from rtcpeer.sdp.codecs import answer_codecs
from rtcpeer.sdp.model import (
    Codec,
    Connection,
    Extmap,
    Fingerprint,
    Group,
    MediaSection,
    Msid,
    MsidSemantic,
    Origin,
    RtcpAttribute,
    RtcpFeedback,
    SctpMap,
    SessionDescription,
    SsrcAttribute,
    SsrcGroup,
)

__all__ = [
    "DATA_CHANNEL_FMT",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "DEFAULT_REMOTE_MAX_MESSAGE_SIZE",
    "IceParameters",
    "MediaSectionSpec",
    "RemoteCandidate",
    "SctpParameters",
    "answer_direction",
    "build_answer",
    "build_offer",
    "bundle_group",
    "remote_candidates",
    "remote_end_of_candidates",
    "remote_fingerprints",
    "remote_ice_params",
    "remote_sctp",
    "remote_setup",
    "validate_remote_description",
]

DATA_CHANNEL_FMT = "webrtc-datachannel"
SCTP_PROTOS = ("UDP/DTLS/SCTP", "TCP/DTLS/SCTP")
LEGACY_SCTP_PROTO = "DTLS/SCTP"
RTP_PROTO = "UDP/TLS/RTP/SAVPF"
DEFAULT_SCTP_PORT = 5000
DEFAULT_MAX_MESSAGE_SIZE = 262144  # what we advertise (as browsers do)
DEFAULT_REMOTE_MAX_MESSAGE_SIZE = 65536  # RFC 8841 §6.1: assumed when the peer says nothing
LEGACY_SCTP_STREAMS = 1024

Kind = Literal["audio", "video", "application"]


@dataclass
class MediaSectionSpec:
    """What the facade wants in one m= section.

    ``kind="application"`` is the data-channel section (``sctp_port``/``max_message_size``
    apply). For audio/video, ``codecs`` (with payload types, rtcp-fb and fmtp filled in),
    ``extmaps``, ``msids``, ``ssrcs`` and ``ssrc_groups`` are copied into the section; the
    media milestone's feature registry produces them.
    """

    kind: Kind
    mid: str
    direction: str = "sendrecv"
    codecs: list[Codec] = field(default_factory=list)
    rtcp_fb_all: list[RtcpFeedback] = field(default_factory=list)
    extmaps: list[Extmap] = field(default_factory=list)
    msids: list[Msid] = field(default_factory=list)
    ssrcs: list[SsrcAttribute] = field(default_factory=list)
    ssrc_groups: list[SsrcGroup] = field(default_factory=list)
    sctp_port: int = DEFAULT_SCTP_PORT
    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE
    rejected: bool = False  # a port-0 section kept at its index (RFC 9429 §5.2.2)


class IceParameters(NamedTuple):
    ufrag: str | None
    pwd: str | None
    ice_lite: bool
    ice_options: tuple[str, ...]


class SctpParameters(NamedTuple):
    port: int
    max_message_size: int
    legacy_sctpmap: bool  # the peer used the pre-RFC 8841 "DTLS/SCTP" + a=sctpmap form


class RemoteCandidate(NamedTuple):
    mid: str | None
    mline_index: int
    candidate: IceCandidateInfo


# --- building -----------------------------------------------------------------------------


def build_offer(
    *,
    session_id: int,
    session_version: int,
    ice_ufrag: str,
    ice_pwd: str,
    fingerprints: Sequence[tuple[str, str]],
    setup: str = "actpass",
    media: Sequence[MediaSectionSpec],
    ice_options_trickle: bool = True,
    candidates_by_mid: Mapping[str, Sequence[IceCandidateInfo]] | None = None,
    end_of_candidates: bool = False,
    ice_lite: bool = False,
) -> SessionDescription:
    """An offer (RFC 9429 §5.2.1) with one BUNDLE group over all sections.

    ``setup`` is ``"actpass"`` for initial offers (RFC 8842 §5.2); a re-offer may keep the
    negotiated ``"active"``/``"passive"`` role.
    """
    if setup not in ("actpass", "active", "passive"):
        raise ValueError(f"an offer's setup must be actpass, active or passive, not {setup!r}")
    desc = _session(session_id, session_version, ice_lite)
    common = _Common(ice_ufrag, ice_pwd, fingerprints, setup, ice_options_trickle)
    for spec in media:
        candidates = list((candidates_by_mid or {}).get(spec.mid, ()))
        if spec.rejected:
            rejected = _rejected_offer_section(spec)
            common.apply_rejected(rejected)
            desc.media.append(rejected)
            continue
        if spec.kind == "application":
            section = _application_section(spec.mid, spec.sctp_port, spec.max_message_size)
        else:
            section = _rtp_section(spec, spec.codecs, spec.direction)
        common.apply(section, candidates, end_of_candidates)
        desc.media.append(section)
    mids = [m.mid for m in desc.media if m.mid is not None and not m.rejected]
    if mids:
        desc.groups.append(Group("BUNDLE", mids))
    return desc


def _rejected_offer_section(spec: MediaSectionSpec) -> MediaSection:
    """RFC 9429 §5.2.2: a rejected m= section stays at its index with port 0, its mid and a
    placeholder format, outside the BUNDLE group (RFC 8843 §7.3.3)."""
    if spec.kind == "application":
        return MediaSection(
            kind="application",
            port=0,
            proto="UDP/DTLS/SCTP",
            fmt=[DATA_CHANNEL_FMT],
            connection=Connection(),
            mid=spec.mid,
        )
    return MediaSection(
        kind=spec.kind,
        port=0,
        proto=RTP_PROTO,
        fmt=[str(c.payload_type) for c in spec.codecs] or ["0"],
        connection=Connection(),
        mid=spec.mid,
        direction="inactive",
        rtcp_mux=True,  # aiortc refuses audio/video sections without it, even at port 0
    )


def build_answer(
    offer: SessionDescription,
    *,
    session_id: int,
    session_version: int,
    ice_ufrag: str,
    ice_pwd: str,
    fingerprints: Sequence[tuple[str, str]],
    setup: str = "active",
    media: Sequence[MediaSectionSpec] = (),
    ice_options_trickle: bool = True,
    candidates_by_mid: Mapping[str, Sequence[IceCandidateInfo]] | None = None,
    end_of_candidates: bool = False,
    sctp_port: int = DEFAULT_SCTP_PORT,
    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
) -> SessionDescription:
    """An answer (RFC 9429 §5.3.1) mirroring ``offer``'s m= sections and mids in order.

    ``setup`` is used when the offer says ``actpass``; an offer of ``active``/``passive``
    forces the opposite role (RFC 8842 §5.3). ``media`` lists local audio/video specs; a
    spec answers the offered section with the same mid (the facade's m-line table has
    associated them, RFC 9429 §5.10); an offered audio/video section without one is rejected.
    """
    if setup not in ("active", "passive"):
        raise ValueError(f"an answer's setup must be active or passive, not {setup!r}")
    desc = _session(session_id, session_version, False)
    unused = list(media)
    have_data = False
    for offered in offer.media:
        section = None
        if not offered.rejected and offered.kind == "application" and not have_data:
            section = _answer_application(offered, sctp_port, max_message_size)
            have_data = section is not None
        elif not offered.rejected and offered.kind in ("audio", "video"):
            section = _answer_rtp(offered, unused)
        role = _answer_role(offered.setup or offer.setup, setup)
        common = _Common(ice_ufrag, ice_pwd, fingerprints, role, ice_options_trickle)
        if section is None:
            rejected = _rejected(offered)
            common.apply_rejected(rejected)
            desc.media.append(rejected)
            continue
        mid = offered.mid or ""
        common.apply(section, list((candidates_by_mid or {}).get(mid, ())), end_of_candidates)
        desc.media.append(section)
    offered_bundle = offer.bundle_group
    if offered_bundle is not None:
        accepted = {m.mid for m in desc.media if not m.rejected}
        mids = [mid for mid in offered_bundle.mids if mid in accepted]
        if mids:
            desc.groups.append(Group("BUNDLE", mids))
    return desc


def _session(session_id: int, session_version: int, ice_lite: bool) -> SessionDescription:
    return SessionDescription(
        origin=Origin("-", session_id, session_version, "IN", "IP4", "127.0.0.1"),
        msid_semantic=MsidSemantic("WMS", ["*"]),
        ice_lite=ice_lite,
    )


@dataclass
class _Common:
    """Transport attributes every accepted section carries (BUNDLE shares them)."""

    ufrag: str
    pwd: str
    fingerprints: Sequence[tuple[str, str]]
    setup: str
    trickle: bool

    def apply_rejected(self, m: MediaSection) -> None:
        """A port-0 section still carries the transport attributes: some stacks (aiortc)
        refuse any m= section without ICE credentials; it gets no candidates."""
        m.ice_ufrag, m.ice_pwd = self.ufrag, self.pwd
        m.ice_options = ["trickle"] if self.trickle else None
        m.fingerprints = [Fingerprint(a, v) for a, v in self.fingerprints]
        m.setup = self.setup

    def apply(
        self, m: MediaSection, candidates: list[IceCandidateInfo], end_of_candidates: bool
    ) -> None:
        self.apply_rejected(m)
        m.candidates = candidates
        m.end_of_candidates = end_of_candidates
        default = _default_candidate(candidates)
        if default is not None:
            ip = ipaddress.ip_address(default.address)
            m.port = default.port
            m.connection = Connection("IN", f"IP{ip.version}", default.address)


def _default_candidate(candidates: list[IceCandidateInfo]) -> IceCandidateInfo | None:
    """RFC 9429 §5.3.2 default candidate: first UDP RTP-component one with an IP literal."""
    for c in candidates:
        if c.component == 1 and c.transport == "udp" and not c.is_mdns:
            try:
                ipaddress.ip_address(c.address)
            except ValueError:
                continue
            return c
    return None


def _application_section(mid: str | None, port: int, max_size: int) -> MediaSection:
    return MediaSection(
        kind="application",
        port=9,
        proto="UDP/DTLS/SCTP",
        fmt=[DATA_CHANNEL_FMT],
        connection=Connection(),
        mid=mid,
        sctp_port=port,
        max_message_size=max_size,
    )


def _rtp_section(spec: MediaSectionSpec, codecs: list[Codec], direction: str) -> MediaSection:
    if not codecs:
        raise ValueError(f"{spec.kind} section {spec.mid!r} needs at least one codec")
    return MediaSection(
        kind=spec.kind,
        port=9,
        proto=RTP_PROTO,
        fmt=[str(c.payload_type) for c in codecs],
        connection=Connection(),
        rtcp=RtcpAttribute(9, "IN", "IP4", "0.0.0.0"),
        mid=spec.mid,
        extmaps=[replace(e) for e in spec.extmaps],
        direction=direction,
        msids=[replace(m) for m in spec.msids],
        rtcp_mux=True,
        rtcp_rsize=True,
        rtcp_fb_all=[replace(f) for f in spec.rtcp_fb_all],
        codecs=[_copy_codec(c) for c in codecs],
        ssrc_groups=[replace(g, ssrcs=list(g.ssrcs)) for g in spec.ssrc_groups],
        ssrcs=[replace(s) for s in spec.ssrcs],
    )


def _copy_codec(c: Codec, payload_type: int | None = None) -> Codec:
    return replace(
        c,
        payload_type=c.payload_type if payload_type is None else payload_type,
        fmtp=dict(c.fmtp),
        rtcp_fb=[replace(f) for f in c.rtcp_fb],
    )


def _answer_application(
    offered: MediaSection, sctp_port: int, max_size: int
) -> MediaSection | None:
    if offered.proto in SCTP_PROTOS and DATA_CHANNEL_FMT in offered.fmt:
        section = _application_section(offered.mid, sctp_port, max_size)
        section.proto = offered.proto
        return section
    if offered.proto == LEGACY_SCTP_PROTO and offered.sctpmap is not None:
        port = str(sctp_port)
        return MediaSection(
            kind="application",
            port=9,
            proto=LEGACY_SCTP_PROTO,
            fmt=[port],
            connection=Connection(),
            mid=offered.mid,
            sctpmap=SctpMap(sctp_port, DATA_CHANNEL_FMT, LEGACY_SCTP_STREAMS),
        )
    return None


_REVERSE = {"sendrecv": "sendrecv", "sendonly": "recvonly", "recvonly": "sendonly"}
_SENDS = {"sendrecv": (True, True), "sendonly": (True, False), "recvonly": (False, True)}


def answer_direction(offered: str | None, local: str) -> str:
    """RFC 3264 §6.1 / RFC 9429 §5.3.1: the offer's direction reversed, limited by ours."""
    theirs = _SENDS.get(_REVERSE.get(offered or "sendrecv", ""), (False, False))
    ours = _SENDS.get(local, (False, False))
    send, recv = theirs[0] and ours[0], theirs[1] and ours[1]
    for name, flags in _SENDS.items():
        if flags == (send, recv):
            return name
    return "inactive"


def _answer_rtp(offered: MediaSection, unused: list[MediaSectionSpec]) -> MediaSection | None:
    """Answer one audio/video section from a local spec (RFC 9429 §5.3.1).

    Codecs, rtcp-fb and header extensions are the intersection of the offer with what the spec
    (i.e. rtcpeer's code) implements: payload types and extension ids stay the offerer's, the
    claims are ours (:func:`rtcpeer.sdp.codecs.answer_codecs`).
    """
    spec = next((s for s in unused if s.kind == offered.kind and s.mid == offered.mid), None)
    if spec is None or offered.proto != RTP_PROTO:
        return None
    kept = answer_codecs(offered.codecs, spec.codecs)
    if not any((c.name or "").lower() != "rtx" for c in kept):
        return None
    unused.remove(spec)
    offered_fb_all = {(f.type, f.parameter) for f in offered.rtcp_fb_all}
    answer_spec = replace(
        spec,
        mid=offered.mid or spec.mid,
        rtcp_fb_all=[f for f in spec.rtcp_fb_all if (f.type, f.parameter) in offered_fb_all],
    )
    section = _rtp_section(answer_spec, kept, answer_direction(offered.direction, spec.direction))
    local_uris = {e.uri for e in spec.extmaps}
    section.extmaps = [replace(e) for e in offered.extmaps if e.uri in local_uris]
    section.rtcp_rsize = offered.rtcp_rsize
    return section


def _rejected(offered: MediaSection) -> MediaSection:
    return MediaSection(
        kind=offered.kind,
        port=0,
        proto=offered.proto,
        fmt=list(offered.fmt),
        connection=Connection(),
        mid=offered.mid,
        direction="inactive" if "RTP/" in offered.proto else None,
        rtcp_mux="RTP/" in offered.proto,  # aiortc refuses RTP sections without it
    )


def _answer_role(offered: str | None, preferred: str) -> str:
    if offered == "active":
        return "passive"
    if offered == "passive":
        return "active"
    return preferred


# --- reading a remote description ---------------------------------------------------------


def bundle_group(desc: SessionDescription) -> list[str] | None:
    """The mids of the first ``a=group:BUNDLE`` (RFC 9143), or None."""
    group = desc.bundle_group
    return None if group is None else list(group.mids)


def _section(desc: SessionDescription, mid: str | None) -> MediaSection | None:
    """The section named ``mid``; by default the BUNDLE tag (first bundled mid), else the
    first section that is not rejected."""
    if mid is not None:
        return desc.section(mid)
    mids = bundle_group(desc) or []
    for bundled in mids:
        section = desc.section(bundled)
        if section is not None and not section.rejected:
            return section
    return next((m for m in desc.media if not m.rejected), None)


def remote_ice_params(desc: SessionDescription, mid: str | None = None) -> IceParameters:
    m = _section(desc, mid)
    ufrag = m.ice_ufrag if m is not None and m.ice_ufrag is not None else desc.ice_ufrag
    pwd = m.ice_pwd if m is not None and m.ice_pwd is not None else desc.ice_pwd
    options = m.ice_options if m is not None and m.ice_options is not None else desc.ice_options
    return IceParameters(ufrag, pwd, desc.ice_lite, tuple(options or ()))


def remote_fingerprints(desc: SessionDescription, mid: str | None = None) -> list[Fingerprint]:
    m = _section(desc, mid)
    if m is not None and m.fingerprints:
        return list(m.fingerprints)
    return list(desc.fingerprints)


def remote_setup(desc: SessionDescription, mid: str | None = None) -> str | None:
    m = _section(desc, mid)
    if m is not None and m.setup is not None:
        return m.setup
    return desc.setup


def remote_sctp(desc: SessionDescription) -> SctpParameters | None:
    """Port and max-message-size of the first usable data-channel section (RFC 8841)."""
    for m in desc.media:
        if m.rejected or m.kind != "application":
            continue
        if m.proto in SCTP_PROTOS:
            port = DEFAULT_SCTP_PORT if m.sctp_port is None else m.sctp_port
            size = DEFAULT_REMOTE_MAX_MESSAGE_SIZE
            if m.max_message_size is not None:
                size = m.max_message_size
            return SctpParameters(port, size, False)
        if m.proto == LEGACY_SCTP_PROTO and m.sctpmap is not None:
            size = m.max_message_size or DEFAULT_REMOTE_MAX_MESSAGE_SIZE
            return SctpParameters(m.sctpmap.number, size, True)
    return None


def remote_candidates(desc: SessionDescription) -> list[RemoteCandidate]:
    """Every candidate in the description with its mid and m-line index, in order."""
    return [
        RemoteCandidate(m.mid, index, candidate)
        for index, m in enumerate(desc.media)
        for candidate in m.candidates
    ]


def remote_end_of_candidates(desc: SessionDescription, mid: str | None = None) -> bool:
    m = _section(desc, mid)
    return m is not None and m.end_of_candidates


def validate_remote_description(
    desc: SessionDescription,
    sdp_type: str,
    offer: SessionDescription | None = None,
) -> None:
    """Raise InvalidAccessError if ``desc`` cannot be applied as a remote ``sdp_type``.

    ``offer`` is the local offer an answer/pranswer responds to; when given, the answer must
    have the same number of m= sections with the same mids in order (RFC 3264 §6).
    """
    mids = [m.mid for m in desc.media if m.mid is not None]
    if len(mids) != len(set(mids)):
        raise InvalidAccessError("duplicate a=mid values in the remote description")
    for group in desc.groups:
        missing = [mid for mid in group.mids if mid not in mids]
        if missing:
            raise InvalidAccessError(f"a=group:{group.semantics} names unknown mids {missing}")
    for index, m in enumerate(desc.media):
        if not m.rejected:
            _validate_section(desc, m, index, sdp_type)
    if offer is not None and sdp_type in ("answer", "pranswer"):
        theirs = [m.mid for m in desc.media]
        ours = [m.mid for m in offer.media]
        if theirs != ours:
            raise InvalidAccessError(f"answer m= sections {theirs} do not match the offer's {ours}")


def _validate_section(desc: SessionDescription, m: MediaSection, index: int, sdp_type: str) -> None:
    where = f"m= section {index} (mid {m.mid!r})"
    ice = remote_ice_params(desc, m.mid) if m.mid is not None else None
    ufrag = ice.ufrag if ice else m.ice_ufrag or desc.ice_ufrag
    pwd = ice.pwd if ice else m.ice_pwd or desc.ice_pwd
    if not ufrag or not pwd:
        raise InvalidAccessError(f"{where} has no a=ice-ufrag / a=ice-pwd")
    if not 4 <= len(ufrag) <= 256 or not 22 <= len(pwd) <= 256:
        raise InvalidAccessError(f"{where}: ice-ufrag must be 4-256 and ice-pwd 22-256 chars")
    if not (m.fingerprints or desc.fingerprints):
        raise InvalidAccessError(f"{where} has no a=fingerprint")
    setup = m.setup or desc.setup
    if setup is not None and setup not in ("actpass", "active", "passive"):
        raise InvalidAccessError(f"{where} has unknown a=setup:{setup}")
    if setup == "actpass" and sdp_type in ("answer", "pranswer"):
        raise InvalidAccessError(f"{where}: an answer must not use a=setup:actpass")

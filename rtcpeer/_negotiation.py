"""The facade's view of offers and answers, over :mod:`rtcpeer.sdp`.

``LocalDescription`` remembers how it was built so that ``localDescription`` can be rendered
again with the candidates gathered so far (W3C §4.4.1.6: the local description reflects
gathered candidates and end-of-candidates). ``RemoteDescription`` is a parsed, validated
remote offer/answer reduced to what the transports need.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ._mlines import MLine
from .candidate import IceCandidateInfo
from .description import RTCSessionDescription
from .dtls.certificate import RTCDtlsFingerprint
from .errors import OperationError
from .sdp import jsep
from .sdp.model import SessionDescription
from .sdp.parse import parse
from .sdp.serialize import serialize

Builder = Callable[[Mapping[str, Sequence[IceCandidateInfo]] | None, bool], SessionDescription]


@dataclass(frozen=True)
class LocalDescription:
    type: str
    ufrag: str
    setup: str | None
    data_mid: str | None
    mids: tuple[str, ...]
    text: str  # rendered without candidates
    build: Builder

    def render(self, candidates: Sequence[IceCandidateInfo], complete: bool) -> str:
        if not candidates and not complete:
            return self.text
        by_mid = {mid: list(candidates) for mid in self.mids}
        return serialize(self.build(by_mid, complete))

    def with_type(self, kind: str) -> LocalDescription:
        return self if kind == self.type else replace(self, type=kind)


def _local(kind: str, ufrag: str, build: Builder) -> LocalDescription:
    desc = build(None, False)
    accepted = [m for m in desc.media if not m.rejected and m.mid is not None]
    data_mid = next((m.mid for m in accepted if m.kind == "application"), None)
    setup = next((m.setup for m in accepted if m.setup is not None), None)
    return LocalDescription(
        type=kind,
        ufrag=ufrag,
        setup=setup,
        data_mid=data_mid,
        mids=tuple(m.mid for m in accepted if m.mid is not None),
        text=serialize(desc),
        build=build,
    )


def _fingerprints(fps: Sequence[RTCDtlsFingerprint]) -> list[tuple[str, str]]:
    return [(f.algorithm, f.value) for f in fps]


_KINDS: dict[str, jsep.Kind] = {"audio": "audio", "video": "video"}


def offer_specs(
    rows: Sequence[MLine[Any]],
    max_message_size: int,
    transceiver_spec: Callable[[MLine[Any]], jsep.MediaSectionSpec] | None = None,
) -> list[jsep.MediaSectionSpec]:
    """One spec per m-line table row, in order (RFC 9429 §5.2.2: rows never move)."""
    specs = []
    for row in rows:
        if row.role == "data":
            spec = jsep.MediaSectionSpec(
                kind="application", mid=row.mid, max_message_size=max_message_size
            )
        elif row.role == "transceiver" and transceiver_spec is not None:
            spec = transceiver_spec(row)
        else:
            kind = _KINDS.get(row.kind, "application")
            spec = jsep.MediaSectionSpec(kind=kind, mid=row.mid, rejected=True)
        specs.append(spec)
    return specs


def build_offer(
    *,
    session_id: int,
    session_version: int,
    ufrag: str,
    pwd: str,
    fingerprints: Sequence[RTCDtlsFingerprint],
    media: Sequence[jsep.MediaSectionSpec],
) -> LocalDescription:

    def build(
        candidates: Mapping[str, Sequence[IceCandidateInfo]] | None, complete: bool
    ) -> SessionDescription:
        return jsep.build_offer(
            session_id=session_id,
            session_version=session_version,
            ice_ufrag=ufrag,
            ice_pwd=pwd,
            fingerprints=_fingerprints(fingerprints),
            media=media,
            candidates_by_mid=candidates,
            end_of_candidates=complete,
        )

    return _local("offer", ufrag, build)


def build_answer(
    remote: RemoteDescription,
    *,
    session_id: int,
    session_version: int,
    ufrag: str,
    pwd: str,
    fingerprints: Sequence[RTCDtlsFingerprint],
    setup: str,
    max_message_size: int,
    media: Sequence[jsep.MediaSectionSpec] = (),
) -> LocalDescription:
    role = "passive" if setup == "passive" else "active"

    def build(
        candidates: Mapping[str, Sequence[IceCandidateInfo]] | None, complete: bool
    ) -> SessionDescription:
        return jsep.build_answer(
            remote.desc,
            session_id=session_id,
            session_version=session_version,
            ice_ufrag=ufrag,
            ice_pwd=pwd,
            fingerprints=_fingerprints(fingerprints),
            setup=role,
            media=media,
            candidates_by_mid=candidates,
            end_of_candidates=complete,
            max_message_size=max_message_size,
        )

    return _local("answer", ufrag, build)


def same_sdp(local: LocalDescription, text: str) -> bool:
    """Whether ``text`` is ``local`` (possibly re-rendered with candidates)."""

    def strip(sdp: str) -> list[str]:
        return [
            line
            for line in sdp.replace("\r\n", "\n").split("\n")
            if line and not line.startswith(("a=candidate:", "a=end-of-candidates", "c=", "m="))
        ]

    return strip(local.text) == strip(text)


@dataclass(frozen=True)
class RemoteDescription:
    type: str
    sdp: str
    desc: SessionDescription
    ufrag: str
    pwd: str
    ice_lite: bool
    trickle: bool
    fingerprints: list[RTCDtlsFingerprint]
    setup: str | None
    sctp_port: int | None
    max_message_size: int
    data_mid: str | None
    mids: tuple[str | None, ...]
    candidates: list[IceCandidateInfo]
    end_of_candidates: bool

    def session_description(self) -> RTCSessionDescription:
        return RTCSessionDescription(sdp=self.sdp, type=self.type)

    def check_candidate_target(self, mid: str | None, index: int | None) -> None:
        """W3C addIceCandidate: the mid / m-line index must name a section (OperationError)."""
        if mid:
            if mid not in self.mids:
                raise OperationError(f"addIceCandidate: no m= section with mid {mid!r}")
            return
        if index is not None and not 0 <= index < len(self.mids):
            raise OperationError(f"addIceCandidate: sdpMLineIndex {index} out of range")

    def all_ufrags(self) -> set[str]:
        return {self.ufrag}


def parse_remote(
    sdp: str, kind: str, local_offer: LocalDescription | None = None
) -> RemoteDescription:
    """Parse (SdpParseError names the line) and validate (InvalidAccessError) a remote SDP."""
    desc = parse(sdp)
    offer = parse(local_offer.text) if local_offer is not None else None
    jsep.validate_remote_description(desc, kind, offer)
    ice = jsep.remote_ice_params(desc)
    sctp = jsep.remote_sctp(desc)
    data_mid = next((m.mid for m in desc.media if m.kind == "application" and not m.rejected), None)
    candidates = [rc.candidate for rc in jsep.remote_candidates(desc)]
    return RemoteDescription(
        type=kind,
        sdp=sdp,
        desc=desc,
        ufrag=ice.ufrag or "",
        pwd=ice.pwd or "",
        ice_lite=ice.ice_lite,
        trickle="trickle" in ice.ice_options,
        fingerprints=[
            RTCDtlsFingerprint(f.algorithm, f.value) for f in jsep.remote_fingerprints(desc)
        ],
        setup=jsep.remote_setup(desc),
        sctp_port=None if sctp is None else sctp.port,
        max_message_size=jsep.DEFAULT_REMOTE_MAX_MESSAGE_SIZE
        if sctp is None
        else sctp.max_message_size,
        data_mid=data_mid,
        mids=tuple(m.mid for m in desc.media),
        candidates=candidates,
        end_of_candidates=jsep.remote_end_of_candidates(desc),
    )

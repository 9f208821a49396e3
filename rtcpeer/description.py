"""RTCSessionDescription and RTCIceCandidate (W3C webrtc-pc §4.8.1, §4.8.2).

Both accept exactly what a browser's ``toJSON()`` produces, so signaling needs no translation:
``RTCSessionDescription(**browser_json)`` and ``RTCIceCandidate(**browser_json)`` (or
``RTCIceCandidate.from_json``). ``candidate_from_sdp`` / ``candidate_to_sdp`` match aiortc's
helpers so aiortc code ports by changing the import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .candidate import IceCandidateInfo

SDP_TYPES = ("offer", "pranswer", "answer", "rollback")


@dataclass
class RTCSessionDescription:
    """``sdp`` text and ``type`` (offer, pranswer, answer or rollback)."""

    sdp: str = ""
    type: str = "offer"

    def __post_init__(self) -> None:
        if self.type not in SDP_TYPES:
            raise TypeError(
                f"RTCSessionDescription type must be one of {SDP_TYPES}, not {self.type!r}"
            )
        if not isinstance(self.sdp, str):
            raise TypeError("RTCSessionDescription sdp must be a str")

    def toJSON(self) -> dict[str, str]:
        return {"type": self.type, "sdp": self.sdp}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RTCSessionDescription:
        return cls(sdp=str(data.get("sdp", "")), type=str(data.get("type", "")))


class RTCIceCandidate:
    """An ICE candidate as the W3C API exposes it.

    Construct from the browser's JSON fields (``candidate`` is the ``candidate:...`` attribute
    text). An empty ``candidate`` string means end-of-candidates, as in browsers. Parsed fields
    (``foundation``, ``address``, ``port``, ``type``...) are ``None`` for end-of-candidates.
    """

    def __init__(
        self,
        candidate: str = "",
        sdpMid: str | None = None,
        sdpMLineIndex: int | None = None,
        usernameFragment: str | None = None,
    ) -> None:
        if sdpMid is None and sdpMLineIndex is None:
            raise TypeError("RTCIceCandidate needs sdpMid or sdpMLineIndex")
        self.candidate = candidate
        self.sdpMid = sdpMid
        self.sdpMLineIndex = sdpMLineIndex
        self.usernameFragment = usernameFragment
        self._info: IceCandidateInfo | None = (
            IceCandidateInfo.from_sdp(candidate) if candidate.strip() else None
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RTCIceCandidate:
        """Build from ``RTCIceCandidate.toJSON()`` output of a browser."""
        index = data.get("sdpMLineIndex")
        return cls(
            candidate=str(data.get("candidate") or ""),
            sdpMid=data.get("sdpMid"),
            sdpMLineIndex=int(index) if index is not None else None,
            usernameFragment=data.get("usernameFragment"),
        )

    @classmethod
    def from_info(
        cls,
        info: IceCandidateInfo,
        sdp_mid: str | None,
        sdp_mline_index: int | None,
        ufrag: str | None,
    ) -> RTCIceCandidate:
        return cls("candidate:" + info.to_sdp(), sdp_mid, sdp_mline_index, ufrag)

    def toJSON(self) -> dict[str, Any]:
        return {
            "candidate": self.candidate,
            "sdpMid": self.sdpMid,
            "sdpMLineIndex": self.sdpMLineIndex,
            "usernameFragment": self.usernameFragment,
        }

    @property
    def info(self) -> IceCandidateInfo | None:
        return self._info

    # W3C read-only attributes, parsed from the candidate line.
    @property
    def foundation(self) -> str | None:
        return self._info.foundation if self._info else None

    @property
    def component(self) -> int | None:
        return self._info.component if self._info else None

    @property
    def priority(self) -> int | None:
        return self._info.priority if self._info else None

    @property
    def address(self) -> str | None:
        return self._info.address if self._info else None

    ip = address  # aiortc's name

    @property
    def protocol(self) -> str | None:
        return self._info.transport.lower() if self._info else None

    @property
    def port(self) -> int | None:
        return self._info.port if self._info else None

    @property
    def type(self) -> str | None:
        return self._info.type if self._info else None

    @property
    def tcpType(self) -> str | None:
        return self._info.tcptype if self._info else None

    @property
    def relatedAddress(self) -> str | None:
        return self._info.related_address if self._info else None

    @property
    def relatedPort(self) -> int | None:
        return self._info.related_port if self._info else None

    def __repr__(self) -> str:
        return f"RTCIceCandidate({self.candidate!r}, sdpMid={self.sdpMid!r})"


def candidate_from_sdp(sdp: str) -> RTCIceCandidate:
    """aiortc-compatible helper: parse ``candidate:...`` text (sdpMid is set by the caller)."""
    text = sdp[len("candidate:") :] if sdp.startswith("candidate:") else sdp
    return RTCIceCandidate("candidate:" + text, sdpMid="", sdpMLineIndex=0)


def candidate_to_sdp(candidate: RTCIceCandidate) -> str:
    """aiortc-compatible helper: the candidate attribute value without ``candidate:``."""
    text = candidate.candidate
    return text[len("candidate:") :] if text.startswith("candidate:") else text

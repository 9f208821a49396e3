"""ICE candidates as plain values (RFC 8839 section 5.1 grammar).

``IceCandidateInfo`` is what the ICE agent hands to the facade and receives from it. It is a
frozen dataclass, converts to and from the SDP ``candidate-attribute`` value and to and from
:class:`aioice.Candidate`.

Two string forms exist and both are provided:

* :meth:`IceCandidateInfo.to_sdp` -- the value without the ``candidate:`` prefix
  (``"1 1 udp 2122260223 192.0.2.1 5000 typ host"``), as aioice uses it;
* :meth:`IceCandidateInfo.to_candidate_string` -- with the prefix, exactly what a browser puts
  in ``RTCIceCandidate.candidate`` (``"candidate:1 1 udp ..."``).

:meth:`IceCandidateInfo.from_sdp` accepts either form (and an ``a=`` prefix). Malformed input
raises :class:`ValueError`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace

import aioice

_TYPES = frozenset({"host", "srflx", "prflx", "relay"})


@dataclass(frozen=True)
class IceCandidateInfo:
    """One ICE candidate (RFC 8445 section 5.1, RFC 8839 section 5.1)."""

    foundation: str
    component: int
    transport: str
    priority: int
    address: str
    port: int
    type: str
    related_address: str | None = None
    related_port: int | None = None
    tcptype: str | None = None
    sdp_mid: str | None = None
    sdp_mline_index: int | None = None
    #: The ICE ufrag the candidate belongs to (``ufrag`` extension attribute, W3C
    #: ``RTCIceCandidate.usernameFragment``); used to route candidates across ICE restarts.
    ufrag: str | None = None
    generation: int | None = None

    # -- SDP ----------------------------------------------------------------------------------

    def to_sdp(self) -> str:
        """The candidate-attribute value without the ``candidate:`` prefix."""
        parts = [
            self.foundation,
            str(self.component),
            self.transport,
            str(self.priority),
            self.address,
            str(self.port),
            "typ",
            self.type,
        ]
        if self.related_address is not None:
            parts += ["raddr", self.related_address]
        if self.related_port is not None:
            parts += ["rport", str(self.related_port)]
        if self.tcptype is not None:
            parts += ["tcptype", self.tcptype]
        if self.generation is not None:
            parts += ["generation", str(self.generation)]
        if self.ufrag is not None:
            parts += ["ufrag", self.ufrag]
        return " ".join(parts)

    def to_candidate_string(self) -> str:
        """The browser form, ``RTCIceCandidate.candidate``: ``"candidate:" + to_sdp()``."""
        return "candidate:" + self.to_sdp()

    @classmethod
    def from_sdp(
        cls, sdp: str, *, sdp_mid: str | None = None, sdp_mline_index: int | None = None
    ) -> IceCandidateInfo:
        """Parse ``[a=][candidate:]foundation component transport priority addr port typ T ...``.

        Unknown extension attributes are ignored (RFC 8839 section 5.1).
        """
        text = sdp.strip()
        if text.startswith("a="):
            text = text[2:]
        if text.startswith("candidate:"):
            text = text[len("candidate:") :]
        bits = text.split()
        if len(bits) < 8 or bits[6] != "typ":
            raise ValueError(f"malformed ICE candidate: {sdp!r}")
        try:
            component = int(bits[1])
            priority = int(bits[3])
            port = int(bits[5])
        except ValueError as exc:
            raise ValueError(f"malformed ICE candidate: {sdp!r}") from exc
        if not 1 <= component <= 256 or not 0 <= port <= 65535 or not 0 <= priority < 2**32:
            raise ValueError(f"ICE candidate field out of range: {sdp!r}")
        if len(bits) % 2 != 0:
            raise ValueError(f"ICE candidate extension without value: {sdp!r}")
        ext: dict[str, str] = {}
        for i in range(8, len(bits), 2):
            ext.setdefault(bits[i], bits[i + 1])
        try:
            related_port = int(ext["rport"]) if "rport" in ext else None
            generation = int(ext["generation"]) if "generation" in ext else None
        except ValueError as exc:
            raise ValueError(f"malformed ICE candidate: {sdp!r}") from exc
        return cls(
            foundation=bits[0],
            component=component,
            transport=bits[2].lower(),
            priority=priority,
            address=bits[4],
            port=port,
            type=bits[7],
            related_address=ext.get("raddr"),
            related_port=related_port,
            tcptype=ext.get("tcptype"),
            sdp_mid=sdp_mid,
            sdp_mline_index=sdp_mline_index,
            ufrag=ext.get("ufrag"),
            generation=generation,
        )

    # -- aioice -------------------------------------------------------------------------------

    def to_aioice(self) -> aioice.Candidate:
        """A new :class:`aioice.Candidate` with the same fields (sdp_mid/ufrag dropped)."""
        return aioice.Candidate(
            foundation=self.foundation,
            component=self.component,
            transport=self.transport,
            priority=self.priority,
            host=self.address,
            port=self.port,
            type=self.type,
            related_address=self.related_address,
            related_port=self.related_port,
            tcptype=self.tcptype,
            generation=self.generation,
        )

    @classmethod
    def from_aioice(
        cls,
        candidate: aioice.Candidate,
        *,
        sdp_mid: str | None = None,
        sdp_mline_index: int | None = None,
        ufrag: str | None = None,
    ) -> IceCandidateInfo:
        return cls(
            foundation=candidate.foundation,
            component=candidate.component,
            transport=candidate.transport.lower(),
            priority=candidate.priority,
            address=candidate.host,
            port=candidate.port,
            type=candidate.type,
            related_address=candidate.related_address,
            related_port=candidate.related_port,
            tcptype=candidate.tcptype,
            sdp_mid=sdp_mid,
            sdp_mline_index=sdp_mline_index,
            ufrag=ufrag,
            generation=candidate.generation,
        )

    def with_mid(self, sdp_mid: str | None, sdp_mline_index: int | None) -> IceCandidateInfo:
        return replace(self, sdp_mid=sdp_mid, sdp_mline_index=sdp_mline_index)

    @property
    def is_ip_literal(self) -> bool:
        """False for mDNS (``*.local``) and other host names."""
        try:
            ipaddress.ip_address(self.address)
        except ValueError:
            return False
        return True

    @property
    def known_type(self) -> bool:
        return self.type in _TYPES

"""Conversion between :class:`rtcpeer.candidate.IceCandidateInfo` and :class:`aioice.Candidate`.

The candidate model and its RFC 8839 grammar live in :mod:`rtcpeer.candidate` (shared with the
SDP layer and the facade); this module only bridges to aioice, which the agent wraps.
"""

from __future__ import annotations

import aioice

from rtcpeer.candidate import IceCandidateInfo

__all__ = ["IceCandidateInfo", "from_aioice", "to_aioice"]


def to_aioice(candidate: IceCandidateInfo) -> aioice.Candidate:
    """A new :class:`aioice.Candidate` with the same fields (ufrag and extensions dropped)."""
    return aioice.Candidate(
        foundation=candidate.foundation,
        component=candidate.component,
        transport=candidate.transport,
        priority=candidate.priority,
        host=candidate.address,
        port=candidate.port,
        type=candidate.type,
        related_address=candidate.related_address,
        related_port=candidate.related_port,
        tcptype=candidate.tcptype,
        generation=candidate.generation,
    )


def from_aioice(candidate: aioice.Candidate, *, ufrag: str | None = None) -> IceCandidateInfo:
    return IceCandidateInfo(
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
        generation=candidate.generation,
        ufrag=ufrag,
    )

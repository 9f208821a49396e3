"""The ``candidate`` attribute grammar (RFC 8839 §5.1).

::

    candidate-attribute = "candidate" ":" foundation SP component-id SP transport SP
                          priority SP connection-address SP port SP cand-type
                          [SP rel-addr] [SP rel-port] *(SP cand-extension)

``IceCandidateInfo`` is the parsed, immutable form, shared by the SDP layer, the ICE agent
(:mod:`rtcpeer.ice.candidate` converts to and from aioice) and the facade's
``RTCIceCandidate``. Well-known extensions (``tcptype`` from RFC 6544,
``generation``/``ufrag``/``network-id``/``network-cost`` as browsers emit them) get fields;
any other extension pair is kept in ``extensions`` in its original order.

Two string forms: :meth:`~IceCandidateInfo.to_sdp` is the attribute value without the
``candidate:`` prefix (``"1 1 udp 2122260223 192.0.2.1 5000 typ host"``, as aioice and
aiortc's ``candidate_to_sdp`` use it); :meth:`~IceCandidateInfo.to_candidate_string` has the
prefix, exactly what a browser puts in ``RTCIceCandidate.candidate`` and what follows ``a=``
in SDP. Both write the canonical order (rel-addr, rel-port, tcptype, generation, ufrag,
network-id, network-cost, other extensions); ``raw`` keeps the text the candidate was parsed
from (it does not take part in equality).

Errors raise :class:`rtcpeer.errors.SdpParseError` without a line number; the SDP parser
adds the line number when the candidate came from a description.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field, replace

from rtcpeer.errors import SdpParseError

__all__ = ["CANDIDATE_TYPES", "IceCandidateInfo"]

CANDIDATE_TYPES = ("host", "srflx", "prflx", "relay")
TCP_TYPES = ("active", "passive", "so")

_FOUNDATION = re.compile(r"[A-Za-z0-9+/]{1,32}")
_TOKEN = re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+")
_HOSTNAME = re.compile(
    r"(?=.{1,253}\.?$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?"
)
_DIGITS = re.compile(r"[0-9]{1,10}")


@dataclass(frozen=True)
class IceCandidateInfo:
    """One ICE candidate as carried in SDP (``a=candidate:...``) or in trickle messages."""

    foundation: str
    component: int
    transport: str  # lower-cased: "udp", "tcp" (or an extension token)
    priority: int
    address: str  # IPv4, IPv6 or an FQDN such as an mDNS "<uuid>.local" name
    port: int
    type: str  # "host" | "srflx" | "prflx" | "relay" (or an extension token)
    related_address: str | None = None
    related_port: int | None = None
    tcptype: str | None = None
    generation: int | None = None
    ufrag: str | None = None
    network_id: int | None = None
    network_cost: int | None = None
    extensions: tuple[tuple[str, str], ...] = ()
    raw: str | None = field(default=None, compare=False, repr=False)

    @property
    def is_mdns(self) -> bool:
        """True when the address is an mDNS hostname (``*.local``), RFC 8839 / ICE mDNS."""
        return self.address.lower().rstrip(".").endswith(".local")

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
        return self.type in CANDIDATE_TYPES

    def to_candidate_string(self) -> str:
        """``candidate:...``: the browser's ``RTCIceCandidate.candidate`` and SDP's ``a=`` value."""
        return "candidate:" + self.to_sdp()

    def to_sdp(self) -> str:
        """The attribute value without the ``candidate:`` prefix (aioice/aiortc form)."""
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
        if self.network_id is not None:
            parts += ["network-id", str(self.network_id)]
        if self.network_cost is not None:
            parts += ["network-cost", str(self.network_cost)]
        for name, value in self.extensions:
            parts += [name, value]
        return " ".join(parts)

    @classmethod
    def from_sdp(cls, text: str) -> IceCandidateInfo:
        """Parse ``a=candidate:...``, ``candidate:...`` or the bare attribute value."""
        raw = text
        body = text.strip()
        if body.startswith("a="):
            body = body[2:]
        if body.startswith("candidate:"):
            body = body[len("candidate:") :]
        tokens = body.split(" ")
        if len(tokens) < 8:
            raise SdpParseError(f"candidate needs at least 8 fields, got {len(tokens)}")
        foundation, component, transport, priority, address, port, typ, ctype = tokens[:8]
        if not _FOUNDATION.fullmatch(foundation):
            raise SdpParseError(f"bad candidate foundation {foundation!r}")
        if typ != "typ":
            raise SdpParseError(f"expected 'typ' in candidate, got {typ!r}")
        if not _TOKEN.fullmatch(transport):
            raise SdpParseError(f"bad candidate transport {transport!r}")
        if not _TOKEN.fullmatch(ctype):
            raise SdpParseError(f"bad candidate type {ctype!r}")
        info = cls(
            foundation=foundation,
            component=_int(component, "component", 1, 256),
            transport=transport.lower(),
            priority=_int(priority, "priority", 1, 2**32 - 1),
            address=_address(address),
            port=_int(port, "port", 0, 65535),
            type=ctype,
            raw=raw,
        )
        return _parse_extensions(info, tokens[8:])


def _parse_extensions(info: IceCandidateInfo, rest: list[str]) -> IceCandidateInfo:
    if len(rest) % 2:
        raise SdpParseError(f"candidate extension {rest[-1]!r} has no value")
    values: dict[str, object] = {}
    extensions: list[tuple[str, str]] = []
    for name, value in zip(rest[::2], rest[1::2], strict=True):
        if not _TOKEN.fullmatch(name) or not value or " " in value:
            raise SdpParseError(f"bad candidate extension {name!r} {value!r}")
        key = _KNOWN.get(name)
        if key is None or key in values:
            extensions.append((name, value))
            continue
        values[key] = _known_value(name, value)
    if ("related_address" in values) != ("related_port" in values):
        raise SdpParseError("candidate raddr and rport must appear together")
    return replace(info, extensions=tuple(extensions), **values)  # type: ignore[arg-type]


_KNOWN = {
    "raddr": "related_address",
    "rport": "related_port",
    "tcptype": "tcptype",
    "generation": "generation",
    "ufrag": "ufrag",
    "network-id": "network_id",
    "network-cost": "network_cost",
}


def _known_value(name: str, value: str) -> object:
    if name == "raddr":
        return _address(value)
    if name == "rport":
        return _int(value, "rport", 0, 65535)
    if name == "tcptype":
        if value not in TCP_TYPES:
            raise SdpParseError(f"bad candidate tcptype {value!r}")
        return value
    if name == "ufrag":
        return value
    return _int(value, name, 0, 2**32 - 1)


def _int(text: str, what: str, low: int, high: int) -> int:
    if not _DIGITS.fullmatch(text):
        raise SdpParseError(f"candidate {what} is not a number: {text!r}")
    value = int(text)
    if not low <= value <= high:
        raise SdpParseError(f"candidate {what} out of range: {value}")
    return value


def _address(text: str) -> str:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        if not _HOSTNAME.fullmatch(text) or text.replace(".", "").isdigit():
            raise SdpParseError(f"bad candidate address {text!r}") from None
    return text

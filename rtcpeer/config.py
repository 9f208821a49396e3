"""RTCConfiguration and RTCIceServer (W3C webrtc-pc §4.2.1, §4.2.2), plus rtcpeer's knobs.

The W3C members keep their camelCase names. Non-standard knobs are grouped in
:class:`RTCPeerOptions` so that what is standard and what is ours stays obvious.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .dtls.certificate import RTCCertificate

IceTransportPolicy = Literal["all", "relay"]
BundlePolicy = Literal["balanced", "max-compat", "max-bundle"]
RtcpMuxPolicy = Literal["require"]


@dataclass
class RTCIceServer:
    """One STUN or TURN server (W3C §4.2.2). ``urls`` is a URL or a list of them."""

    urls: str | list[str]
    username: str | None = None
    credential: str | None = None
    credentialType: Literal["password"] = "password"

    def url_list(self) -> list[str]:
        return [self.urls] if isinstance(self.urls, str) else list(self.urls)


@dataclass
class RTCPeerOptions:
    """rtcpeer's non-standard settings (defaults suit real networks).

    hostAddresses: gather host candidates only on these local addresses (``None``: every
        interface except loopback, as browsers do). Tests on loopback pass ``["127.0.0.1"]``.
    turnSslContext: the TLS context for ``turns:`` servers (default: system trust store).
    consentDisconnectedAfter / consentFailedAfter: seconds without any sign of life from the
        peer before ``disconnected`` / ``failed`` (RFC 7675 consent freshness; 30 s is the RFC's).
    useIpv6: gather IPv6 host candidates too.
    sctpPathMtuDiscovery: RFC 8899 PLPMTUD for SCTP packets above the 1200-byte base. Probes
        only go above the base to a peer that announces it reads larger packets (another
        rtcpeer); other stacks are never probed beyond the base (see rtcpeer/sctp/plpmtud.py).
    """

    hostAddresses: list[str] | None = None
    turnSslContext: ssl.SSLContext | None = None
    consentDisconnectedAfter: float = 5.0
    consentFailedAfter: float = 30.0
    useIpv6: bool = True
    sctpPathMtuDiscovery: bool = True


@dataclass
class RTCConfiguration:
    """W3C RTCConfiguration. ``certificates`` reuses identities across connections."""

    iceServers: list[RTCIceServer] | None = None
    iceTransportPolicy: IceTransportPolicy = "all"
    bundlePolicy: BundlePolicy = "max-bundle"
    rtcpMuxPolicy: RtcpMuxPolicy = "require"
    certificates: list[RTCCertificate] | None = None
    iceCandidatePoolSize: int = 0
    options: RTCPeerOptions = field(default_factory=RTCPeerOptions)

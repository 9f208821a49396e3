"""Events emitted by :class:`rtcpeer.dtls.endpoint.DtlsEndpoint` (drained with ``next_event``)."""

from __future__ import annotations

from dataclasses import dataclass

from rtcpeer.dtls.srtp_keys import SrtpKeyMaterial

__all__ = ["DtlsApplicationData", "DtlsClosed", "DtlsConnected", "DtlsFailed", "Event"]


@dataclass(frozen=True)
class DtlsConnected:
    """Handshake done and the peer's certificate matched a remote fingerprint.

    ``srtp_profile`` is the negotiated OpenSSL profile name (``"SRTP_AEAD_AES_128_GCM"``...)
    or None if the peer offered no common use_srtp profile; ``keys`` is the exported SRTP
    keying material already split into local/remote by DTLS role (None without a profile).
    """

    srtp_profile: str | None
    keys: SrtpKeyMaterial | None = None


@dataclass(frozen=True)
class DtlsApplicationData:
    """One DTLS record of application data (for WebRTC: one SCTP packet)."""

    data: bytes


@dataclass(frozen=True)
class DtlsFailed:
    """The handshake failed, the peer sent a fatal alert, or the fingerprint did not match."""

    reason: str


@dataclass(frozen=True)
class DtlsClosed:
    """The peer sent close_notify, or we closed with :meth:`DtlsEndpoint.close`."""


Event = DtlsConnected | DtlsApplicationData | DtlsFailed | DtlsClosed

"""DTLS for WebRTC: certificates and fingerprints, a sans-IO DTLS 1.2 endpoint over pyOpenSSL
memory BIOs, and DTLS-SRTP key export."""

from rtcpeer.dtls.certificate import (
    RTCCertificate,
    RTCDtlsFingerprint,
    certificate_fingerprint,
    fingerprint_matches,
)
from rtcpeer.dtls.endpoint import DtlsEndpoint
from rtcpeer.dtls.events import DtlsApplicationData, DtlsClosed, DtlsConnected, DtlsFailed, Event
from rtcpeer.dtls.srtp_keys import SrtpKeyMaterial, libsrtp_profile

__all__ = [
    "DtlsApplicationData",
    "DtlsClosed",
    "DtlsConnected",
    "DtlsEndpoint",
    "DtlsFailed",
    "Event",
    "RTCCertificate",
    "RTCDtlsFingerprint",
    "SrtpKeyMaterial",
    "certificate_fingerprint",
    "fingerprint_matches",
    "libsrtp_profile",
]

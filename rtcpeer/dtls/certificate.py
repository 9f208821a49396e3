"""Certificates and fingerprints for DTLS-SRTP (W3C webrtc-pc §4.9, RFC 8122 §5).

``RTCCertificate.generate()`` makes an ECDSA P-256 key and a self-signed X.509 certificate,
as browsers do by default. Peers authenticate each other only through the certificate
fingerprints exchanged in SDP (``a=fingerprint:sha-256 AB:CD:...``), so the certificate
itself carries no meaningful identity: a random common name and a short validity window.

``certificate_fingerprint(der, algorithm)`` hashes a peer certificate with any hash the
remote SDP may name (sha-1, sha-224, sha-256, sha-384, sha-512; RFC 8122 §5 also lists md2
and md5, which are refused), and ``fingerprint_matches`` compares case-insensitively.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from OpenSSL import crypto

__all__ = [
    "FINGERPRINT_ALGORITHMS",
    "RTCCertificate",
    "RTCDtlsFingerprint",
    "certificate_fingerprint",
    "fingerprint_matches",
]

# SDP hash function name (RFC 8122 §5, IANA "Hash Function Textual Names") -> hashlib name.
FINGERPRINT_ALGORITHMS: dict[str, str] = {
    "sha-1": "sha1",
    "sha-224": "sha224",
    "sha-256": "sha256",
    "sha-384": "sha384",
    "sha-512": "sha512",
}


@dataclass(frozen=True)
class RTCDtlsFingerprint:
    """W3C RTCDtlsFingerprint: ``algorithm`` like ``"sha-256"``, ``value`` like ``"AB:CD:..."``."""

    algorithm: str
    value: str


def certificate_fingerprint(der: bytes, algorithm: str) -> str:
    """Fingerprint of a DER certificate: uppercase hex bytes separated by colons.

    ``algorithm`` is the SDP name (case-insensitive). Raises ``ValueError`` for an unknown or
    refused hash function.
    """
    name = FINGERPRINT_ALGORITHMS.get(algorithm.lower())
    if name is None:
        raise ValueError(f"unsupported fingerprint algorithm {algorithm!r}")
    return _colon_hex(hashlib.new(name, der).digest())


def _colon_hex(digest: bytes) -> str:
    return digest.hex(":").upper()


def fingerprint_matches(der: bytes, fingerprints: list[RTCDtlsFingerprint]) -> bool:
    """True if the DER certificate matches any of ``fingerprints``.

    Fingerprints with an unsupported algorithm are ignored; the hex comparison ignores case
    (RFC 8122 §5 allows either case on the wire).
    """
    for fp in fingerprints:
        name = FINGERPRINT_ALGORITHMS.get(fp.algorithm.lower())
        if name is None:
            continue
        if _colon_hex(hashlib.new(name, der).digest()) == fp.value.strip().upper():
            return True
    return False


class RTCCertificate:
    """W3C RTCCertificate: a private key and its self-signed certificate.

    Create one with :meth:`generate`. ``expires`` is in milliseconds since the epoch (W3C
    ``DOMTimeStamp``). ``_openssl_key()`` / ``_openssl_cert()`` give the pyOpenSSL objects the
    DTLS endpoint loads into its context.
    """

    def __init__(self, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> None:
        self._key = key
        self._cert = cert
        self._der = cert.public_bytes(serialization.Encoding.DER)

    @classmethod
    def generate(cls) -> RTCCertificate:
        """New ECDSA P-256 key and self-signed certificate valid from yesterday to +30 days."""
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, secrets.token_hex(16))])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .sign(key, hashes.SHA256())
        )
        return cls(key, cert)

    @property
    def expires(self) -> float:
        """Expiry time in milliseconds since the epoch (W3C ``RTCCertificate.expires``)."""
        return self._cert.not_valid_after_utc.timestamp() * 1000.0

    def getFingerprints(self) -> list[RTCDtlsFingerprint]:  # W3C name
        """The sha-256 fingerprint of this certificate (what goes into ``a=fingerprint``)."""
        return [RTCDtlsFingerprint("sha-256", certificate_fingerprint(self._der, "sha-256"))]

    @property
    def der(self) -> bytes:
        """The certificate in DER form."""
        return self._der

    def _cryptography_key(self) -> ec.EllipticCurvePrivateKey:
        return self._key

    def _cryptography_cert(self) -> x509.Certificate:
        return self._cert

    def _openssl_key(self) -> crypto.PKey:
        return crypto.PKey.from_cryptography_key(self._key)

    def _openssl_cert(self) -> crypto.X509:
        return crypto.X509.from_cryptography(self._cert)

    def __repr__(self) -> str:
        return f"<RTCCertificate {self.getFingerprints()[0].value[:23]}... expires={self.expires}>"

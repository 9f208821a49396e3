"""RTCCertificate generation and fingerprint helpers."""

from __future__ import annotations

import datetime
import hashlib
import re
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from OpenSSL import crypto

from rtcpeer.dtls import RTCCertificate, RTCDtlsFingerprint, certificate_fingerprint
from rtcpeer.dtls.certificate import fingerprint_matches


def test_generate_ecdsa_p256_self_signed() -> None:
    cert = RTCCertificate.generate()
    c = cert._cryptography_cert()
    key = c.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert key.curve.name == "secp256r1"
    assert c.issuer == c.subject
    now = datetime.datetime.now(datetime.UTC)
    assert c.not_valid_before_utc < now - datetime.timedelta(hours=23)
    assert now + datetime.timedelta(days=29) < c.not_valid_after_utc
    assert c.not_valid_after_utc < now + datetime.timedelta(days=31)


def test_random_common_names() -> None:
    a, b = RTCCertificate.generate(), RTCCertificate.generate()
    assert a._cryptography_cert().subject != b._cryptography_cert().subject


def test_expires_is_ms_since_epoch() -> None:
    cert = RTCCertificate.generate()
    in_30_days_ms = (time.time() + 30 * 86400) * 1000
    assert abs(cert.expires - in_30_days_ms) < 120_000


def test_get_fingerprints_sha256_uppercase_colon_hex() -> None:
    cert = RTCCertificate.generate()
    (fp,) = cert.getFingerprints()
    assert fp.algorithm == "sha-256"
    assert re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", fp.value)
    expected = hashlib.sha256(cert.der).hexdigest().upper()
    assert fp.value.replace(":", "") == expected


def test_openssl_accessors() -> None:
    cert = RTCCertificate.generate()
    assert isinstance(cert._openssl_key(), crypto.PKey)
    x509 = cert._openssl_cert()
    assert crypto.dump_certificate(crypto.FILETYPE_ASN1, x509) == cert.der


@pytest.mark.parametrize(
    ("algorithm", "digest_len"),
    [("sha-1", 20), ("sha-224", 28), ("sha-256", 32), ("sha-384", 48), ("sha-512", 64)],
)
def test_certificate_fingerprint_algorithms(algorithm: str, digest_len: int) -> None:
    der = RTCCertificate.generate().der
    value = certificate_fingerprint(der, algorithm)
    assert len(value.split(":")) == digest_len
    assert certificate_fingerprint(der, algorithm.upper()) == value


@pytest.mark.parametrize("algorithm", ["md5", "md2", "sha-3", ""])
def test_unsupported_algorithm_raises(algorithm: str) -> None:
    with pytest.raises(ValueError):
        certificate_fingerprint(b"x", algorithm)


def test_fingerprint_matches_case_insensitive() -> None:
    cert = RTCCertificate.generate()
    fp = cert.getFingerprints()[0]
    assert fingerprint_matches(cert.der, [RTCDtlsFingerprint("SHA-256", fp.value.lower())])
    assert fingerprint_matches(cert.der, [RTCDtlsFingerprint("sha-256", fp.value)])
    other = RTCCertificate.generate().getFingerprints()
    assert not fingerprint_matches(cert.der, other)
    assert not fingerprint_matches(cert.der, [])
    assert not fingerprint_matches(cert.der, [RTCDtlsFingerprint("md5", "00")])


def test_fingerprint_dataclass_frozen() -> None:
    fp = RTCDtlsFingerprint("sha-256", "AB")
    with pytest.raises(AttributeError):
        fp.value = "CD"  # type: ignore[misc]

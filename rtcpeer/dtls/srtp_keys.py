"""DTLS-SRTP profiles and key export (RFC 5764 §4.1.2, §4.2; RFC 7714 §14.2).

After the handshake both peers run the TLS exporter with label ``EXTRACTOR-dtls_srtp`` and
read ``2 * (key_len + salt_len)`` bytes laid out as::

    client_write_key | server_write_key | client_write_salt | server_write_salt

The DTLS client protects its outgoing SRTP with the client key/salt, the server with the
server key/salt. :func:`split_keying_material` maps that to local/remote by role, and
:func:`libsrtp_profile` maps the OpenSSL profile name to pylibsrtp's ``Policy`` constant so
media code can build ``pylibsrtp.Session`` objects (a libsrtp master key is key + salt).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "DEFAULT_SRTP_PROFILES",
    "SRTP_PROFILES",
    "SrtpKeyMaterial",
    "SrtpProfileInfo",
    "libsrtp_profile",
    "split_keying_material",
]

EXPORTER_LABEL = b"EXTRACTOR-dtls_srtp"


@dataclass(frozen=True)
class SrtpProfileInfo:
    """Key and salt lengths of one DTLS-SRTP protection profile, and its pylibsrtp name."""

    name: str
    key_len: int
    salt_len: int
    libsrtp_name: str


# OpenSSL profile name -> lengths (RFC 5764 §4.1.2, RFC 7714 §14.2).
SRTP_PROFILES: dict[str, SrtpProfileInfo] = {
    info.name: info
    for info in (
        SrtpProfileInfo("SRTP_AEAD_AES_128_GCM", 16, 12, "SRTP_PROFILE_AEAD_AES_128_GCM"),
        SrtpProfileInfo("SRTP_AEAD_AES_256_GCM", 32, 12, "SRTP_PROFILE_AEAD_AES_256_GCM"),
        SrtpProfileInfo("SRTP_AES128_CM_SHA1_80", 16, 14, "SRTP_PROFILE_AES128_CM_SHA1_80"),
        SrtpProfileInfo("SRTP_AES128_CM_SHA1_32", 16, 14, "SRTP_PROFILE_AES128_CM_SHA1_32"),
    )
}

DEFAULT_SRTP_PROFILES: tuple[str, ...] = (
    "SRTP_AEAD_AES_128_GCM",
    "SRTP_AEAD_AES_256_GCM",
    "SRTP_AES128_CM_SHA1_80",
)


@dataclass(frozen=True)
class SrtpKeyMaterial:
    """SRTP master keys for one DTLS association, from our point of view.

    ``local_*`` protects what we send, ``remote_*`` unprotects what we receive.
    """

    profile: str
    local_key: bytes
    local_salt: bytes
    remote_key: bytes
    remote_salt: bytes

    @property
    def local_master_key(self) -> bytes:
        """Key followed by salt: the ``key`` argument of ``pylibsrtp.Policy`` for sending."""
        return self.local_key + self.local_salt

    @property
    def remote_master_key(self) -> bytes:
        """Key followed by salt: the ``key`` argument of ``pylibsrtp.Policy`` for receiving."""
        return self.remote_key + self.remote_salt

    @property
    def libsrtp_profile(self) -> int:
        """The ``pylibsrtp.Policy.SRTP_PROFILE_*`` constant for :attr:`profile`."""
        return libsrtp_profile(self.profile)

    def __repr__(self) -> str:  # never print key material
        return f"SrtpKeyMaterial(profile={self.profile!r}, ...)"


def exporter_length(profile: str) -> int:
    """Number of bytes to request from the ``EXTRACTOR-dtls_srtp`` exporter."""
    info = SRTP_PROFILES[profile]
    return 2 * (info.key_len + info.salt_len)


def split_keying_material(
    profile: str, material: bytes, role: Literal["client", "server"]
) -> SrtpKeyMaterial:
    """Split exporter output (RFC 5764 §4.2 layout) into local/remote keys for ``role``."""
    info = SRTP_PROFILES[profile]
    k, s = info.key_len, info.salt_len
    if len(material) != 2 * (k + s):
        raise ValueError(f"{profile} needs {2 * (k + s)} bytes of keying material")
    client_key = material[:k]
    server_key = material[k : 2 * k]
    client_salt = material[2 * k : 2 * k + s]
    server_salt = material[2 * k + s :]
    if role == "client":
        return SrtpKeyMaterial(profile, client_key, client_salt, server_key, server_salt)
    return SrtpKeyMaterial(profile, server_key, server_salt, client_key, client_salt)


def libsrtp_profile(profile: str) -> int:
    """Map an OpenSSL DTLS-SRTP profile name to ``pylibsrtp.Policy.SRTP_PROFILE_*``."""
    import pylibsrtp

    value: int = getattr(pylibsrtp.Policy, SRTP_PROFILES[profile].libsrtp_name)
    return value

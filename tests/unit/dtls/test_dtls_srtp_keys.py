"""DTLS-SRTP keying material layout and profile mapping (RFC 5764 §4.2)."""

from __future__ import annotations

import pylibsrtp
import pytest

from rtcpeer.dtls.srtp_keys import (
    SRTP_PROFILES,
    exporter_length,
    libsrtp_profile,
    split_keying_material,
)


@pytest.mark.parametrize(
    ("profile", "key_len", "salt_len"),
    [
        ("SRTP_AES128_CM_SHA1_80", 16, 14),
        ("SRTP_AEAD_AES_128_GCM", 16, 12),
        ("SRTP_AEAD_AES_256_GCM", 32, 12),
    ],
)
def test_split_by_role(profile: str, key_len: int, salt_len: int) -> None:
    assert exporter_length(profile) == 2 * (key_len + salt_len)
    material = bytes(range(exporter_length(profile)))
    ck = material[:key_len]
    sk = material[key_len : 2 * key_len]
    cs = material[2 * key_len : 2 * key_len + salt_len]
    ss = material[2 * key_len + salt_len :]
    client = split_keying_material(profile, material, "client")
    server = split_keying_material(profile, material, "server")
    assert (client.local_key, client.local_salt, client.remote_key, client.remote_salt) == (
        ck,
        cs,
        sk,
        ss,
    )
    assert (server.local_key, server.local_salt, server.remote_key, server.remote_salt) == (
        sk,
        ss,
        ck,
        cs,
    )
    assert client.local_master_key == ck + cs
    assert server.remote_master_key == ck + cs


def test_wrong_length_rejected() -> None:
    with pytest.raises(ValueError):
        split_keying_material("SRTP_AEAD_AES_128_GCM", b"\x00" * 10, "client")


def test_libsrtp_profile_mapping() -> None:
    assert libsrtp_profile("SRTP_AES128_CM_SHA1_80") == (
        pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80
    )
    assert libsrtp_profile("SRTP_AEAD_AES_128_GCM") == (
        pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_128_GCM
    )
    assert libsrtp_profile("SRTP_AEAD_AES_256_GCM") == (
        pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_256_GCM
    )
    for name in SRTP_PROFILES:
        assert isinstance(libsrtp_profile(name), int)


def test_repr_hides_keys() -> None:
    keys = split_keying_material("SRTP_AEAD_AES_128_GCM", b"\xaa" * 56, "client")
    assert "aa" not in repr(keys).lower().replace("aead", "")

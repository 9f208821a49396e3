"""SRTP/SRTCP protection for one BUNDLE transport (RFC 3711, RFC 7714), over pylibsrtp.

One :class:`SrtpSession` holds two libsrtp sessions, keyed from the DTLS-SRTP export
(RFC 5764 §4.2, split by DTLS role in :mod:`rtcpeer.dtls.srtp_keys`):

* outbound: the local master key, ``ssrc_any_outbound`` (every SSRC we send, RTP and RTCP);
* inbound: the remote master key, ``ssrc_any_inbound`` (every SSRC the peer sends).

libsrtp keeps one replay window per SSRC (RFC 3711 §3.3.2, default 128 packets; SRTCP
§3.4). Whether an SSRC belongs to a negotiated m-section is the RTP session's business.

Remote input never raises: ``unprotect_*`` returns ``None`` and counts why in
:attr:`SrtpSession.stats`, sorted by what libsrtp reported (its status text, carried in
``pylibsrtp.Error``):

* ``*_auth_failures``: the tag did not verify (tampered, wrong key, truncated packet);
* ``*_replays``: the index was seen already or is behind the replay window;
* ``*_malformed``: too short for a header + tag, too long for the buffer, unparsable;
* ``*_other_errors``: anything else libsrtp refused (e.g. a key past its lifetime).

libsrtp checks the replay window before the tag, so a tampered copy of a packet already
received counts as a replay, not an auth failure.

Bad local calls raise (``pylibsrtp.Error`` / ``ValueError``): protecting a packet shorter
than an RTP/RTCP header, one longer than pylibsrtp's 1500-byte buffer allows, or the same
RTP sequence number twice on one SSRC (retransmissions go out on an RTX SSRC, RFC 4588).
"""

from __future__ import annotations

from collections.abc import Callable

import pylibsrtp

from rtcpeer.dtls.srtp_keys import SrtpKeyMaterial

__all__ = ["SrtpSession"]

# libsrtp status text (pylibsrtp.ERRORS) -> stats suffix. Unlisted texts are "other_errors".
_REASONS: dict[str, str] = {
    "authentication failure": "auth_failures",
    "cipher failure": "auth_failures",
    "replay check failed (bad index)": "replays",
    "replay check failed (index too old)": "replays",
    "packet index is too old to consider": "replays",
    "unsupported parameter": "malformed",
    "error parsing data": "malformed",
    "can't process as much data as requested": "malformed",
}
_RTP_MIN = 12  # RFC 3550 §5.1 fixed header
_RTCP_MIN = 8  # RFC 3550 §6.4 header + SSRC; SRTCP adds an index and a tag

_COUNTERS = (
    "protected",
    "unprotected",
    "auth_failures",
    "replays",
    "malformed",
    "other_errors",
)


class SrtpSession:
    """One SRTP/SRTCP context pair for a BUNDLE transport, keyed from the DTLS export."""

    def __init__(self, keys: SrtpKeyMaterial) -> None:
        profile = keys.libsrtp_profile
        self.profile = keys.profile
        self._tx = pylibsrtp.Session(
            policy=pylibsrtp.Policy(
                key=keys.local_master_key,
                ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND,
                srtp_profile=profile,
            )
        )
        self._rx = pylibsrtp.Session(
            policy=pylibsrtp.Policy(
                key=keys.remote_master_key,
                ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND,
                srtp_profile=profile,
            )
        )
        self.stats: dict[str, int] = {
            f"{kind}_{name}": 0 for kind in ("rtp", "rtcp") for name in _COUNTERS
        }
        # Bound methods: one attribute lookup less per packet.
        self._protect: Callable[[bytes], bytes] = self._tx.protect
        self._protect_rtcp: Callable[[bytes], bytes] = self._tx.protect_rtcp
        self._unprotect: Callable[[bytes], bytes] = self._rx.unprotect
        self._unprotect_rtcp: Callable[[bytes], bytes] = self._rx.unprotect_rtcp

    def protect_rtp(self, packet: bytes) -> bytes:
        """SRTP-protect one plaintext RTP packet (raises on a bad local packet)."""
        out = self._protect(packet)
        self.stats["rtp_protected"] += 1
        return out

    def protect_rtcp(self, packet: bytes) -> bytes:
        """SRTCP-protect one plaintext compound RTCP packet (raises on a bad local packet)."""
        out = self._protect_rtcp(packet)
        self.stats["rtcp_protected"] += 1
        return out

    def unprotect_rtp(self, data: bytes) -> bytes | None:
        """The plaintext RTP packet, or ``None`` (dropped and counted) if it does not verify."""
        if len(data) < _RTP_MIN:
            self.stats["rtp_malformed"] += 1
            return None
        try:
            out = self._unprotect(data)
        except pylibsrtp.Error as exc:
            self._count("rtp_", exc)
            return None
        except ValueError:  # longer than pylibsrtp's buffer
            self.stats["rtp_malformed"] += 1
            return None
        self.stats["rtp_unprotected"] += 1
        return out

    def unprotect_rtcp(self, data: bytes) -> bytes | None:
        """The plaintext compound RTCP packet, or ``None`` (dropped and counted)."""
        if len(data) < _RTCP_MIN:
            self.stats["rtcp_malformed"] += 1
            return None
        try:
            out = self._unprotect_rtcp(data)
        except pylibsrtp.Error as exc:
            self._count("rtcp_", exc)
            return None
        except ValueError:
            self.stats["rtcp_malformed"] += 1
            return None
        self.stats["rtcp_unprotected"] += 1
        return out

    def _count(self, prefix: str, exc: Exception) -> None:
        reason = _REASONS.get(str(exc), "other_errors")
        self.stats[prefix + reason] += 1

"""SRTP/SRTCP protection (RFC 3711, RFC 7714) keyed from DTLS-SRTP, over pylibsrtp."""

from rtcpeer.srtp.session import SrtpSession

__all__ = ["SrtpSession"]

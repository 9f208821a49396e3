"""Errors raised by rtcpeer.

Local API misuse raises at once with the W3C/WebIDL exception name a browser would use
(``InvalidStateError``, ``InvalidAccessError``, ``OperationError``, ...). Bad input from the
remote peer never raises out of the data path: it is dropped and counted, or, when fatal,
turns into a state change (``failed``/``closed``). ``SdpParseError`` names the offending line.
"""

from __future__ import annotations


class RTCError(Exception):
    """Base class of every error rtcpeer raises on purpose."""


class InvalidStateError(RTCError):
    """WebIDL InvalidStateError: the call is not allowed in the object's current state."""


class InvalidAccessError(RTCError):
    """WebIDL InvalidAccessError: the arguments are inconsistent with the negotiated state."""


class InvalidModificationError(RTCError):
    """WebIDL InvalidModificationError: an SDP modification that is not allowed."""


class OperationError(RTCError):
    """WebIDL OperationError: the operation failed for a reason specific to WebRTC."""


class SyntaxError_(RTCError):
    """WebIDL SyntaxError (exported as ``SyntaxError`` from :mod:`rtcpeer`)."""


class NotSupportedError(RTCError):
    """WebIDL NotSupportedError."""


class SdpParseError(OperationError, ValueError):
    """Malformed SDP. ``line_number`` is 1-based; ``line`` is the offending text.

    An OperationError, as W3C's RTCError with errorDetail "sdp-syntax-error" is one.
    """

    errorDetail = "sdp-syntax-error"

    def __init__(self, message: str, line_number: int | None = None, line: str | None = None):
        self.line_number = line_number
        self.line = line
        where = ""
        if line_number is not None:
            where = f" (line {line_number}: {line!r})"
        super().__init__(f"{message}{where}")


class LocalProtocolError(RTCError):
    """The local application asked a sans-IO core for something the protocol forbids."""


class RemoteProtocolError(RTCError):
    """The remote peer violated the protocol (used inside cores; never escapes receive)."""

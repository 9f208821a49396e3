"""Errors of the signaling package, named by whose fault they are.

``SignalingProtocolError``  the other side (or a pasted line) sent something that is not a
                            valid frame; a ``ValueError``. The message names the problem.
``TransportClosed``         the transport is closed, or the other side is gone; a
                            ``ConnectionError``. ``receive()`` raises it at the end of the stream.
``JoinRefused``             the room server answered a join with an error frame (``code`` and
                            ``message`` as sent by the server).

All three derive from ``SignalingError`` so an application can catch the package's errors in
one clause.
"""

from __future__ import annotations


class SignalingError(Exception):
    """Base class of every error raised by :mod:`signaling`."""


class SignalingProtocolError(SignalingError, ValueError):
    """A received frame is malformed: bad UTF-8 or JSON, unknown type, missing/ill-typed field.

    ``code`` is the wire error code a server answers with: ``"malformed"``,
    ``"unknown-type"`` (well-formed frame of a type this version does not know) or
    ``"too-large"`` (a line or frame over the transport's size limit)."""

    def __init__(self, message: str, *, code: str = "malformed") -> None:
        super().__init__(message)
        self.code = code


class TransportClosed(SignalingError, ConnectionError):
    """The transport is closed (locally), or the other side closed or vanished."""


class JoinRefused(SignalingError):
    """The room server refused a join (``code`` is one of the wire error codes)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"join refused: {code}: {message}")
        self.code = code
        self.message = message

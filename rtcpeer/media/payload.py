"""What every RTP payload format here shares: the error types and the depacketizer protocol.

A *packetizer* turns one encoded frame into RTP payloads (``packetize(frame, max_payload_size)
-> list[bytes]``; the caller sets the RTP marker bit on the last one, RFC 3550 §5.1 and each
payload format's "marker bit" rule). A *depacketizer* turns the ordered payloads of one frame
back into the codec's bitstream and answers the two questions a jitter buffer asks of a single
payload, without state:

* ``starts_frame(payload)``: can this payload be the first of a frame (an access unit / picture)?
* ``is_keyframe(payload)``: is it the first payload of a keyframe (decodable on its own)?

Both never raise: a payload too short or otherwise malformed is simply not a frame start.
The RTP marker bit ends a frame for every format here (video: last packet of the picture).

``depacketize(payloads, sequence_numbers=None)`` raises only :class:`PayloadError` (never
IndexError/struct.error): :class:`FrameLossError` when the run is provably incomplete (no frame
start, a fragment without its start or end, a gap in the optional RTP sequence numbers), the
base class for a payload that does not parse. Both are remote input errors: the caller drops
the frame, counts it and asks for a keyframe (PLI).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

__all__ = [
    "Depacketizer",
    "FrameLossError",
    "Packetizer",
    "PayloadError",
    "check_sequence_numbers",
    "split_evenly",
]


class PayloadError(ValueError):
    """An RTP payload that does not parse as its payload format (remote input)."""


class FrameLossError(PayloadError):
    """The payloads handed in are not a complete frame: a packet of it was lost."""


class Packetizer(Protocol):
    def packetize(self, frame: bytes, max_payload_size: int) -> list[bytes]: ...


class Depacketizer(Protocol):
    def starts_frame(self, payload: bytes) -> bool: ...

    def is_keyframe(self, payload: bytes) -> bool: ...

    def depacketize(
        self, payloads: Sequence[bytes], sequence_numbers: Sequence[int] | None = None
    ) -> bytes: ...


def check_sequence_numbers(payloads: Sequence[bytes], seqs: Sequence[int] | None) -> None:
    """Raise FrameLossError unless ``seqs`` (16-bit, RFC 3550 §5.1) are consecutive."""
    if not payloads:
        raise FrameLossError("no payloads")
    if seqs is None:
        return
    if len(seqs) != len(payloads):
        raise ValueError("one sequence number per payload is required")
    previous = seqs[0]
    for seq in seqs[1:]:
        if seq != (previous + 1) & 0xFFFF:
            raise FrameLossError(f"sequence gap {previous} -> {seq}")
        previous = seq


def split_evenly(size: int, room: int) -> list[int]:
    """Fragment sizes for ``size`` bytes in pieces of at most ``room``, as equal as possible.

    Equal pieces avoid a tiny last packet (what libwebrtc's packetizers do as well).
    """
    if room < 1:
        raise ValueError("max_payload_size leaves no room for payload data")
    count = -(-size // room)
    base, extra = divmod(size, count)
    return [base + 1] * extra + [base] * (count - extra)

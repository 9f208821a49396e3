"""The peer connection's transceivers: addTrack / removeTrack / addTransceiver rules (W3C
webrtc-pc §5.1) and their place in negotiation (RFC 9429 §5.2, §5.10).

:class:`TransceiverSet` owns the list; the peer connection delegates the W3C methods to it and
asks it, during negotiation, for m= section specs (:meth:`spec_for`), for a transceiver to take
a remote offer's new m-line (:meth:`associate`), and to apply an answer (:meth:`negotiated`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Literal

from . import capabilities as caps
from ._mlines import MLine, MLineTable
from .errors import InvalidAccessError, NotSupportedError
from .mediastreams import MediaStreamTrack, RemoteStreamTrack
from .sdp.jsep import MediaSectionSpec, answer_direction
from .sdp.model import SessionDescription
from .transceiver import (
    DIRECTIONS,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCRtpTransceiver,
    receives,
    sends,
)

__all__ = ["TransceiverSet"]

logger = logging.getLogger("rtcpeer")

_REVERSE = {"sendrecv": "sendrecv", "sendonly": "recvonly", "recvonly": "sendonly"}


def _stream_ids(streams: Sequence[Any]) -> list[str]:
    """``addTrack(track, *streams)``: MediaStream objects (anything with ``id``) or ids."""
    return [s if isinstance(s, str) else str(s.id) for s in streams]


class TransceiverSet:
    def __init__(self, on_change: Callable[[], None] | None = None) -> None:
        self.transceivers: list[RTCRtpTransceiver] = []
        self._on_change = on_change

    # ---- W3C methods -----------------------------------------------------------------------

    def add_track(self, track: MediaStreamTrack, streams: Sequence[Any]) -> RTCRtpSender:
        """W3C §5.1 addTrack()."""
        kind = getattr(track, "kind", None)
        if kind not in ("audio", "video"):
            raise TypeError(f"addTrack needs an audio or video track, not {track!r}")
        if any(t.sender.track is track for t in self.transceivers if not t.stopped):
            raise InvalidAccessError("this track is already sent on this RTCPeerConnection")
        self._check_codecs(kind)
        for t in self.transceivers:
            # Reuse: same kind, never sent a track, not stopping (W3C §5.1 step 8).
            if t.kind == kind and not t.sender._ever_had_track and t.direction != "stopped":
                t.sender.replaceTrack(track)
                t.sender._stream_ids = _stream_ids(streams) or t.sender._stream_ids
                t.direction = {"recvonly": "sendrecv", "inactive": "sendonly"}.get(
                    t.direction, t.direction
                )
                return t.sender
        return self._create(kind, "sendrecv", track, streams).sender

    def remove_track(self, sender: RTCRtpSender) -> None:
        """W3C §5.1 removeTrack()."""
        owner = next((t for t in self.transceivers if t.sender is sender), None)
        if owner is None:
            raise InvalidAccessError("removeTrack: the sender does not belong to this connection")
        if owner.direction == "stopped" or sender.track is None:
            return
        sender.replaceTrack(None)
        owner.direction = {"sendrecv": "recvonly", "sendonly": "inactive"}.get(
            owner.direction, owner.direction
        )

    def add_transceiver(
        self,
        track_or_kind: MediaStreamTrack | str,
        direction: str,
        streams: Sequence[Any],
    ) -> RTCRtpTransceiver:
        """W3C §5.1 addTransceiver()."""
        if isinstance(track_or_kind, str):
            kind, track = track_or_kind, None
        else:
            kind, track = getattr(track_or_kind, "kind", ""), track_or_kind
        if kind not in ("audio", "video"):
            raise TypeError(f"addTransceiver needs 'audio', 'video' or a track, not {kind!r}")
        if direction not in DIRECTIONS:
            raise TypeError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
        self._check_codecs(kind)
        return self._create(kind, direction, track, streams)

    def _check_codecs(self, kind: str) -> None:
        if not caps.codec_specs(kind):
            raise NotSupportedError(f"rtcpeer has no {kind} codec")

    def _create(
        self,
        kind: str,
        direction: str,
        track: MediaStreamTrack | None,
        streams: Sequence[Any],
        *,
        from_remote: bool = False,
    ) -> RTCRtpTransceiver:
        sender = RTCRtpSender(kind, track, _stream_ids(streams))
        receiver = RTCRtpReceiver(kind, RemoteStreamTrack(kind))
        transceiver = RTCRtpTransceiver(
            kind, direction, sender, receiver, from_remote=from_remote, on_change=self._on_change
        )
        self.transceivers.append(transceiver)
        return transceiver

    # ---- negotiation -----------------------------------------------------------------------

    def unassociated(self, table: MLineTable[Any]) -> list[RTCRtpTransceiver]:
        """Transceivers an offer must add m= sections for (not stopping, no row yet)."""
        return [
            t for t in self.transceivers if t.direction != "stopped" and table.row_for(t) is None
        ]

    def spec_for(self, row: MLine[Any]) -> MediaSectionSpec:
        transceiver = row.owner
        assert isinstance(transceiver, RTCRtpTransceiver)
        if transceiver.direction == "stopped":
            kind: Literal["audio", "video"] = "audio" if transceiver.kind == "audio" else "video"
            return MediaSectionSpec(kind=kind, mid=row.mid, rejected=True)
        return transceiver._section_spec(row.mid)

    def associate(self, row: MLine[Any]) -> RTCRtpTransceiver | None:
        """A remote offer's new audio/video m-line (RFC 9429 §5.10, W3C §4.4.1.5): a
        transceiver of that kind added by addTrack and not yet associated, else a new
        recvonly one. None if rtcpeer has no codec of that kind."""
        if not caps.codec_specs(row.kind):
            return None
        for t in self.transceivers:
            if (
                t.kind == row.kind
                and t.mid is None
                and not t._from_remote
                and t.sender.track is not None
                and t.direction != "stopped"
                and not t._claimed
            ):
                t._claimed = True
                return t
        transceiver = self._create(row.kind, "recvonly", None, (), from_remote=True)
        transceiver._claimed = True
        return transceiver

    def remote_applied(
        self, table: MLineTable[Any], remote: SessionDescription
    ) -> list[RTCRtpTransceiver]:
        """A remote offer or answer was applied: the transceivers whose remote side now sends
        to us for the first time (the facade fires ``track`` for each, as aiortc does)."""
        started = []
        for row in table.rows:
            t = row.owner
            if not isinstance(t, RTCRtpTransceiver) or row.index >= len(remote.media):
                continue
            section = remote.media[row.index]
            if section.rejected:
                continue
            if sends(section.direction or "sendrecv") and not t._announced:
                t._announced = True
                started.append(t)
        return started

    def negotiated(
        self,
        table: MLineTable[Any],
        offer: SessionDescription,
        answer: SessionDescription,
        we_offered: bool,
    ) -> MLineTable[Any]:
        """An answer was applied: mids and currentDirection (RFC 9429 §4.2.5); a stopping
        transceiver becomes stopped and its row rejected (RFC 9429 §4.2.1)."""
        for row in table.rows:
            t = row.owner
            if not isinstance(t, RTCRtpTransceiver):
                continue
            t._claimed = False
            offered = offer.media[row.index] if row.index < len(offer.media) else None
            answered = answer.media[row.index] if row.index < len(answer.media) else None
            if t.direction == "stopped" or answered is None or answered.rejected:
                if offered is not None and not offered.rejected and t.direction != "stopped":
                    names = sorted({c.name or str(c.payload_type) for c in offered.codecs})
                    logger.warning(
                        "m= section %d (mid %r, %s) rejected: no codec in common "
                        "(offered %s; rtcpeer has %s)",
                        row.index,
                        row.mid,
                        t.kind,
                        ", ".join(names) or "none",
                        ", ".join(c.name for c in caps.codec_specs(t.kind)),
                    )
                table = table.reject(t)
                t._stop_negotiated()
                continue
            answer_dir = answered.direction or "sendrecv"
            offer_dir = (offered.direction if offered else None) or "sendrecv"
            if we_offered:
                t._negotiated(row.mid, reverse(answer_dir), offer_dir, None)
            else:
                t._negotiated(row.mid, answer_dir, answer_dir, offer_dir)
        self.transceivers = [t for t in self.transceivers if not t.stopped]
        return table

    def needs_negotiation(self, table: MLineTable[Any]) -> bool:
        """W3C §4.7.3 "check if negotiation is needed", for transceivers."""
        for t in self.transceivers:
            row = table.row_for(t)
            if t.direction == "stopped":
                if row is not None:
                    return True
                continue
            if row is None:
                return True
            if t._local_direction != t.direction and (
                t._offered_direction is None
                or answer_direction(t._offered_direction, t.direction) != t._local_direction
            ):
                return True
        return False

    def rollback(self) -> None:
        """A remote offer was rolled back: transceivers it created go, claims are released."""
        self.transceivers = [t for t in self.transceivers if not (t._from_remote and t.mid is None)]
        for t in self.transceivers:
            t._claimed = False

    def receiving(self) -> list[RTCRtpTransceiver]:
        return [t for t in self.transceivers if receives(t.currentDirection)]


def reverse(direction: str | None) -> str:
    return _REVERSE.get(direction or "sendrecv", "inactive")

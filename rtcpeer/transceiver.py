"""RTCRtpTransceiver, RTCRtpSender and RTCRtpReceiver (W3C webrtc-pc §5.2-§5.4).

Facade objects only: each holds its own negotiated state (mid, directions, SSRCs, codec
preferences, the track) and, once media flows, the narrow media path it drives. None of them
reads the peer connection's private fields; the peer connection tells them what negotiation
decided (``_negotiated``) and asks them for their m= section (``_section_spec``).

Directions (W3C §5.4 and RFC 9429 §4.2.4)::

    direction          what the application wants: sendrecv | sendonly | recvonly | inactive
                       (stopped once stop() was called)
    currentDirection   what the last applied answer negotiated (None before; stopped after)

``replaceTrack`` and ``stop`` follow the W3C checks: a track of the wrong kind is a TypeError,
calls on a stopped transceiver raise InvalidStateError.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from . import capabilities as caps
from .errors import InvalidModificationError, InvalidStateError
from .mediastreams import MediaStreamTrack
from .sdp.jsep import MediaSectionSpec
from .sdp.model import Msid, SsrcAttribute, SsrcGroup

__all__ = [
    "RTCRtpEncodingParameters",
    "RTCRtpReceiver",
    "RTCRtpSendParameters",
    "RTCRtpSender",
    "RTCRtpTransceiver",
]

Direction = Literal["sendrecv", "sendonly", "recvonly", "inactive", "stopped"]
DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
_SENDS = {"sendrecv": True, "sendonly": True}
_RECVS = {"sendrecv": True, "recvonly": True}


def sends(direction: str | None) -> bool:
    return _SENDS.get(direction or "", False)


def receives(direction: str | None) -> bool:
    return _RECVS.get(direction or "", False)


class _Done:
    """An already-finished awaitable: W3C methods that return a Promise can be awaited (browser
    style) or called and ignored (aiortc style) without an un-awaited coroutine warning."""

    def __await__(self) -> Generator[Any, None, None]:
        return
        yield


@dataclass
class RTCRtpEncodingParameters:
    """W3C §5.2.1 RTCRtpEncodingParameters (the fields rtcpeer honours)."""

    active: bool = True
    maxBitrate: int | None = None
    maxFramerate: float | None = None
    scaleResolutionDownBy: float | None = None
    rid: str | None = None


@dataclass
class RTCRtpSendParameters:
    """W3C §5.2.1 RTCRtpSendParameters."""

    transactionId: str
    encodings: list[RTCRtpEncodingParameters] = field(default_factory=list)
    codecs: list[caps.RTCRtpCodecCapability] = field(default_factory=list)
    headerExtensions: list[caps.RTCRtpHeaderExtensionCapability] = field(default_factory=list)


class RTCRtpSender:
    """Sends one track (or nothing) on a transceiver's m= section."""

    def __init__(self, kind: str, track: MediaStreamTrack | None, streams: Sequence[str]) -> None:
        self._kind = kind
        self._track = track
        self._stream_ids = list(streams) or [str(uuid.uuid4())]
        rng = random.SystemRandom()
        self._ssrc = rng.randrange(1, 1 << 32)
        self._rtx_ssrc = rng.randrange(1, 1 << 32)
        self._cname = str(uuid.uuid4())
        self._encodings = [RTCRtpEncodingParameters()]
        self._transaction: str | None = None
        self._ever_had_track = track is not None
        self._stopped = False
        self._pipeline: Any = None  # the media path (rtcpeer._mediaflow.SendPipeline)

    @property
    def kind(self) -> str:
        return self._kind

    @property
    def track(self) -> MediaStreamTrack | None:
        return self._track

    @staticmethod
    def getCapabilities(kind: str) -> caps.RTCRtpCapabilities | None:
        return caps.capabilities(kind)

    def replaceTrack(self, track: MediaStreamTrack | None) -> _Done:
        """W3C §5.2 replaceTrack(): no renegotiation; the next frame comes from ``track``."""
        if self._stopped:
            raise InvalidStateError("replaceTrack on a stopped sender")
        if track is not None and track.kind != self._kind:
            raise TypeError(f"cannot send a {track.kind} track on a {self._kind} sender")
        self._track = track
        self._ever_had_track = self._ever_had_track or track is not None
        self._update_pipeline()
        return _Done()

    def _attach(self, pipeline: Any) -> None:
        """Negotiation gave this sender a media path (or a new one)."""
        self._pipeline = pipeline
        self._update_pipeline()

    def _update_pipeline(self) -> None:
        pipeline = self._pipeline
        if pipeline is None:
            return
        enc = self._encodings[0]
        settings = replace(
            pipeline.settings,
            max_bitrate=enc.maxBitrate,
            max_framerate=enc.maxFramerate,
            scale_down_by=enc.scaleResolutionDownBy,
        )
        active = enc.active and not self._stopped
        pipeline.set_track(self._track if active else None, settings)

    def getParameters(self) -> RTCRtpSendParameters:
        self._transaction = str(uuid.uuid4())
        return RTCRtpSendParameters(
            transactionId=self._transaction,
            encodings=[RTCRtpEncodingParameters(**vars(e)) for e in self._encodings],
            codecs=[c.capability() for c in caps.codec_specs(self._kind)],
            headerExtensions=[
                caps.RTCRtpHeaderExtensionCapability(e.uri)
                for e in caps.extension_specs(self._kind)
            ],
        )

    def setParameters(self, parameters: RTCRtpSendParameters) -> _Done:
        """W3C §5.2 setParameters(): only the encodings' values may change."""
        if self._stopped:
            raise InvalidStateError("setParameters on a stopped sender")
        if self._transaction is None or parameters.transactionId != self._transaction:
            raise InvalidModificationError("setParameters needs the result of getParameters()")
        if len(parameters.encodings) != len(self._encodings):
            raise InvalidModificationError("the number of encodings cannot change")
        for enc in parameters.encodings:
            if enc.scaleResolutionDownBy is not None and enc.scaleResolutionDownBy < 1:
                raise ValueError("scaleResolutionDownBy must be >= 1")  # W3C: RangeError
        self._encodings = [RTCRtpEncodingParameters(**vars(e)) for e in parameters.encodings]
        self._transaction = None
        self._update_pipeline()
        return _Done()

    def _ssrc_lines(self) -> tuple[list[SsrcAttribute], list[SsrcGroup]]:
        lines = [SsrcAttribute(self._ssrc, "cname", self._cname)]
        groups: list[SsrcGroup] = []
        if self._kind == "video" and any(
            c.rtx_payload_type is not None for c in caps.codec_specs("video")
        ):
            lines.append(SsrcAttribute(self._rtx_ssrc, "cname", self._cname))
            groups.append(SsrcGroup("FID", [self._ssrc, self._rtx_ssrc]))
        return lines, groups


class RTCRtpReceiver:
    """Receives the remote track of a transceiver's m= section."""

    def __init__(self, kind: str, track: MediaStreamTrack) -> None:
        self._kind = kind
        self._track = track

    @property
    def track(self) -> MediaStreamTrack:
        return self._track

    @staticmethod
    def getCapabilities(kind: str) -> caps.RTCRtpCapabilities | None:
        return caps.capabilities(kind)


class RTCRtpTransceiver:
    """A sender and a receiver sharing one m= section (W3C §5.4)."""

    def __init__(
        self,
        kind: str,
        direction: str,
        sender: RTCRtpSender,
        receiver: RTCRtpReceiver,
        *,
        from_remote: bool = False,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        if direction not in DIRECTIONS:
            raise TypeError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
        self._kind = kind
        self._direction: Direction = direction  # type: ignore[assignment]
        self._current: Direction | None = None
        self._mid: str | None = None
        self._sender = sender
        self._receiver = receiver
        self._preferences: list[caps.RTCRtpCodecCapability] = []
        self._stopping = False
        self._stopped = False
        self._from_remote = from_remote  # created by setRemoteDescription (W3C §4.4.1.5)
        self._receiving = False
        self._claimed = False  # taken by a pending remote offer's m-line
        self._announced = False  # the "track" event fired for the receiver's track
        self._local_direction: str | None = None  # in our last applied description
        self._offered_direction: str | None = None  # the remote offer's, when we answered
        self._on_change = on_change  # "update the negotiation-needed flag" (W3C §4.7.3)

    @property
    def kind(self) -> str:
        return self._kind

    @property
    def mid(self) -> str | None:
        return self._mid

    @property
    def sender(self) -> RTCRtpSender:
        return self._sender

    @property
    def receiver(self) -> RTCRtpReceiver:
        return self._receiver

    @property
    def stopped(self) -> bool:
        return self._stopped

    @property
    def direction(self) -> str:
        return "stopped" if self._stopping else self._direction

    @direction.setter
    def direction(self, direction: str) -> None:
        if self._stopping:
            raise InvalidStateError("the transceiver is stopped")
        if direction not in DIRECTIONS:
            raise TypeError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
        changed = direction != self._direction
        self._direction = direction  # type: ignore[assignment]
        if changed and self._on_change is not None:
            self._on_change()

    @property
    def currentDirection(self) -> str | None:
        return "stopped" if self._stopped else self._current

    def setCodecPreferences(self, codecs: Sequence[caps.RTCRtpCodecCapability]) -> None:
        """W3C §5.4 setCodecPreferences(): an empty list resets to the default order; a codec
        rtcpeer does not implement is an InvalidModificationError."""
        specs = caps.codec_specs(self._kind)
        for cap in codecs:
            if cap.name.lower() in ("rtx", "red", "ulpfec", "flexfec-03"):
                continue
            if not any(s.matches(cap) for s in specs):
                raise InvalidModificationError(f"{cap.mimeType} is not a codec rtcpeer supports")
        self._preferences = list(codecs)

    def stop(self) -> _Done:
        """W3C §5.4 stop(): stop sending and receiving now; the m= section is rejected at the
        next negotiation (RFC 9429 §4.2.1)."""
        if not self._stopping:
            self._stopping = True
            self._sender._stopped = True
            self._sender._update_pipeline()
            self._receiver._track.stop()
            if self._on_change is not None:
                self._on_change()
        return _Done()

    # ---- for the peer connection -----------------------------------------------------------

    def _section_spec(self, mid: str) -> MediaSectionSpec:
        """Our m= section for this transceiver (offers, and answers by intersection)."""
        kind: Literal["audio", "video"] = "audio" if self._kind == "audio" else "video"
        sender = self._sender
        ssrcs, groups = sender._ssrc_lines() if sends(self._direction) else ([], [])
        track_id = sender.track.id if sender.track is not None else str(uuid.uuid4())
        msids = [Msid(s, track_id) for s in sender._stream_ids] if sends(self._direction) else []
        return MediaSectionSpec(
            kind=kind,
            mid=mid,
            direction=self._direction,
            codecs=caps.local_codecs(self._kind, self._preferences),
            extmaps=caps.local_extmaps(self._kind),
            msids=msids,
            ssrcs=ssrcs,
            ssrc_groups=groups,
        )

    def _negotiated(self, mid: str, current: str, local: str | None, offered: str | None) -> None:
        """An answer was applied: ``current`` is the negotiated direction from our side,
        ``local`` the one our description carried, ``offered`` the remote offer's (if we
        answered)."""
        self._mid = mid
        self._current = current  # type: ignore[assignment]
        self._receiving = receives(current)
        self._local_direction = local
        self._offered_direction = offered

    def _stop_negotiated(self) -> None:
        self._stopped = True
        self._current = None

    def __repr__(self) -> str:
        return f"RTCRtpTransceiver(kind={self._kind!r}, mid={self._mid!r}, {self.direction})"

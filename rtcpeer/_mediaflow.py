"""Moving frames between tracks and the sans-IO media core: encode once, packetize per
connection, depacketize and decode per receiver. The asyncio side of media.

* :class:`EncoderHub` (process-wide :data:`HUB`): **encode once, fan out**. One
  :class:`_TrackEncoding` per (track, codec, encoder settings) pulls frames from the track and
  runs the encoder in a worker thread (libvpx, x264 and dav1d release the GIL, so RTCP and data
  channels keep flowing while a frame encodes); every subscribed sender gets the same encoded
  frame and packetizes it with its own SSRC, sequence numbers and SRTP context. A keyframe request
  from any subscriber makes one keyframe for all.
* :class:`SendPipeline` (one per sending m= section of a connection): subscribes to the hub for
  its sender's current track (``replaceTrack`` resubscribes), packetizes and hands payloads to
  :meth:`MediaCore.send_frame`, then asks the driver to flush.
* :class:`ReceivePipeline` (one per receiving m= section): turns the core's complete frames
  (video, after the jitter buffer) and packets (audio) into decoded frames on a worker thread,
  in order, and puts them on the receiver's track with pts on the RTP clock (unwrapped, from 0).
  A decode error asks the core for a keyframe.

A track whose ``recv()`` raises (other than ``MediaStreamError``, its normal end) is logged with
the traceback and stopped, so the application sees ``ended`` (aiortc stops silently).
"""

from __future__ import annotations

import asyncio
import fractions
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

import av

from ._mediaconfig import NegotiatedCodec
from .media.codecs import DecodeError
from .media.payload import PayloadError
from .mediastreams import MediaStreamError, MediaStreamTrack, RemoteStreamTrack
from .rtp.jitterbuffer import Frame as JitterFrame
from .rtp.packet import RtpPacket

__all__ = [
    "HUB",
    "CodecBinding",
    "EncoderHub",
    "EncoderSettings",
    "ReceivePipeline",
    "SendPipeline",
]

logger = logging.getLogger("rtcpeer.media")

# RTP payload budget in a 1200-byte datagram: 12-byte RTP header, up to ~20 bytes of header
# extensions (mid, abs-send-time, transport-wide seq), 16-byte SRTP auth tag (GCM), margin.
MAX_PAYLOAD = 1100

_EXECUTOR = ThreadPoolExecutor(max_workers=4, thread_name_prefix="rtcpeer-codec")


class EncodedFrameLike(Protocol):
    data: bytes
    timestamp: int  # codec clock (90 kHz video; the audio codec's RTP clock)
    keyframe: bool


class EncoderLike(Protocol):
    def encode(self, frame: Any, force_keyframe: bool = False) -> list[Any]: ...


class DecoderLike(Protocol):
    def decode(self, data: bytes, timestamp: int) -> list[Any]: ...


class PacketizerLike(Protocol):
    def packetize(self, frame: bytes, max_payload_size: int) -> list[bytes]: ...


class DepacketizerLike(Protocol):
    def depacketize(self, payloads: Any, sequence_numbers: Any = None) -> bytes: ...


class CodecBinding(Protocol):
    """What the media flow needs of one codec (see :mod:`rtcpeer.media.bindings`)."""

    @property
    def name(self) -> str: ...

    @property
    def clock_rate(self) -> int: ...

    def encoder(self, settings: EncoderSettings) -> EncoderLike: ...

    def decoder(self) -> DecoderLike: ...

    def packetizer(self) -> PacketizerLike: ...

    def depacketizer(self) -> DepacketizerLike: ...


@dataclass(frozen=True)
class EncoderSettings:
    """What makes two encodings of one track the same (the hub's sharing key)."""

    codec: str
    clock_rate: int
    channels: int | None = None
    fmtp: tuple[tuple[str, str | None], ...] = ()
    max_bitrate: int | None = None
    max_framerate: float | None = None
    scale_down_by: float | None = None

    @classmethod
    def for_codec(cls, codec: NegotiatedCodec, **encoding: Any) -> EncoderSettings:
        return cls(codec.name.lower(), codec.clock_rate, codec.channels, codec.fmtp, **encoding)


Deliver = Callable[[list[Any]], None]


class _Subscription:
    def __init__(self, encoding: _TrackEncoding, deliver: Deliver) -> None:
        self.encoding = encoding
        self.deliver = deliver

    def request_keyframe(self) -> None:
        self.encoding.keyframe_wanted = True

    def cancel(self) -> None:
        self.encoding.unsubscribe(self)


class _TrackEncoding:
    """One encoder for one (track, settings), shared by every subscriber."""

    def __init__(
        self, hub: EncoderHub, key: tuple[int, EncoderSettings], track: Any, binding: CodecBinding
    ) -> None:
        self.hub, self.key, self.track, self.binding = hub, key, track, binding
        self.settings = key[1]
        self.subscribers: list[_Subscription] = []
        self.keyframe_wanted = True
        self.encoder: EncoderLike | None = None
        self.encode_calls = 0
        self.task: asyncio.Task[None] | None = None

    def subscribe(self, deliver: Deliver) -> _Subscription:
        sub = _Subscription(self, deliver)
        self.subscribers.append(sub)
        self.keyframe_wanted = True  # a new viewer needs a keyframe to start decoding
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._run())
        return sub

    def unsubscribe(self, sub: _Subscription) -> None:
        if sub in self.subscribers:
            self.subscribers.remove(sub)
        if not self.subscribers:
            self.hub._forget(self)
            if self.task is not None:
                self.task.cancel()
                self.task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while self.subscribers:
            try:
                frame = await self.track.recv()
            except MediaStreamError:
                break
            except Exception:
                logger.exception("track %r: recv() raised; the track is stopped", self.track)
                self.track.stop()
                break
            if isinstance(frame, av.Packet):
                encoded = [_passthrough(frame, self.settings.clock_rate)]
            else:
                if self.encoder is None:
                    self.encoder = self.binding.encoder(self.settings)
                keyframe, self.keyframe_wanted = self.keyframe_wanted, False
                self.encode_calls += 1
                encoded = await loop.run_in_executor(
                    _EXECUTOR, self.encoder.encode, frame, keyframe
                )
            for sub in list(self.subscribers):
                if encoded:
                    sub.deliver(encoded)
        self.hub._forget(self)


@dataclass
class _Passthrough:
    data: bytes
    timestamp: int
    keyframe: bool


def _passthrough(packet: Any, clock_rate: int) -> _Passthrough:
    pts = packet.pts or 0
    base = packet.time_base or fractions.Fraction(1, clock_rate)
    timestamp = int(pts * base * clock_rate)
    return _Passthrough(bytes(packet), timestamp, bool(packet.is_keyframe))


class EncoderHub:
    """Encodings shared across connections (see the module docstring)."""

    def __init__(self) -> None:
        self._encodings: dict[tuple[int, EncoderSettings], _TrackEncoding] = {}

    def subscribe(
        self,
        track: MediaStreamTrack,
        settings: EncoderSettings,
        binding: CodecBinding,
        deliver: Deliver,
    ) -> _Subscription:
        key = (id(track), settings)
        encoding = self._encodings.get(key)
        if encoding is None or encoding.track is not track:
            encoding = self._encodings[key] = _TrackEncoding(self, key, track, binding)
        return encoding.subscribe(deliver)

    def encodings(self) -> list[_TrackEncoding]:
        return list(self._encodings.values())

    def _forget(self, encoding: _TrackEncoding) -> None:
        if self._encodings.get(encoding.key) is encoding:
            del self._encodings[encoding.key]


HUB = EncoderHub()


class SendPipeline:
    """Encoded frames of the sender's track -> RTP payloads on one m= section."""

    def __init__(
        self,
        mid: str,
        codec: NegotiatedCodec,
        binding: CodecBinding,
        send_frame: Callable[[str, list[bytes], int, float], None],
        now: Callable[[], float],
        flush: Callable[[], None],
        hub: EncoderHub = HUB,
    ) -> None:
        self.mid, self.codec, self.binding = mid, codec, binding
        self._send_frame, self._now, self._flush, self._hub = send_frame, now, flush, hub
        self._packetizer = binding.packetizer()
        self._sub: _Subscription | None = None
        self._track: Any = None
        self.settings = EncoderSettings.for_codec(codec)
        self.frames_sent = 0
        self.keyframes_sent = 0

    def set_track(self, track: Any, settings: EncoderSettings | None = None) -> None:
        settings = settings or self.settings
        if track is self._track and settings == self.settings and self._sub is not None:
            return
        if self._sub is not None:
            self._sub.cancel()
            self._sub = None
        self._track, self.settings = track, settings
        if track is not None:
            self._sub = self._hub.subscribe(track, settings, self.binding, self._deliver)

    def request_keyframe(self) -> None:
        if self._sub is not None:
            self._sub.request_keyframe()

    def stop(self) -> None:
        self.set_track(None)

    def _deliver(self, encoded: list[Any]) -> None:
        now = self._now()
        for frame in encoded:
            payloads = self._packetizer.packetize(frame.data, MAX_PAYLOAD)
            if payloads:
                self._send_frame(self.mid, payloads, frame.timestamp, now)
                self.frames_sent += 1
                self.keyframes_sent += bool(frame.keyframe)
        self._flush()


class ReceivePipeline:
    """Complete frames / packets of one m= section -> decoded frames on the receiver's track."""

    def __init__(
        self,
        track: RemoteStreamTrack,
        bindings: Callable[[int], tuple[CodecBinding, int] | None],  # pt -> (binding, clock)
        request_keyframe: Callable[[], None],
    ) -> None:
        self.track = track
        self._bindings = bindings
        self._request_keyframe = request_keyframe
        self._queue: asyncio.Queue[tuple[int, bytes, int] | None] = asyncio.Queue(maxsize=64)
        self._decoders: dict[int, tuple[DecoderLike, DepacketizerLike, int]] = {}
        self._first_ts: int | None = None
        self._task = asyncio.get_running_loop().create_task(self._run())
        self.frames_decoded = 0
        self.decode_errors = 0
        self.frames_dropped = 0

    def _decoder(self, pt: int) -> tuple[DecoderLike, DepacketizerLike, int] | None:
        entry = self._decoders.get(pt)
        if entry is None:
            found = self._bindings(pt)
            if found is None:
                return None
            binding, clock = found
            entry = self._decoders[pt] = (binding.decoder(), binding.depacketizer(), clock)
        return entry

    def on_video_frame(self, frame: JitterFrame) -> None:
        packets = frame.packets
        entry = self._decoder(packets[0].payload_type)
        if entry is None:
            return
        try:
            data = entry[1].depacketize(
                [p.payload for p in packets], [p.sequence_number for p in packets]
            )
        except PayloadError:
            self.decode_errors += 1
            self._request_keyframe()
            return
        self._enqueue(packets[0].payload_type, data, frame.timestamp)

    def on_audio_packet(self, packet: RtpPacket) -> None:
        entry = self._decoder(packet.payload_type)
        if entry is None:
            return
        self._enqueue(packet.payload_type, packet.payload, packet.timestamp)

    def _enqueue(self, pt: int, data: bytes, timestamp: int) -> None:
        try:
            self._queue.put_nowait((pt, data, timestamp))
        except asyncio.QueueFull:
            self.frames_dropped += 1  # the application does not keep up: drop, ask again
            self._request_keyframe()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while (item := await self._queue.get()) is not None:
            pt, data, timestamp = item
            entry = self._decoder(pt)
            if entry is None:
                continue
            decoder, _, clock = entry
            try:
                frames = await loop.run_in_executor(_EXECUTOR, decoder.decode, data, timestamp)
            except DecodeError:
                self.decode_errors += 1
                self._request_keyframe()
                continue
            for out in frames:
                self._stamp(out, timestamp, clock)
                self.frames_decoded += 1
                self.track._put(out)

    def _stamp(self, frame: Any, timestamp: int, clock: int) -> None:
        if self._first_ts is None:
            self._first_ts = timestamp
        frame.pts = timestamp - self._first_ts
        frame.time_base = fractions.Fraction(1, clock)

    def stop(self) -> None:
        self._queue.put_nowait(None) if not self._queue.full() else self._task.cancel()
        self.track.stop()

"""The sans-IO media core of one BUNDLE group: the RTP session plus what sits per stream on top
of it (video jitter buffers, keyframe requests), attached to the bundle transport as its
``RtpSessionCore``.

DESIGN: the media pieces are sans-IO children whose deadlines merge into one ``get_timer`` with
a reason (``rtp.rtcp-report``, ``rtp.jitter``), as the bundle does for DTLS and SCTP. The asyncio
side (:mod:`rtcpeer._mediaflow`) only encodes, decodes and moves frames; it reads this core's
events:

* :class:`VideoFrameReady` ``(mid, frame)``: a complete frame, in decode order, after the jitter
  buffer (reordering, a bounded wait for retransmissions, skip to the next keyframe on loss);
* :class:`AudioPacketReady` ``(mid, packet)``: an audio RTP packet in arrival order;
* :class:`KeyframeRequested` ``(mid)``: the peer sent PLI (RFC 4585 §6.3.1) or FIR (RFC 5104
  §4.3.1) for one of our streams: coalesced, one per ``KEYFRAME_COALESCE`` seconds.

Keyframe requests we send (RFC 4585 §6.3.1, RFC 5104 §4.3.1): when a jitter buffer gives up on
a frame, or the decoder reports an error (:meth:`MediaCore.request_keyframe`), a PLI if
``nack pli`` was negotiated, else a FIR if ``ccm fir`` was, at most one per
``KEYFRAME_REQUEST_INTERVAL`` per stream.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ._mediaconfig import NegotiatedMedia, rtp_session_config
from .rtp import events as ev
from .rtp.jitterbuffer import (
    FrameBoundaries,
    JitterBufferConfig,
    KeyframeNeeded,
    VideoJitterBuffer,
)
from .rtp.jitterbuffer import Frame as JitterFrame
from .rtp.packet import RtpPacket
from .rtp.rtcp import Fir, Pli
from .rtp.session import RtpSession

__all__ = [
    "AudioPacketReady",
    "KeyframeRequested",
    "MediaCore",
    "MediaEvent",
    "VideoFrameReady",
]

KEYFRAME_REQUEST_INTERVAL = 0.3  # seconds between two PLI/FIR of one stream
KEYFRAME_COALESCE = 0.1  # requests from the peer within this window make one keyframe


@dataclass(frozen=True)
class VideoFrameReady:
    mid: str
    frame: JitterFrame


@dataclass(frozen=True)
class AudioPacketReady:
    mid: str
    packet: RtpPacket
    arrival_time: float


@dataclass(frozen=True)
class KeyframeRequested:
    mid: str


MediaEvent = VideoFrameReady | AudioPacketReady | KeyframeRequested


class _Receiver:
    """The receive side of one m= section."""

    def __init__(
        self, media: NegotiatedMedia, boundaries: Callable[[str], FrameBoundaries | None]
    ) -> None:
        self.media = media
        self.boundaries = boundaries
        self.buffer: VideoJitterBuffer | None = None
        self.ssrc: int | None = None
        self.payload_type: int | None = None
        self.last_request = -1e9
        self.fir_seq = 0

    def buffer_for(self, packet: RtpPacket) -> VideoJitterBuffer | None:
        """The jitter buffer of the stream ``packet`` belongs to: one per (SSRC, codec); a new
        SSRC or payload type starts a new one (the decoder restarts with it)."""
        ssrc, pt = packet.ssrc, packet.payload_type
        if self.buffer is not None and ssrc == self.ssrc and pt == self.payload_type:
            return self.buffer
        codec = self.media.codec(pt)
        boundaries = self.boundaries(codec.name) if codec is not None else None
        if boundaries is None:
            return None
        nack = codec is not None and codec.has_feedback("nack")
        self.buffer = VideoJitterBuffer(boundaries, JitterBufferConfig(retransmissions=nack))
        self.ssrc, self.payload_type = ssrc, pt
        return self.buffer


class MediaCore:
    """RTP session + per-stream receive logic; implements the bundle's ``RtpSessionCore``."""

    def __init__(
        self,
        media: list[NegotiatedMedia],
        boundaries: Callable[[str], FrameBoundaries | None],  # codec name -> its boundaries
        *,
        rng: random.Random,
        now: float,
        ntp_offset: float,
    ) -> None:
        self._boundaries = boundaries
        self.session = RtpSession(
            rtp_session_config(media), rng=rng, now=now, ntp_offset=ntp_offset
        )
        self._events: deque[MediaEvent] = deque()
        self._receivers: dict[str, _Receiver] = {}
        self._media: dict[str, NegotiatedMedia] = {}
        self._last_keyframe_request: dict[str, float] = {}
        self.timer_reason: str | None = None
        self.stats: dict[str, int] = dict.fromkeys(
            ("frames_ready", "keyframe_requests_sent", "keyframe_requests_received"), 0
        )
        self._apply(media)

    # ---- configuration -----------------------------------------------------------------------

    def reconfigure(self, media: list[NegotiatedMedia]) -> None:
        self.session.reconfigure(rtp_session_config(media))
        self._apply(media)

    def _apply(self, media: list[NegotiatedMedia]) -> None:
        self._media = {m.mid: m for m in media}
        receivers = {}
        for m in media:
            old = self._receivers.get(m.mid)
            if old is not None and old.media.codecs == m.codecs:
                old.media = m
                receivers[m.mid] = old
            else:
                receivers[m.mid] = _Receiver(m, self._boundaries)
        self._receivers = receivers
        self._ssrc_mid: Mapping[int, str] = {
            m.send_stream.ssrc: m.mid for m in media if m.send_stream is not None
        }

    # ---- RtpSessionCore ------------------------------------------------------------------------

    def receive_rtp(self, packet: bytes, now: float) -> None:
        self.session.receive_rtp(packet, now)
        self._drain_session(now)

    def receive_rtcp(self, packet: bytes, now: float) -> None:
        self.session.receive_rtcp(packet, now)
        self._drain_session(now)

    def packets_to_send(self, now: float) -> list[tuple[bytes, bool]]:
        return self.session.packets_to_send(now)

    def get_timer(self) -> float | None:
        deadline = self.session.get_timer()
        reason = self.session.timer_reason
        for receiver in self._receivers.values():
            buf = receiver.buffer
            if buf is None:
                continue
            t = buf.get_timer()
            if t is not None and (deadline is None or t < deadline):
                deadline, reason = t, buf.timer_reason
        self.timer_reason = reason
        return deadline

    def handle_timer(self, now: float) -> None:
        t = self.session.get_timer()
        if t is not None and t <= now:
            self.session.handle_timer(now)
        for receiver in self._receivers.values():
            buf = receiver.buffer
            if buf is not None:
                bt = buf.get_timer()
                if bt is not None and bt <= now:
                    buf.handle_timer(now)
                self._drain_buffer(receiver, now)
        self._drain_session(now)

    def next_event(self) -> MediaEvent | None:
        return self._events.popleft() if self._events else None

    # ---- sending -------------------------------------------------------------------------------

    def send_frame(self, mid: str, payloads: list[bytes], timestamp: int, now: float) -> None:
        """One encoded frame's RTP payloads on ``mid``'s send stream (marker on the last)."""
        media = self._media.get(mid)
        codec = media.send_codec if media is not None else None
        if codec is None:
            return
        send = self.session.send_rtp
        last = len(payloads) - 1
        for i, payload in enumerate(payloads):
            send(mid, codec.payload_type, payload, timestamp, i == last, now)

    def request_keyframe(self, mid: str, now: float) -> None:
        """The decoder cannot go on (an error, or loss it could not repair)."""
        receiver = self._receivers.get(mid)
        if receiver is not None:
            self._send_keyframe_request(receiver, now)

    def close(self, now: float) -> None:
        self.session.close(now)

    # ---- internals -----------------------------------------------------------------------------

    def _drain_session(self, now: float) -> None:
        session = self.session
        while (event := session.next_event()) is not None:
            handler = _SESSION_HANDLERS.get(type(event))
            if handler is not None:
                handler(self, event, now)

    def _on_rtp(self, event: ev.RtpReceived, now: float) -> None:
        receiver = self._receivers.get(event.mid)
        if receiver is None:
            return
        if receiver.media.kind == "audio":
            self._events.append(AudioPacketReady(event.mid, event.packet, event.arrival_time))
            return
        buf = receiver.buffer_for(event.packet)
        if buf is None:
            return
        buf.add(event.packet, now)
        self._drain_buffer(receiver, now)

    def _drain_buffer(self, receiver: _Receiver, now: float) -> None:
        buf = receiver.buffer
        if buf is None:
            return
        while (item := buf.next_event()) is not None:
            if isinstance(item, KeyframeNeeded):
                self._send_keyframe_request(receiver, now)
            else:
                self.stats["frames_ready"] += 1
                self._events.append(VideoFrameReady(receiver.media.mid, item))

    def _send_keyframe_request(self, receiver: _Receiver, now: float) -> None:
        if receiver.ssrc is None or now - receiver.last_request < KEYFRAME_REQUEST_INTERVAL:
            return
        codec = receiver.media.send_codec
        if codec is None:
            return
        sender = self.session.feedback_ssrc
        if codec.has_feedback("nack", "pli"):
            packet: Pli | Fir = Pli(sender, receiver.ssrc)
        elif codec.has_feedback("ccm", "fir"):
            receiver.fir_seq = (receiver.fir_seq + 1) & 0xFF
            packet = Fir(sender, ((receiver.ssrc, receiver.fir_seq),))
        else:
            return
        receiver.last_request = now
        self.stats["keyframe_requests_sent"] += 1
        self.session.send_rtcp([packet], now)

    def _on_keyframe_request(self, event: ev.PliReceived | ev.FirReceived, now: float) -> None:
        mid = self._ssrc_mid.get(event.media_ssrc)
        if mid is None:
            return
        self.stats["keyframe_requests_received"] += 1
        last = self._last_keyframe_request.get(mid, -1e9)
        if now - last >= KEYFRAME_COALESCE:
            self._last_keyframe_request[mid] = now
            self._events.append(KeyframeRequested(mid))

    def _on_report_block(self, event: ev.ReportBlockReceived, now: float) -> None:
        if event.rtt is None:
            return
        for receiver in self._receivers.values():
            if receiver.buffer is not None:
                receiver.buffer.set_rtt(event.rtt)


_SESSION_HANDLERS: dict[type, Callable[[MediaCore, object, float], None]] = {
    ev.RtpReceived: MediaCore._on_rtp,  # type: ignore[dict-item]
    ev.PliReceived: MediaCore._on_keyframe_request,  # type: ignore[dict-item]
    ev.FirReceived: MediaCore._on_keyframe_request,  # type: ignore[dict-item]
    ev.ReportBlockReceived: MediaCore._on_report_block,  # type: ignore[dict-item]
}

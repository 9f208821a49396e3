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

Per received video SSRC: a jitter buffer, a NACK generator (``nack`` negotiated, RFC 4585
§6.2.1) and a keyframe requester (PLI if ``nack pli``, else FIR if ``ccm fir``; asked when the
jitter buffer gives up on a frame or the decoder fails, :meth:`MediaCore.request_keyframe`).
RTX packets (RFC 4588) are unwrapped before all of them. Per sent stream: a send history and a
NACK responder answering with RTX, and a coalescer turning PLI/FIR into one keyframe.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._mediaconfig import NegotiatedMedia, rtp_session_config
from .rtp import events as ev
from .rtp.jitterbuffer import Frame as JitterFrame
from .rtp.jitterbuffer import (
    FrameBoundaries,
    JitterBufferConfig,
    KeyframeNeeded,
    VideoJitterBuffer,
)
from .rtp.keyframes import KeyframeRequestCoalescer, KeyframeRequester
from .rtp.nack import NackGenerator
from .rtp.packet import RtpPacket
from .rtp.rtcp import RtcpPacket
from .rtp.rtx import NackResponder, RtxReceiver, SendHistory
from .rtp.session import RtpSession

__all__ = [
    "AudioPacketReady",
    "KeyframeRequested",
    "MediaCore",
    "MediaEvent",
    "VideoFrameReady",
]


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


class _VideoStream:
    """What one received video SSRC needs: jitter buffer, NACKs, keyframe requests."""

    def __init__(
        self, media: NegotiatedMedia, ssrc: int, pt: int, boundaries: FrameBoundaries, fb_ssrc: int
    ) -> None:
        codec = media.codec(pt)
        nack = codec is not None and codec.has_feedback("nack")
        pli = codec is not None and codec.has_feedback("nack", "pli")
        fir = codec is not None and codec.has_feedback("ccm", "fir")
        self.ssrc, self.payload_type = ssrc, pt
        self.buffer = VideoJitterBuffer(boundaries, JitterBufferConfig(retransmissions=nack))
        self.nack = NackGenerator(fb_ssrc, ssrc) if nack else None
        self.keyframes = KeyframeRequester(fb_ssrc, ssrc, pli=pli, fir=fir)

    def children(self) -> tuple[Any, ...]:
        return (
            (self.buffer, self.nack, self.keyframes)
            if self.nack
            else (
                self.buffer,
                self.keyframes,
            )
        )

    def set_rtt(self, rtt: float) -> None:
        for child in self.children():
            child.set_rtt(rtt)

    def feedback(self) -> list[RtcpPacket]:
        out: list[RtcpPacket] = list(self.keyframes.take_feedback())
        if self.nack is not None and (nack := self.nack.take_feedback()) is not None:
            out.append(nack)
        return out


class _Receiver:
    """The receive side of one m= section."""

    def __init__(self, media: NegotiatedMedia) -> None:
        self.media = media
        apt = {c.rtx_payload_type: c.payload_type for c in media.codecs if c.rtx_payload_type}
        self.rtx = RtxReceiver(apt, media.remote_rtx)
        self.video: _VideoStream | None = None


class _Sender:
    """The send side of one m= section: history for RTX, keyframe request coalescing."""

    def __init__(self, media: NegotiatedMedia) -> None:
        self.media = media
        self.history = SendHistory()
        rtx = {c.payload_type: c.rtx_payload_type for c in media.codecs if c.rtx_payload_type}
        has_rtx = media.send_stream is not None and media.send_stream.rtx_ssrc is not None
        self.responder = NackResponder(self.history, rtx if has_rtx else {})
        self.coalescer = KeyframeRequestCoalescer(window=0.1)


class MediaCore:
    """RTP session + per-stream logic; implements the bundle's ``RtpSessionCore``."""

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
        self._senders: dict[str, _Sender] = {}
        self._media: dict[str, NegotiatedMedia] = {}
        self._ssrc_mid: dict[int, str] = {}
        self.timer_reason: str | None = None
        self.stats: dict[str, int] = dict.fromkeys(
            ("frames_ready", "keyframes_requested_by_peer", "retransmissions_sent"), 0
        )
        self._apply(media)

    # ---- configuration -----------------------------------------------------------------------

    def reconfigure(self, media: list[NegotiatedMedia]) -> None:
        self.session.reconfigure(rtp_session_config(media))
        self._apply(media)

    def _apply(self, media: list[NegotiatedMedia]) -> None:
        self._media = {m.mid: m for m in media}
        receivers, senders = {}, {}
        for m in media:
            old = self._receivers.get(m.mid)
            keep = old is not None and old.media.codecs == m.codecs
            receivers[m.mid] = old if keep and old is not None else _Receiver(m)
            receivers[m.mid].media = m
            sender = self._senders.get(m.mid)
            if sender is None or sender.media.send_stream != m.send_stream:
                sender = _Sender(m)
            senders[m.mid] = sender
        self._receivers, self._senders = receivers, senders
        self._ssrc_mid = {m.send_stream.ssrc: m.mid for m in media if m.send_stream is not None}

    # ---- RtpSessionCore ------------------------------------------------------------------------

    def receive_rtp(self, packet: bytes, now: float) -> None:
        self.session.receive_rtp(packet, now)
        self._drain_session(now)

    def receive_rtcp(self, packet: bytes, now: float) -> None:
        self.session.receive_rtcp(packet, now)
        self._drain_session(now)

    def packets_to_send(self, now: float) -> list[tuple[bytes, bool]]:
        return self.session.packets_to_send(now)

    def _children(self) -> list[Any]:
        out: list[Any] = [self.session]
        for receiver in self._receivers.values():
            if receiver.video is not None:
                out += receiver.video.children()
        return out

    def get_timer(self) -> float | None:
        deadline: float | None = None
        reason: str | None = None
        for child in self._children():
            t = child.get_timer()
            if t is not None and (deadline is None or t < deadline):
                deadline, reason = t, child.timer_reason
        self.timer_reason = reason
        return deadline

    def handle_timer(self, now: float) -> None:
        for child in self._children():
            t = child.get_timer()
            if t is not None and t <= now:
                child.handle_timer(now)
        for receiver in self._receivers.values():
            if receiver.video is not None:
                self._drain_video(receiver, receiver.video, now)
        self._drain_session(now)

    def next_event(self) -> MediaEvent | None:
        return self._events.popleft() if self._events else None

    # ---- sending -------------------------------------------------------------------------------

    def send_frame(self, mid: str, payloads: list[bytes], timestamp: int, now: float) -> None:
        """One encoded frame's RTP payloads on ``mid``'s send stream (marker on the last)."""
        media = self._media.get(mid)
        sender = self._senders.get(mid)
        codec = media.send_codec if media is not None else None
        if codec is None or sender is None or media is None or media.send_stream is None:
            return
        send, history = self.session.send_rtp, sender.history
        last = len(payloads) - 1
        for i, payload in enumerate(payloads):
            history.add(send(mid, codec.payload_type, payload, timestamp, i == last, now), now)

    def request_keyframe(self, mid: str, now: float) -> None:
        """The decoder cannot go on (an error, or loss it could not repair)."""
        receiver = self._receivers.get(mid)
        if receiver is not None and receiver.video is not None:
            receiver.video.keyframes.request(now)
            self._send_feedback(receiver.video, now)

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
        packet: RtpPacket | None = event.packet
        assert packet is not None
        if receiver.rtx.is_rtx(packet):
            packet = receiver.rtx.unwrap(packet)
            if packet is None:
                return
        else:
            receiver.rtx.media_packet_seen(packet)
        if receiver.media.kind == "audio":
            self._events.append(AudioPacketReady(event.mid, packet, event.arrival_time))
            return
        video = self._video_stream(receiver, packet)
        if video is None:
            return
        if video.nack is not None:
            video.nack.packet_received(packet.sequence_number, now)
        video.buffer.add(packet, now)
        self._drain_video(receiver, video, now)

    def _video_stream(self, receiver: _Receiver, packet: RtpPacket) -> _VideoStream | None:
        """One stream per (SSRC, payload type): a new one restarts the decoder with it."""
        video = receiver.video
        same = video is not None and video.ssrc == packet.ssrc
        if same and video is not None and video.payload_type == packet.payload_type:
            return video
        codec = receiver.media.codec(packet.payload_type)
        boundaries = self._boundaries(codec.name) if codec is not None else None
        if boundaries is None:
            return None
        video = _VideoStream(
            receiver.media,
            packet.ssrc,
            packet.payload_type,
            boundaries,
            self.session.feedback_ssrc,
        )
        receiver.video = video
        return video

    def _drain_video(self, receiver: _Receiver, video: _VideoStream, now: float) -> None:
        while (item := video.buffer.next_event()) is not None:
            if isinstance(item, KeyframeNeeded):
                video.keyframes.request(now)
            else:
                if item.keyframe:
                    video.keyframes.keyframe_received(now)
                self.stats["frames_ready"] += 1
                self._events.append(VideoFrameReady(receiver.media.mid, item))
        self._send_feedback(video, now)

    def _send_feedback(self, video: _VideoStream, now: float) -> None:
        feedback = video.feedback()
        if feedback:
            self.session.send_rtcp(feedback, now)

    def _on_pli(self, event: ev.PliReceived, now: float) -> None:
        mid = self._ssrc_mid.get(event.media_ssrc)
        sender = self._senders.get(mid) if mid is not None else None
        if mid is not None and sender is not None and sender.coalescer.on_pli(now):
            self._keyframe_wanted(mid)

    def _on_fir(self, event: ev.FirReceived, now: float) -> None:
        mid = self._ssrc_mid.get(event.media_ssrc)
        sender = self._senders.get(mid) if mid is not None else None
        if mid is None or sender is None:
            return
        if sender.coalescer.on_fir(event.sender_ssrc, event.sequence_number, now):
            self._keyframe_wanted(mid)

    def _keyframe_wanted(self, mid: str) -> None:
        self.stats["keyframes_requested_by_peer"] += 1
        self._events.append(KeyframeRequested(mid))

    def _on_nack(self, event: ev.NackReceived, now: float) -> None:
        mid = self._ssrc_mid.get(event.media_ssrc)
        sender = self._senders.get(mid) if mid is not None else None
        if mid is None or sender is None:
            return
        for resend in sender.responder.on_nack(event.lost, now):
            self.session.send_rtx(mid, resend.rtx_payload_type, resend.packet, now)
            self.stats["retransmissions_sent"] += 1

    def _on_report_block(self, event: ev.ReportBlockReceived, now: float) -> None:
        if event.rtt is None:
            return
        for receiver in self._receivers.values():
            if receiver.video is not None:
                receiver.video.set_rtt(event.rtt)
        for sender in self._senders.values():
            sender.responder.set_rtt(event.rtt)


_SESSION_HANDLERS: dict[type, Callable[[MediaCore, Any, float], None]] = {
    ev.RtpReceived: MediaCore._on_rtp,
    ev.PliReceived: MediaCore._on_pli,
    ev.FirReceived: MediaCore._on_fir,
    ev.NackReceived: MediaCore._on_nack,
    ev.ReportBlockReceived: MediaCore._on_report_block,
}

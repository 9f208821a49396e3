"""The peer connection's media: after each negotiation, one :class:`MediaCore` attached to the
bundle transport, and a send / receive pipeline per transceiver whose negotiated direction
sends / receives.

The peer connection calls :meth:`MediaEngine.apply` with what the applied answer settled
(:func:`negotiated_rows` reads it from the descriptions and the m-line table) and hands it
the core's events (:meth:`MediaEngine.handle_event`). Transceivers get their pipelines, never
the peer connection: the sender's ``replaceTrack``/``setParameters`` and the receiver's track
drive the pipeline they were given.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any

from ._mediaconfig import NegotiatedMedia, negotiated_media
from ._mediacore import (
    AudioPacketReady,
    KeyframeRequested,
    MediaCore,
    VideoFrameReady,
)
from ._mediaflow import CodecBinding, EncoderSettings, ReceivePipeline, SendPipeline
from ._mlines import MLineTable
from .bundle import BundleTransport
from .media.bindings import binding_for
from .mediastreams import RemoteStreamTrack
from .rtp.session import SendStreamConfig
from .sdp.model import SessionDescription
from .transceiver import RTCRtpTransceiver, receives, sends

__all__ = ["MediaEngine", "negotiated_rows"]

logger = logging.getLogger("rtcpeer.media")

NTP_UNIX_OFFSET = 2_208_988_800  # seconds from 1900-01-01 (NTP epoch) to 1970-01-01


def _reverse(direction: str) -> str:
    return {"sendonly": "recvonly", "recvonly": "sendonly"}.get(direction, direction)


def negotiated_rows(
    table: MLineTable[Any],
    local: SessionDescription,
    remote: SessionDescription,
    we_offered: bool,
) -> list[tuple[NegotiatedMedia, RTCRtpTransceiver]]:
    """The accepted audio/video m-lines of an applied answer, each with its transceiver."""
    out = []
    answer = remote if we_offered else local
    for row in table.rows:
        t = row.owner
        if not isinstance(t, RTCRtpTransceiver) or row.role != "transceiver":
            continue
        if row.index >= len(answer.media) or row.index >= len(remote.media):
            continue
        answered = answer.media[row.index]
        if answered.rejected:
            continue
        direction = answered.direction or "sendrecv"
        ours = _reverse(direction) if we_offered else direction
        stream = None
        if sends(ours):
            sender = t.sender
            video_rtx = t.kind == "video" and any(
                (c.name or "").lower() == "rtx" for c in answered.codecs
            )
            stream = SendStreamConfig(
                sender._ssrc, sender._cname, sender._rtx_ssrc if video_rtx else None
            )
        media = negotiated_media(row.mid, ours, answered, remote.media[row.index], stream)
        out.append((media, t))
    return out


class MediaEngine:
    def __init__(
        self,
        transport: BundleTransport,
        now: Callable[[], float],
        flush: Callable[[], None],
    ) -> None:
        self._transport = transport
        self._now = now
        self._flush = flush
        self.core: MediaCore | None = None
        self._senders: dict[str, SendPipeline] = {}
        self._receivers: dict[str, ReceivePipeline] = {}

    def apply(self, rows: list[tuple[NegotiatedMedia, RTCRtpTransceiver]]) -> None:
        media = [m for m, _ in rows]
        now = self._now()
        if self.core is None:
            if not media:
                return
            ntp_offset = time.time() + NTP_UNIX_OFFSET - now
            self.core = MediaCore(
                media, _boundaries, rng=random.Random(), now=now, ntp_offset=ntp_offset
            )
            self._transport.attach_rtp_session(self.core)
        else:
            self.core.reconfigure(media)
        senders: dict[str, SendPipeline] = {}
        receivers: dict[str, ReceivePipeline] = {}
        for m, transceiver in rows:
            sender = self._send_pipeline(m, transceiver)
            if sender is not None:
                senders[m.mid] = sender
            receiver = self._receive_pipeline(m, transceiver)
            if receiver is not None:
                receivers[m.mid] = receiver
        for mid, pipeline in self._senders.items():
            if senders.get(mid) is not pipeline:
                pipeline.stop()
        for mid, rpipeline in self._receivers.items():
            if receivers.get(mid) is not rpipeline:
                rpipeline.stop()
        self._senders, self._receivers = senders, receivers
        self._flush()

    def _send_pipeline(self, m: NegotiatedMedia, t: RTCRtpTransceiver) -> SendPipeline | None:
        codec = m.send_codec
        if not sends(m.direction) or codec is None or self.core is None:
            return None
        binding = binding_for(codec.name)
        if binding is None:
            return None
        pipeline = self._senders.get(m.mid)
        if pipeline is None or pipeline.codec != codec:
            if pipeline is not None:
                pipeline.stop()
            pipeline = SendPipeline(
                m.mid, codec, binding, self.core.send_frame, self._now, self._flush
            )
        t.sender._attach(pipeline)
        return pipeline

    def _receive_pipeline(self, m: NegotiatedMedia, t: RTCRtpTransceiver) -> ReceivePipeline | None:
        if not receives(m.direction) or self.core is None:
            return None
        pipeline = self._receivers.get(m.mid)
        if pipeline is not None:
            return pipeline
        track = t.receiver.track
        assert isinstance(track, RemoteStreamTrack)
        core, mid = self.core, m.mid

        def bindings(pt: int) -> tuple[CodecBinding, int] | None:
            codec = m.codec(pt)
            binding = binding_for(codec.name) if codec is not None else None
            return (binding, codec.clock_rate) if binding and codec else None

        def keyframe() -> None:
            core.request_keyframe(mid, self._now())
            self._flush()

        return ReceivePipeline(track, bindings, keyframe)

    def handle_event(self, event: object) -> None:
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    def _on_video(self, event: VideoFrameReady) -> None:
        pipeline = self._receivers.get(event.mid)
        if pipeline is not None:
            pipeline.on_video_frame(event.frame)

    def _on_audio(self, event: AudioPacketReady) -> None:
        pipeline = self._receivers.get(event.mid)
        if pipeline is not None:
            pipeline.on_audio_packet(event.packet)

    def _on_keyframe(self, event: KeyframeRequested) -> None:
        pipeline = self._senders.get(event.mid)
        if pipeline is not None:
            pipeline.request_keyframe()

    def close(self) -> None:
        for pipeline in self._senders.values():
            pipeline.stop()
        for rpipeline in self._receivers.values():
            rpipeline.stop()
        self._senders, self._receivers = {}, {}
        if self.core is not None:
            self.core.close(self._now())

    def stats(self) -> dict[str, Any]:
        return {
            "senders": {mid: p for mid, p in self._senders.items()},
            "receivers": {mid: p for mid, p in self._receivers.items()},
        }


def _boundaries(name: str) -> Any:
    return binding_for(name)


_HANDLERS: dict[type, Callable[[MediaEngine, Any], None]] = {
    VideoFrameReady: MediaEngine._on_video,
    AudioPacketReady: MediaEngine._on_audio,
    KeyframeRequested: MediaEngine._on_keyframe,
}

__all__ += ["EncoderSettings"]

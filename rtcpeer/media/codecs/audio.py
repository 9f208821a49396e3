"""Audio encoders and decoders over PyAV: Opus (libopus), PCMU/PCMA (G.711), G.722.

Encoders resample any ``av.AudioFrame`` (rate, layout, format) to the codec's input with
``av.AudioResampler`` in fixed 20 ms frames: Opus 48 kHz stereo (RFC 7587 §4.1: the RTP clock
is 48 kHz), PCMU/PCMA 8 kHz mono, G.722 16 kHz mono with an 8 kHz RTP clock (RFC 3551
§4.5.2). Timestamps count samples in the RTP clock from the first frame. Opus runs with
in-band FEC on (``fec``), the voip application and an expected packet loss of 10 %.

Loss concealment: FFmpeg's decoders take no "this packet is missing" input through PyAV (an
empty packet means end of stream), so ``decode_missing()`` conceals in Python: it repeats the
last decoded frame at half the amplitude per missing packet (silence after three). Decoding the
in-band FEC of the next Opus packet is not reachable through FFmpeg's libopus wrapper.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

import av
import numpy as np

from .base import DecodeError, EncodedFrame, check_options_used

__all__ = [
    "AudioDecoder",
    "AudioEncoder",
    "G722Decoder",
    "G722Encoder",
    "OpusDecoder",
    "OpusEncoder",
    "PcmaDecoder",
    "PcmaEncoder",
    "PcmuDecoder",
    "PcmuEncoder",
]


class AudioEncoder:
    codec_name: ClassVar[str] = ""
    sample_rate: ClassVar[int] = 8000
    clock_rate: ClassVar[int] = 8000
    layout: ClassVar[str] = "mono"
    sample_format: ClassVar[str] = "s16"
    frame_ms: ClassVar[int] = 20

    def __init__(self, bitrate: int | None = None) -> None:
        self.bitrate = bitrate
        self._lock = threading.Lock()
        self._ctx: Any = None
        samples = self.sample_rate * self.frame_ms // 1000
        self._resampler = av.AudioResampler(
            format=self.sample_format,
            layout=self.layout,
            rate=self.sample_rate,
            frame_size=samples,
        )
        self._samples_out = 0

    def options(self) -> dict[str, str]:
        return {}

    def _open(self) -> Any:
        ctx: Any = av.CodecContext.create(self.codec_name, "w")
        ctx.sample_rate = self.sample_rate
        ctx.layout = self.layout
        ctx.format = self.sample_format
        if self.bitrate:
            ctx.bit_rate = self.bitrate
        ctx.options = self.options()
        ctx.open()
        check_options_used(ctx)
        return ctx

    def set_target_bitrate(self, bitrate: int) -> None:
        with self._lock:
            if bitrate != self.bitrate:
                self.bitrate = bitrate
                self._ctx = None

    def encode(self, frame: av.AudioFrame, force_keyframe: bool = False) -> list[EncodedFrame]:
        """20 ms encoded frames for the audio so far (``force_keyframe`` has no meaning here)."""
        with self._lock:
            if self._ctx is None:
                self._ctx = self._open()
            out = []
            ratio = self.clock_rate / self.sample_rate
            for chunk in self._resampler.resample(frame):
                timestamp = int(self._samples_out * ratio) & 0xFFFFFFFF
                chunk.pts = self._samples_out
                self._samples_out += chunk.samples
                out += [EncodedFrame(bytes(p), timestamp, True) for p in self._ctx.encode(chunk)]
            return out


class OpusEncoder(AudioEncoder):
    codec_name = "libopus"
    sample_rate = clock_rate = 48000
    layout = "stereo"

    def __init__(self, bitrate: int | None = 64_000) -> None:
        super().__init__(bitrate)

    def options(self) -> dict[str, str]:
        return {"application": "voip", "frame_duration": "20", "fec": "1", "packet_loss": "10"}


class PcmuEncoder(AudioEncoder):
    codec_name = "pcm_mulaw"


class PcmaEncoder(AudioEncoder):
    codec_name = "pcm_alaw"


class G722Encoder(AudioEncoder):
    codec_name = "g722"
    sample_rate = 16000
    clock_rate = 8000


class AudioDecoder:
    codec_name: ClassVar[str] = ""
    sample_rate: ClassVar[int] = 8000
    layout: ClassVar[str] = "mono"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        ctx: Any = av.CodecContext.create(self.codec_name, "r")
        ctx.sample_rate = self.sample_rate
        ctx.layout = self.layout
        self._ctx = ctx
        self._last: av.AudioFrame | None = None
        self._missing = 0

    def decode(self, bitstream: bytes, timestamp: int) -> list[av.AudioFrame]:
        with self._lock:
            packet = av.Packet(bitstream)
            packet.pts = timestamp
            try:
                frames: list[av.AudioFrame] = self._ctx.decode(packet)
            except av.FFmpegError as exc:
                raise DecodeError(f"{self.codec_name}: {exc}") from exc
            if frames:
                self._last = frames[-1]
                self._missing = 0
            return frames

    def decode_missing(self) -> list[av.AudioFrame]:
        """Concealment for one lost packet: the last frame, halved per loss (see module doc)."""
        with self._lock:
            if self._last is None:
                return []
            self._missing += 1
            gain = 0.5**self._missing if self._missing <= 3 else 0.0
            last = self._last
            samples = last.to_ndarray()
            concealed = (samples * gain).astype(samples.dtype)
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(concealed), format=last.format.name, layout=last.layout.name
            )
            frame.sample_rate = last.sample_rate
            return [frame]


class OpusDecoder(AudioDecoder):
    codec_name = "libopus"
    sample_rate = 48000
    layout = "stereo"


class PcmuDecoder(AudioDecoder):
    codec_name = "pcm_mulaw"


class PcmaDecoder(AudioDecoder):
    codec_name = "pcm_alaw"


class G722Decoder(AudioDecoder):
    codec_name = "g722"
    sample_rate = 16000

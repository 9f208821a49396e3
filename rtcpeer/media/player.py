"""MediaPlayer: audio and video tracks read from a file, a URL or a capture device with PyAV.

API-compatible with ``aiortc.contrib.media.MediaPlayer``: ``MediaPlayer(file, format, options,
timeout, loop, decode)`` opens the input at once (``av.open``; an unreadable input raises PyAV's
own error, which names the file and the reason) and exposes ``.audio`` / ``.video`` tracks, None
when the input has no such stream.

* One worker thread per player reads (decodes, or only demuxes with ``decode=False``) and hands
  items to the tracks' queues on the event loop; it starts at the first ``recv()`` and ends when
  every track of the player is stopped (it closes the container itself, so ``stop()`` never waits
  on it).
* Timestamps as rtcpeer's own tracks give them: video ``pts`` in a 90 kHz time base starting at 0,
  audio resampled to 48 kHz stereo s16 in 20 ms frames with ``pts`` counting samples (time base
  1/48000). Pass-through packets are rescaled the same way (video 90 kHz, audio the codec's clock
  rate) and the track's :attr:`PlayerStreamTrack.codec` says which codec they are, so a sender can
  check it against the negotiated one.
* Pacing: for files (anything that is not a live device/stream format) ``recv()`` releases each
  item when its media time is due on the loop clock (``loop.time()``); both tracks share one
  anchor, set by the first item delivered, so audio and video stay aligned. The worker reads at
  most :data:`READ_AHEAD` seconds of media beyond what has been delivered (it waits, it never
  polls a clock). Live sources are not paced; their queues keep the newest :data:`QUEUE_LIMIT`
  items and count what they drop.
* ``loop=True`` seeks back to the start at the end of the input and continues the timestamps
  (each track's next pts follows its last one by one frame step), so a sender sees one endless
  stream.
"""

from __future__ import annotations

import asyncio
import errno
import fractions
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeAlias

import av
import av.container
from av.audio.stream import AudioStream
from av.video.stream import VideoStream

from ..capabilities import RTCRtpCodecCapability
from ..mediastreams import AUDIO_PTIME, VIDEO_CLOCK_RATE, MediaStreamError, MediaStreamTrack

__all__ = ["QUEUE_LIMIT", "READ_AHEAD", "REAL_TIME_FORMATS", "MediaPlayer", "PlayerStreamTrack"]

logger = logging.getLogger(__name__)

READ_AHEAD = 1.0  # seconds of media the worker may read beyond the delivered position
QUEUE_LIMIT = 200  # items a track holds before it drops its oldest (live sources, unread tracks)
AUDIO_RATE = 48000
AUDIO_SAMPLES = int(AUDIO_RATE * AUDIO_PTIME)  # 960 samples = 20 ms
VIDEO_TIME_BASE = fractions.Fraction(1, VIDEO_CLOCK_RATE)
AUDIO_TIME_BASE = fractions.Fraction(1, AUDIO_RATE)

# Input formats that deliver in real time by themselves: never paced (aiortc's list).
REAL_TIME_FORMATS = frozenset(
    {
        "alsa", "android_camera", "avfoundation", "bktr", "decklink", "dshow", "fbdev",
        "gdigrab", "iec61883", "jack", "kmsgrab", "openal", "oss", "pulse", "sndio", "rtsp",
        "v4l2", "vfwcap", "x11grab",
    }
)  # fmt: skip

# Pass-through (decode=False): the PyAV codec names a sender can packetize unchanged, and the
# RTP codec each one is (RFC 7741 VP8, RFC 6184 H.264, RFC 7587 Opus, RFC 3551 PCMU/PCMA).
PASSTHROUGH_CODECS: dict[str, RTCRtpCodecCapability] = {
    "vp8": RTCRtpCodecCapability("video/VP8", VIDEO_CLOCK_RATE),
    "h264": RTCRtpCodecCapability("video/H264", VIDEO_CLOCK_RATE),
    "opus": RTCRtpCodecCapability("audio/opus", 48000, 2),
    "pcm_mulaw": RTCRtpCodecCapability("audio/PCMU", 8000, 1),
    "pcm_alaw": RTCRtpCodecCapability("audio/PCMA", 8000, 1),
}

_Stream = AudioStream | VideoStream
_Item: TypeAlias = "av.AudioFrame | av.VideoFrame | av.Packet[Any]"


class PlayerStreamTrack(MediaStreamTrack):
    """One track of a :class:`MediaPlayer`; ``recv()`` returns frames (or packets) in order."""

    def __init__(self, player: MediaPlayer, kind: str, codec: RTCRtpCodecCapability | None):
        super().__init__()
        self.kind = kind
        self.codec = codec  # set for decode=False: which codec the packets are
        self.dropped = 0  # items dropped because the queue held QUEUE_LIMIT
        self._player: MediaPlayer | None = player
        self._queue: asyncio.Queue[tuple[_Item, float] | None] = asyncio.Queue()

    def _push(self, entry: tuple[_Item, float] | None) -> None:
        """On the loop, from the worker: one item with its media time, or None at the end."""
        if self._ended:
            return
        if entry is not None and self._queue.qsize() >= QUEUE_LIMIT:
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(entry)

    async def recv(self) -> _Item:
        if self._ended or self._player is None:
            raise MediaStreamError
        player = self._player
        player._start(self)
        entry = await self._queue.get()
        if entry is None:
            self.stop()
            raise MediaStreamError
        item, media_time = entry
        await player._pace(media_time)
        return item

    def stop(self) -> None:
        super().stop()
        if self._player is not None:
            self._player._stop(self)
            self._player = None


class _Timeline:
    """Continuous timestamps for one stream across loop restarts, in its output clock."""

    def __init__(self, clock_rate: int) -> None:
        self.clock_rate = clock_rate
        self.first: int | None = None  # input pts of this pass's first item
        self.offset = 0  # output pts of this pass's first item
        self.last: int | None = None
        self.step = 0

    def convert(self, pts: int, time_base: fractions.Fraction) -> int:
        if self.first is None:
            self.first = pts
        out = self.offset + round((pts - self.first) * time_base * self.clock_rate)
        if self.last is not None and out > self.last:
            self.step = out - self.last
        if self.last is None or out > self.last:
            self.last = out
        return out

    def restart(self, nominal_step: int | None) -> None:
        """At a loop restart: the next pass follows the last item by one frame step (the
        stream's nominal one when it has a frame rate, else the last one seen)."""
        if self.last is not None:
            self.offset = self.last + (nominal_step or self.step or 1)
        self.first = None


class _Worker(threading.Thread):
    """Reads the container and posts items to the tracks; read-ahead bounded by consumption."""

    def __init__(self, player: MediaPlayer, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(name="rtcpeer-media-player", daemon=True)
        self.player = player
        self.loop = loop
        self.quit = threading.Event()
        self.cond = threading.Condition()
        self.read_time = 0.0
        self.played_time = 0.0
        self.video_line = _Timeline(VIDEO_CLOCK_RATE)
        self.audio_line = _Timeline(AUDIO_RATE)
        self.resampler: av.AudioResampler | None = None

    def played(self, media_time: float) -> None:
        with self.cond:
            if media_time > self.played_time:
                self.played_time = media_time
                self.cond.notify()

    def stop(self) -> None:
        self.quit.set()
        with self.cond:
            self.cond.notify()

    def _post(self, track: PlayerStreamTrack | None, entry: tuple[_Item, float] | None) -> bool:
        if track is None:
            return True
        try:
            self.loop.call_soon_threadsafe(track._push, entry)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            return False
        return True

    def _wait_for_room(self) -> None:
        if not self.player._throttle_playback:
            return
        with self.cond:
            while not self.quit.is_set() and self.read_time - self.played_time > READ_AHEAD:
                self.cond.wait()

    def _items(self) -> Iterator[Any]:
        container = self.player._container
        streams = self.player._streams
        if self.player._decode:
            return container.decode(*streams)
        return container.demux(*streams)

    def run(self) -> None:
        try:
            self._read_all()
        finally:
            self.player._container.close()

    def _read_all(self) -> None:
        items = self._items()
        while not self.quit.is_set():
            self._wait_for_room()
            try:
                item = next(items)
            except StopIteration:
                if self.player._loop_playback and self._restart():
                    items = self._items()
                    continue
                self._finish()
                return
            except av.FFmpegError as exc:
                if exc.errno == errno.EAGAIN:  # a live device with nothing yet
                    self.quit.wait(0.01)
                    items = self._items()
                    continue
                logger.warning("MediaPlayer(%s): read failed: %s", self.player._name, exc)
                self._finish()
                return
            if not self._dispatch(item):
                return

    def _restart(self) -> bool:
        try:
            self.player._container.seek(0)
        except av.FFmpegError as exc:
            logger.warning("MediaPlayer(%s): cannot loop: %s", self.player._name, exc)
            return False
        self.video_line.restart(self.player._video_step)
        self.audio_line.restart(None if self.player._decode else self.player._audio_step)
        return True

    def _finish(self) -> None:
        if self.resampler is not None and self.player._audio is not None:
            for frame in self.resampler.resample(None):
                self._audio_frame_out(frame)
        self._post(self.player._audio, None)
        self._post(self.player._video, None)

    def _dispatch(self, item: Any) -> bool:
        handler = self._HANDLERS.get(type(item))
        return True if handler is None else handler(self, item)

    def _video_frame(self, frame: av.VideoFrame) -> bool:
        if frame.pts is None or frame.time_base is None:
            return True
        frame.pts = self.video_line.convert(frame.pts, frame.time_base)
        frame.time_base = VIDEO_TIME_BASE
        return self._deliver(self.player._video, frame, frame.pts / VIDEO_CLOCK_RATE)

    def _audio_frame(self, frame: av.AudioFrame) -> bool:
        if self.resampler is None:
            self.resampler = av.AudioResampler(
                format="s16", layout="stereo", rate=AUDIO_RATE, frame_size=AUDIO_SAMPLES
            )
        return all(self._audio_frame_out(out) for out in self.resampler.resample(frame))

    def _audio_frame_out(self, frame: av.AudioFrame) -> bool:
        # Samples are counted, not read from the input: audio stays gapless across loops.
        line = self.audio_line
        pts = line.offset if line.last is None else line.last + line.step
        line.last, line.step = pts, frame.samples
        frame.pts = pts
        frame.time_base = AUDIO_TIME_BASE
        return self._deliver(self.player._audio, frame, pts / AUDIO_RATE)

    def _packet(self, packet: av.Packet[Any]) -> bool:
        if not packet.size or packet.pts is None or packet.time_base is None:
            return True  # the empty packets that flush a demuxer at its end
        if isinstance(packet.stream, VideoStream):
            track, line = self.player._video, self.video_line
        else:
            track, line = self.player._audio, self.audio_line
        if track is None or track.codec is None:
            return True
        time_base = packet.time_base
        pts = line.convert(packet.pts, time_base)
        if packet.dts is not None and line.first is not None:
            dts = (packet.dts - line.first) * time_base * line.clock_rate
            packet.dts = line.offset + round(dts)
        packet.pts = pts
        packet.time_base = fractions.Fraction(1, line.clock_rate)
        return self._deliver(track, packet, pts / line.clock_rate)

    def _deliver(self, track: PlayerStreamTrack | None, item: _Item, media_time: float) -> bool:
        if track is None:
            return True
        with self.cond:
            self.read_time = max(self.read_time, media_time)
        return self._post(track, (item, media_time))

    _HANDLERS: dict[type, Callable[[_Worker, Any], bool]] = {
        av.VideoFrame: _video_frame,
        av.AudioFrame: _audio_frame,
        av.Packet: _packet,
    }


class MediaPlayer:
    """A media source reading audio and/or video from a file, URL or device (see module doc).

    :param file: a path, URL, device name or file-like object (``av.open``'s ``file``).
    :param format: the input format (e.g. ``"lavfi"``, ``"v4l2"``); guessed when None.
    :param options: FFmpeg options for the input (``av.open``'s ``options``).
    :param timeout: open/read timeout in seconds passed to FFmpeg.
    :param loop: restart at the end with continuous timestamps (needs a seekable input).
    :param decode: False delivers the encoded ``av.Packet``s (VP8/H.264/Opus/PCMU/PCMA only).
    """

    def __init__(
        self,
        file: Any,
        format: str | None = None,
        options: dict[str, str] | None = None,
        timeout: int | None = None,
        loop: bool = False,
        decode: bool = True,
    ) -> None:
        self._container: av.container.InputContainer = av.open(
            file=file, format=format, mode="r", options=options, timeout=timeout
        )
        self._name = str(self._container.name)
        self._decode = decode
        self._streams: list[_Stream] = []
        self._audio: PlayerStreamTrack | None = None
        self._video: PlayerStreamTrack | None = None
        self._open_tracks: set[PlayerStreamTrack] = set()
        self._worker: _Worker | None = None
        self._anchor: float | None = None
        self._video_step: int | None = None  # nominal frame step in the output clock (loop)
        self._audio_step: int | None = None
        for stream in self._container.streams:
            self._add_stream(stream)
        formats = set(self._container.format.name.split(","))
        self._throttle_playback = not formats & REAL_TIME_FORMATS
        if loop and self._container.duration is None:
            self._container.close()
            raise ValueError(f"MediaPlayer({self._name}): loop=True needs a seekable file")
        self._loop_playback = loop

    def _add_stream(self, stream: Any) -> None:
        kind = stream.type
        if kind not in ("audio", "video") or getattr(self, f"_{kind}") is not None:
            return
        codec: RTCRtpCodecCapability | None = None
        if not self._decode:
            codec = PASSTHROUGH_CODECS.get(stream.codec_context.name)
            if codec is None:
                logger.info(
                    "MediaPlayer(%s): %s stream %s cannot pass through undecoded",
                    self._name, kind, stream.codec_context.name,
                )  # fmt: skip
                return
        self._nominal_step(stream, codec)
        track = PlayerStreamTrack(self, kind, codec)
        setattr(self, f"_{kind}", track)
        self._open_tracks.add(track)
        self._streams.append(stream)

    def _nominal_step(self, stream: Any, codec: RTCRtpCodecCapability | None) -> None:
        if stream.type == "video":
            rate = stream.average_rate or stream.guessed_rate
            if rate:
                self._video_step = round(VIDEO_CLOCK_RATE / rate)
        elif codec is not None:
            frame_size = stream.codec_context.frame_size or 0
            rate = stream.codec_context.sample_rate or 0
            if frame_size and rate:
                self._audio_step = round(frame_size * codec.clockRate / rate)

    @property
    def audio(self) -> MediaStreamTrack | None:
        """The audio track, or None when the input has no (usable) audio stream."""
        return self._audio

    @property
    def video(self) -> MediaStreamTrack | None:
        """The video track, or None when the input has no (usable) video stream."""
        return self._video

    def _start(self, track: PlayerStreamTrack) -> None:
        if self._worker is None and self._open_tracks:
            self._worker = _Worker(self, asyncio.get_running_loop())
            self._worker.start()

    async def _pace(self, media_time: float) -> None:
        """Release an item when its media time is due on the loop clock (shared anchor)."""
        if self._throttle_playback:
            loop = asyncio.get_running_loop()
            if self._anchor is None:
                self._anchor = loop.time() - media_time
            delay = self._anchor + media_time - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
        if self._worker is not None:
            self._worker.played(media_time)

    def _stop(self, track: PlayerStreamTrack) -> None:
        self._open_tracks.discard(track)
        if self._open_tracks:
            return
        if self._worker is not None:
            self._worker.stop()  # the worker closes the container when it leaves
        else:
            self._container.close()

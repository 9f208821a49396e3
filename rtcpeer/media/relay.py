"""MediaRelay: one source track read once per frame, fanned out to many consumers.

API-compatible with ``aiortc.contrib.media.MediaRelay``. ``subscribe(track, buffered=True)``
returns a proxy :class:`MediaStreamTrack`. The first ``recv()`` on any proxy of a source starts
one reader task for that source; each frame it reads is handed to every proxy that has started
reading (a subscriber gets the frames from its first ``recv()`` on):

* buffered proxies keep a bounded FIFO (:data:`BUFFER_LIMIT` items); when a slow consumer lets it
  fill, the oldest frame is dropped and counted in ``proxy.dropped``, so one slow consumer
  never holds back the others or grows without bound;
* unbuffered proxies keep only the latest frame: a consumer always gets the newest one and
  whatever it missed is counted in ``proxy.dropped``.

Stopping a proxy unsubscribes it; when the last started proxy of a source stops, the reader
task is cancelled and the source is no longer read (the source itself is not stopped: it belongs
to the caller). When the source ends, every proxy ends (``recv()`` raises MediaStreamError).
The same frame object goes to every consumer: consumers must not modify it.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from typing import Any

from ..mediastreams import MediaStreamError, MediaStreamTrack

__all__ = ["BUFFER_LIMIT", "MediaRelay", "RelayStreamTrack"]

logger = logging.getLogger(__name__)

BUFFER_LIMIT = 30  # frames a buffered proxy holds (about 1 s of 30 fps video)

_END = object()  # what the reader hands out when the source has ended


class RelayStreamTrack(MediaStreamTrack):
    """One consumer's view of a relayed source."""

    def __init__(self, relay: MediaRelay, source: MediaStreamTrack, buffered: bool) -> None:
        super().__init__()
        self.kind = source.kind
        self.dropped = 0
        self._relay: MediaRelay | None = relay
        self._source = source
        self._buffered = buffered
        self._frames: collections.deque[Any] = collections.deque(
            maxlen=BUFFER_LIMIT if buffered else 1
        )
        self._waiter: asyncio.Future[None] | None = None

    def _put(self, frame: Any) -> None:
        """From the relay's reader: one frame, or _END."""
        if len(self._frames) == self._frames.maxlen:
            self.dropped += 1  # the deque drops the oldest
        self._frames.append(frame)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def recv(self) -> Any:
        if self._ended or self._relay is None:
            raise MediaStreamError
        self._relay._start(self)
        while not self._frames:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        frame = self._frames.popleft()
        if frame is _END:
            self.stop()
            raise MediaStreamError
        return frame

    def stop(self) -> None:
        super().stop()
        if self._relay is not None:
            self._relay._stop(self)
            self._relay = None
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
            self._frames.append(_END)


class _Fanout:
    """One source: its reader task and the proxies that have started reading."""

    def __init__(self) -> None:
        self.proxies: set[RelayStreamTrack] = set()
        self.task: asyncio.Task[None] | None = None
        self.reads = 0


class MediaRelay:
    """Relays source tracks to many consumers (see the module doc)."""

    def __init__(self) -> None:
        self._sources: dict[MediaStreamTrack, _Fanout] = {}

    def subscribe(self, track: MediaStreamTrack, buffered: bool = True) -> MediaStreamTrack:
        """A new proxy of ``track`` for one consumer; ``buffered=False`` keeps only the latest
        frame (for consumers that want the newest picture, e.g. a live preview)."""
        self._sources.setdefault(track, _Fanout())
        return RelayStreamTrack(self, track, buffered)

    def reads(self, track: MediaStreamTrack) -> int:
        """How many frames the relay has read from ``track`` so far (one per frame)."""
        fanout = self._sources.get(track)
        return 0 if fanout is None else fanout.reads

    def _start(self, proxy: RelayStreamTrack) -> None:
        fanout = self._sources.setdefault(proxy._source, _Fanout())
        fanout.proxies.add(proxy)
        if fanout.task is None:
            fanout.task = asyncio.ensure_future(self._run(proxy._source, fanout))

    def _stop(self, proxy: RelayStreamTrack) -> None:
        fanout = self._sources.get(proxy._source)
        if fanout is None or proxy not in fanout.proxies:
            return
        fanout.proxies.discard(proxy)
        if not fanout.proxies and fanout.task is not None:
            fanout.task.cancel()
            fanout.task = None

    async def _run(self, source: MediaStreamTrack, fanout: _Fanout) -> None:
        while True:
            try:
                frame: Any = await source.recv()
            except MediaStreamError:
                frame = _END
            else:
                fanout.reads += 1
            for proxy in list(fanout.proxies):
                proxy._put(frame)
            if frame is _END:
                break
        fanout.task = None
        fanout.proxies.clear()
        if self._sources.get(source) is fanout:
            del self._sources[source]

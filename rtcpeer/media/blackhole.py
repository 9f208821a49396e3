"""MediaBlackhole: a sink that pulls tracks and discards what they give (aiortc-compatible).

Useful to keep a remote track flowing (its receiver's queue drained) when the application does
not want the media. ``addTrack(track)``, then ``await start()``; ``await stop()`` cancels the
readers and waits for them. A track that ends simply finishes its reader.
"""

from __future__ import annotations

import asyncio
import contextlib

from ..mediastreams import MediaStreamError, MediaStreamTrack

__all__ = ["MediaBlackhole"]


async def _consume(track: MediaStreamTrack, counts: dict[MediaStreamTrack, int]) -> None:
    while True:
        try:
            await track.recv()
        except MediaStreamError:
            return
        counts[track] += 1


class MediaBlackhole:
    """Consumes and discards all media of the tracks added to it."""

    def __init__(self) -> None:
        self._tasks: dict[MediaStreamTrack, asyncio.Task[None] | None] = {}
        self._counts: dict[MediaStreamTrack, int] = {}

    def addTrack(self, track: MediaStreamTrack) -> None:
        """Add a track whose media is to be discarded (once; adding it again does nothing)."""
        if track not in self._tasks:
            self._tasks[track] = None
            self._counts[track] = 0

    def consumed(self, track: MediaStreamTrack) -> int:
        """How many frames/packets were pulled from ``track`` and discarded."""
        return self._counts.get(track, 0)

    async def start(self) -> None:
        """Start reading every added track."""
        for track, task in self._tasks.items():
            if task is None:
                self._tasks[track] = asyncio.ensure_future(_consume(track, self._counts))

    async def stop(self) -> None:
        """Stop reading: cancel the readers and wait for them to finish."""
        tasks = [task for task in self._tasks.values() if task is not None]
        self._tasks = {}
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

"""Media CPU cost, rtcpeer against aiortc in one run (not a test; prints figures and ratios).

Scenarios (640x480 at 30 fps VP8 video of a moving frame-number pattern, loopback, one process):

* ``1 viewer``: one sending and one receiving peer connection; CPU seconds per media second.
  Target: rtcpeer <= 0.8x aiortc.
* ``4 viewers``: the same track sent to 4 receiving connections. rtcpeer encodes once
  (EncoderHub); aiortc goes through MediaRelay (one encode per viewer). Target: rtcpeer's
  4-viewer cost <= 1.6x its own 1-viewer cost.

Every receiver reads the frame numbers back, so a run that moved no decodable video fails
instead of printing a flattering figure. Run inside a private network namespace::

    tools/netns-run .venv/bin/python bench/media.py [--seconds 6]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import aiortc
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import VideoStreamTrack as AiortcVideoTrack

import rtcpeer
from rtcpeer.testing.media import NumberedVideoTrack, numbered_frame, read_frame_number


class AiortcNumbered(AiortcVideoTrack):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    async def recv(self) -> Any:
        pts, time_base = await self.next_timestamp()
        frame = numbered_frame(self.count)
        self.count += 1
        frame.pts, frame.time_base = pts, time_base
        return frame


async def _connect(stack: Any, sender: Any, receiver: Any) -> None:
    await sender.setLocalDescription(await sender.createOffer())
    await receiver.setRemoteDescription(sender.localDescription)
    await receiver.setLocalDescription(await receiver.createAnswer())
    await sender.setRemoteDescription(receiver.localDescription)


async def _read(track: Any, numbers: list[int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            frame = await track.recv()
        except Exception:
            return
        numbers.append(read_frame_number(frame))


async def run(stack_name: str, viewers: int, seconds: float) -> tuple[float, int]:
    stack: Any = rtcpeer if stack_name == "rtcpeer" else aiortc
    source: Any = NumberedVideoTrack() if stack is rtcpeer else AiortcNumbered()
    relay = MediaRelay() if stack is aiortc else None
    pcs: list[Any] = []
    readers: list[asyncio.Task[None]] = []
    counts: list[list[int]] = []
    stop = asyncio.Event()
    tracks: asyncio.Queue[Any] = asyncio.Queue()
    for _ in range(viewers):
        sender, receiver = stack.RTCPeerConnection(), stack.RTCPeerConnection()
        pcs += [sender, receiver]
        track = relay.subscribe(source) if relay is not None else source
        sender.addTrack(track)
        receiver.on("track", tracks.put_nowait)
        await _connect(stack, sender, receiver)
    for _ in range(viewers):
        numbers: list[int] = []
        counts.append(numbers)
        readers.append(asyncio.ensure_future(_read(await tracks.get(), numbers, stop)))
    await asyncio.sleep(2.0)  # warm up: connect, first keyframes
    before = [len(c) for c in counts]
    cpu0, wall0 = time.process_time(), time.monotonic()
    await asyncio.sleep(seconds)
    cpu = time.process_time() - cpu0
    wall = time.monotonic() - wall0
    frames = min(len(c) - b for c, b in zip(counts, before, strict=True))
    stop.set()
    for pc in pcs:
        await pc.close()
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    if frames < 0.5 * 30 * seconds:
        raise SystemExit(f"{stack_name} x{viewers}: only {frames} frames per viewer decoded")
    return cpu / wall, frames


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()
    results: dict[tuple[str, int], float] = {}
    for viewers in (1, 4):
        for stack in ("rtcpeer", "aiortc"):
            cost, frames = await run(stack, viewers, args.seconds)
            results[(stack, viewers)] = cost
            print(
                f"VP8 640x480@30 {viewers} viewer(s) {stack:8s}: {cost:.3f} CPU-s per media s "
                f"({frames} frames decoded per viewer)"
            )
    r1 = results[("rtcpeer", 1)] / results[("aiortc", 1)]
    verdict = "met" if r1 <= 0.8 else "NOT MET"
    print(f"1 viewer: rtcpeer/aiortc = {r1:.2f} (target <= 0.8) {verdict}")
    own = results[("rtcpeer", 4)] / results[("rtcpeer", 1)]
    theirs = results[("aiortc", 4)] / results[("aiortc", 1)]
    print(
        f"4 viewers / 1 viewer: rtcpeer {own:.2f} (target <= 1.6) "
        f"{'met' if own <= 1.6 else 'NOT MET'}, aiortc {theirs:.2f}"
    )


if __name__ == "__main__":
    asyncio.run(main())

"""Open time against the node WebRTC stacks: rtcpeer vs aiortc, same node peers, same run.

A benchmark, not a test. Run from the repository root (after ``npm ci`` in
tests/interop/node, which scripts/test.sh does)::

    python bench/node_peers.py              # re-executes itself through tools/netns-run
    python bench/node_peers.py --rounds 5

For each node stack (werift, node-datachannel) and each direction (the Python side offers /
the node peer offers), ``--rounds`` fresh pairs are connected with rtcpeer and with aiortc,
alternating, and the median open time is printed: from the offer's creation until the channel
is open on both ends (tests/interop/node_side.py ``connect``). rtcpeer and the node peers
trickle candidates; aiortc puts its candidates in its SDP. ``ratio`` is aiortc / rtcpeer
(above 1: rtcpeer opens faster). The machine may be loaded: compare within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "interop"))

from node_side import Direction, PyKind, Stack, connect  # noqa: E402

STACKS: tuple[Stack, ...] = ("werift", "node-datachannel")
DIRECTIONS: tuple[Direction, ...] = ("python-offers", "node-offers")
KINDS: tuple[PyKind, ...] = ("rtcpeer", "aiortc")


async def open_time(kind: PyKind, stack: Stack, direction: Direction) -> float | str:
    try:
        session = await connect(kind, stack, direction)
    except AssertionError as exc:
        return f"failed ({str(exc).splitlines()[0][:80]})"
    await session.close()
    return session.open_seconds


def summary(samples: list[float | str]) -> str:
    times = [s for s in samples if isinstance(s, float)]
    failed = [s for s in samples if isinstance(s, str)]
    if not times:
        return f"all {len(failed)} failed: {failed[0]}"
    text = f"median {statistics.median(times) * 1000:7.0f} ms (n={len(times)}"
    text += f", min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f})"
    return text + (f", {len(failed)} failed" if failed else "")


async def run(rounds: int) -> None:
    for stack in STACKS:
        for direction in DIRECTIONS:
            samples: dict[PyKind, list[float | str]] = {k: [] for k in KINDS}
            for _ in range(rounds):
                for kind in KINDS:
                    samples[kind].append(await open_time(kind, stack, direction))
            medians = {}
            for kind in KINDS:
                times = [s for s in samples[kind] if isinstance(s, float)]
                medians[kind] = statistics.median(times) if times else None
                print(f"open_time {stack:16} {direction:13} {kind:7}: {summary(samples[kind])}")
            r, a = medians["rtcpeer"], medians["aiortc"]
            ratio = f"{a / r:.2f}" if r and a else "n/a"
            print(f"open_time {stack:16} {direction:13} ratio aiortc/rtcpeer: {ratio}", flush=True)


def main() -> None:
    if os.environ.get("RTCPEER_NETNS") != "1":
        netns_run = ROOT / "tools" / "netns-run"
        print("# not in a private netns: re-executing through tools/netns-run", flush=True)
        os.execv(str(netns_run), [str(netns_run), sys.executable, *sys.argv])
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3, help="pairs per stack/direction/side")
    args = p.parse_args()
    logging.disable(logging.CRITICAL)  # aioice/aiortc log transaction failures at warning
    asyncio.run(run(max(1, min(args.rounds, 50))))


if __name__ == "__main__":
    main()

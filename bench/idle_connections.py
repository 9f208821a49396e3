"""CPU and memory cost of idle connected peer connections, rtcpeer against aiortc.

Each side runs in its own child process: it makes ``connections / 2`` RTCPeerConnection pairs
(both ends in the one process, a data channel open on each pair) over UDP on one host
address, waits until every connection is connected and every channel open, then lets the
event loop run idle for ``--window`` seconds and reads the process CPU time
(``getrusage``: user + system) spent in that window. Printed: % of one core, and RSS growth
per connection (VmRSS after connecting minus VmRSS before the first connection).

aioice (under both stacks) never gathers on loopback, so run it inside ``tools/netns-run``,
whose namespace has the non-loopback host address 10.99.0.1::

    tools/netns-run .venv/bin/python bench/idle_connections.py              # both, defaults
    tools/netns-run .venv/bin/python bench/idle_connections.py --impl rtcpeer -n 2000

A benchmark, not a test: bounded (setup has a deadline, the window is fixed) and it stops by
itself. The machine may be shared, so both sides run in the same invocation; compare the
per-connection figures of one run, not figures across runs.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import os
import pstats
import resource
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

ADDRESS = os.environ.get("RTCPEER_NETNS_ADDR", "10.99.0.1")
CONCURRENCY = 25  # pairs connecting at once
SETUP_DEADLINE = 600.0  # seconds for all pairs to connect


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class GcTimer:
    """A ``gc.callbacks`` entry adding up the time of each generation's collections."""

    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            generation = info["generation"]
            self.count[generation] += 1
            self.seconds[generation] += time.perf_counter() - self._start

    def summary(self) -> str:
        return ", ".join(
            f"gen{g} {self.count[g]}x {1000 * self.seconds[g]:.0f} ms" for g in range(3)
        )


def raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# -- one pair per implementation ---------------------------------------------------------------


async def rtcpeer_pair() -> tuple[Any, Any]:
    from rtcpeer import RTCConfiguration, RTCPeerConnection, RTCPeerOptions

    def config() -> RTCConfiguration:
        return RTCConfiguration(options=RTCPeerOptions(hostAddresses=[ADDRESS], useIpv6=False))

    pc1, pc2 = RTCPeerConnection(config()), RTCPeerConnection(config())
    ready = {id(pc1): asyncio.Event(), id(pc2): asyncio.Event()}
    backlog: dict[int, list[Any]] = {id(pc1): [], id(pc2): []}
    tasks: set[asyncio.Task[None]] = set()

    def relay(src: Any, dst: Any) -> None:
        def on_candidate(candidate: Any) -> None:
            if ready[id(dst)].is_set():
                task = asyncio.get_running_loop().create_task(dst.addIceCandidate(candidate))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            else:
                backlog[id(dst)].append(candidate)

        src.on("icecandidate", on_candidate)

    relay(pc1, pc2)
    relay(pc2, pc1)
    channel = pc1.createDataChannel("idle")
    opened = asyncio.Event()
    channel.on("open", opened.set)
    await pc1.setLocalDescription(await pc1.createOffer())
    await pc2.setRemoteDescription(pc1.localDescription)
    await pc2.setLocalDescription(await pc2.createAnswer())
    await pc1.setRemoteDescription(pc2.localDescription)
    for pc in (pc1, pc2):
        ready[id(pc)].set()
        for candidate in backlog[id(pc)]:
            await pc.addIceCandidate(candidate)
    await opened.wait()
    return pc1, pc2


async def aiortc_pair() -> tuple[Any, Any]:
    from aiortc import RTCPeerConnection

    pc1, pc2 = RTCPeerConnection(), RTCPeerConnection()
    channel = pc1.createDataChannel("idle")
    opened = asyncio.Event()
    channel.on("open", opened.set)
    await pc1.setLocalDescription(await pc1.createOffer())  # gathers fully (no trickle)
    await pc2.setRemoteDescription(pc1.localDescription)
    await pc2.setLocalDescription(await pc2.createAnswer())
    await pc1.setRemoteDescription(pc2.localDescription)
    await opened.wait()
    return pc1, pc2


PAIRS: dict[str, Callable[[], Awaitable[tuple[Any, Any]]]] = {
    "rtcpeer": rtcpeer_pair,
    "aiortc": aiortc_pair,
}


def connected(pc: Any) -> bool:
    return bool(pc.connectionState == "connected")


async def measure(impl: str, connections: int, window: float, profile: bool = False) -> None:
    make = PAIRS[impl]
    await make()  # warm-up: imports, first certificate, and so on (not counted)
    before = rss_kib()
    sem = asyncio.Semaphore(CONCURRENCY)

    async def one() -> tuple[Any, Any]:
        async with sem:
            return await make()

    started = time.monotonic()
    pairs = await asyncio.wait_for(
        asyncio.gather(*(one() for _ in range(connections // 2))), SETUP_DEADLINE
    )
    setup = time.monotonic() - started
    peers = [pc for pair in pairs for pc in pair]
    await asyncio.sleep(2.0)  # let the last handshakes' retransmission timers settle
    not_connected = sum(1 for pc in peers if not connected(pc))
    after = rss_kib()
    profiler = cProfile.Profile() if profile else None
    collector = GcTimer()
    gc.callbacks.append(collector)
    cpu0, wall0 = cpu_seconds(), time.monotonic()
    if profiler is not None:
        profiler.enable()
    await asyncio.sleep(window)
    if profiler is not None:
        profiler.disable()
    cpu, wall = cpu_seconds() - cpu0, time.monotonic() - wall0
    gc.callbacks.remove(collector)
    if profiler is not None:
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats(os.environ.get("SORT", "tottime")).print_stats(45)
    still = sum(1 for pc in peers if connected(pc))
    print(
        f"{impl} N={len(peers)} connections: {100 * cpu / wall:.1f}% of a core idle "
        f"({cpu:.2f} s CPU in {wall:.1f} s), "
        f"RSS {(after - before) / len(peers):.0f} KB/conn, "
        f"{still}/{len(peers)} connected after the window "
        f"({not_connected} not connected before it), setup {setup:.0f} s; "
        f"gc in the window: {collector.summary()}",
        flush=True,
    )
    for pc in peers:
        await pc.close()


def run_child(impl: str, connections: int, window: float) -> float | None:
    """Run one side in a child process; return its % of a core per 1,000 connections."""
    cmd = [
        sys.executable,
        __file__,
        "--impl",
        impl,
        "-n",
        str(connections),
        "--window",
        str(window),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=SETUP_DEADLINE + 300)
    sys.stderr.write(out.stderr[-2000:] if out.returncode else "")
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith(impl)), None)
    if line is None:
        print(f"{impl}: no result (exit status {out.returncode})")
        return None
    print(line, flush=True)
    percent = float(line.split(":")[1].split("%")[0])
    return 1000 * percent / connections


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", choices=sorted(PAIRS), help="run only this side, in-process")
    parser.add_argument("-n", "--connections", type=int, help="peer connections (2 per pair)")
    parser.add_argument("--aiortc-connections", type=int, default=200)
    parser.add_argument("--rtcpeer-connections", type=int, default=2000)
    parser.add_argument("--window", type=float, default=20.0, help="idle window, seconds")
    parser.add_argument("--profile", action="store_true", help="with --impl: cProfile the window")
    args = parser.parse_args()
    raise_fd_limit()
    if args.impl is not None:
        asyncio.run(measure(args.impl, args.connections or 200, args.window, args.profile))
        return
    per_k = {
        "rtcpeer": run_child("rtcpeer", args.rtcpeer_connections, args.window),
        "aiortc": run_child("aiortc", args.aiortc_connections, args.window),
    }
    if per_k["rtcpeer"] is not None and per_k["aiortc"]:
        print(
            f"% of a core per 1,000 idle connections: rtcpeer {per_k['rtcpeer']:.2f}, "
            f"aiortc {per_k['aiortc']:.2f} (rtcpeer/aiortc = "
            f"{per_k['rtcpeer'] / per_k['aiortc']:.2f})"
        )


if __name__ == "__main__":
    main()

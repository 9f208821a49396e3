"""Data-channel benchmark: rtcpeer against aiortc, same workload, same run, same machine.

A benchmark, not a test (pytest never collects it). Run from the repository root::

    tools/netns-run /work/venv/bin/python bench/datachannel.py      # or just run it:
    python bench/datachannel.py            # re-executes itself through tools/netns-run
    python bench/datachannel.py --stacks rtcpeer --metrics tput     # while profiling

Addresses (fairness): aioice, and therefore aiortc, skips 127.0.0.1 when gathering, so the
whole benchmark runs in the private network namespace of ``tools/netns-run``, which has one
non-loopback address, 10.99.0.1. Both stacks use their *default* gathering there (no
``hostAddresses``), so both gather exactly the host candidate 10.99.0.1 and all traffic goes
through that address. ``iceServers`` is ``[]`` for both (aiortc would otherwise add Google's
STUN server), except in the unreachable-STUN metric.

Metrics, one line each (``ratio`` is always "how many times better rtcpeer is"):

* ``open_time_ms``: median over N fresh peer pairs (default 20) of the time from
  ``createOffer()`` to the offerer's channel ``open`` event; both peers in this process,
  signaling handed over in memory (rtcpeer trickles candidates, aiortc puts them in the SDP).
* ``tput_1p_16k_MBps`` / ``tput_1p_64k_MBps``: reliable ordered throughput, both peers in one
  process (one core), 16 KiB and 64 KiB messages, ``--mbytes`` MB (default 20) each, from the
  first ``send()`` until the receiver has every byte. The sender keeps ``bufferedAmount``
  between 512 KiB and 2 MiB using ``bufferedAmountLowThreshold`` + ``bufferedamountlow``
  (the same API on both stacks), so no queue grows without bound.
* ``tput_2p_16k_MBps`` / ``tput_2p_64k_MBps``: the same with each peer in its own process
  (multiprocessing, ``spawn``; signaling over a pipe), so each side gets a core. The receiver
  reports completion over the pipe; time is measured in the sender's process.
* ``open_time_dead_stun_ms``: like ``open_time_ms`` but with ``stun:127.0.0.1:<port>``
  configured on both peers, where ``<port>`` is a UDP socket that reads and ignores
  everything. aiortc gathers non-trickle and waits for the STUN timeout (~5 s), so it runs
  only ``--stun-iterations-aiortc`` pairs (default 3).

Loss mode (``--loss P``): every UDP datagram either stack sends is dropped with the
probability that at least one of its IP packets is lost when each IP packet of a 1500-byte
link is dropped with probability ``P`` (``1 - (1 - P) ** fragments``), in both directions,
from process start (the handshake too). That is what ``iptables -m statistic --mode random``
on OUTPUT would do to fragments, so PLPMTUD's 16 KB datagrams (11 fragments) suffer as they
would on a real path, while the 1200-byte ones (both stacks' base) lose exactly ``P``. It is
done in user space, in the one place both stacks send from (asyncio's datagram transport
``sendto``, plus rtcpeer's Don't-Fragment ``send_df`` for probes), because the iptables
binary is not installed on these machines (the kernel has xt_statistic; netem is absent).
Seeded per process (``--loss-seed``), so a run is repeatable up to timing.

Targets (from the issue), reported at the end: throughput >= 10x aiortc's, open time <= 1/3 of
aiortc's, an unreachable STUN server adds <= 50 ms to rtcpeer's open time.

Everything is bounded: every loop has a count and every wait a timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Coroutine
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

OPEN_TIMEOUT = 15.0  # s, one pair without STUN
STUN_OPEN_TIMEOUT = 30.0  # s, one pair with an unreachable STUN server (aiortc waits ~5 s)
TPUT_TIMEOUT = 300.0  # s, one throughput run
IP_MTU = 1500  # link MTU of the loss model
UDP_IP_HEADERS = 28
LOW_WATER = 512 * 1024
HIGH_WATER = 2 * 1024 * 1024
STACKS = ("rtcpeer", "aiortc")
METRICS = ("open", "tput", "tput2p", "stun")

Msg = tuple[Any, ...]


# ---- stacks --------------------------------------------------------------------------------


def make_pc(stack: str, stun_port: int | None = None) -> Any:
    """A peer connection with default gathering; only a STUN server if ``stun_port``."""
    urls = [f"stun:127.0.0.1:{stun_port}"] if stun_port else []
    if stack == "rtcpeer":
        import rtcpeer

        servers = [rtcpeer.RTCIceServer(urls=u) for u in urls]
        # --no-plpmtud reaches spawned processes through the environment.
        options = rtcpeer.RTCPeerOptions(
            sctpPathMtuDiscovery=os.environ.get("RTCPEER_BENCH_PLPMTUD", "1") != "0"
        )
        return rtcpeer.RTCPeerConnection(
            rtcpeer.RTCConfiguration(iceServers=servers, options=options)
        )
    import aiortc

    a_servers = [aiortc.RTCIceServer(urls=u) for u in urls]
    return aiortc.RTCPeerConnection(aiortc.RTCConfiguration(iceServers=a_servers))


def make_description(stack: str, sdp: str, typ: str) -> Any:
    if stack == "rtcpeer":
        import rtcpeer

        return rtcpeer.RTCSessionDescription(sdp=sdp, type=typ)
    import aiortc

    return aiortc.RTCSessionDescription(sdp=sdp, type=typ)


# ---- loss ----------------------------------------------------------------------------------


def install_loss(p: float, seed: int) -> None:
    """Drop sent datagrams as iptables statistic would drop their IP packets (module doc)."""
    import asyncio.selector_events as se
    import math
    import random

    from rtcpeer.ice import _connection

    rng = random.Random(seed)
    keep = 1.0 - p

    def lost(data: bytes) -> bool:
        fragments = max(1, math.ceil((len(data) + UDP_IP_HEADERS) / (IP_MTU - 20)))
        return rng.random() >= keep**fragments

    transport_cls: Any = se._SelectorDatagramTransport
    sendto = transport_cls.sendto

    def lossy_sendto(self: Any, data: Any, addr: Any = None) -> None:
        if not lost(bytes(data)):
            sendto(self, data, addr)

    transport_cls.sendto = lossy_sendto
    protocol_cls: Any = _connection.FastStunProtocol
    send_df = protocol_cls.send_df

    def lossy_send_df(self: Any, data: bytes, addr: Any, *, df: bool) -> Any:
        if lost(data):
            return "sent"  # lost on the way, as far as the sender can tell
        return send_df(self, data, addr, df=df)

    protocol_cls.send_df = lossy_send_df


def loss_from_env(role: int) -> None:
    p = float(os.environ.get("RTCPEER_BENCH_LOSS", "0"))
    if p > 0:
        install_loss(p, int(os.environ.get("RTCPEER_BENCH_LOSS_SEED", "1")) * 2 + role)


# ---- signaling -----------------------------------------------------------------------------


class Link:
    """One end of a signaling channel: ``send(msg)``; incoming messages land in ``inbox``."""

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[Msg] = asyncio.Queue()
        self.peer: Link | None = None

    def send(self, msg: Msg) -> None:
        assert self.peer is not None
        self.peer.inbox.put_nowait(msg)

    def close(self) -> None:
        pass


def link_pair() -> tuple[Link, Link]:
    a, b = Link(), Link()
    a.peer, b.peer = b, a
    return a, b


class PipeLink(Link):
    """A Link over a multiprocessing pipe, read with ``loop.add_reader``."""

    def __init__(self, conn: Connection) -> None:
        super().__init__()
        self.conn = conn
        self.loop = asyncio.get_running_loop()
        self.loop.add_reader(conn.fileno(), self._readable)

    def _readable(self) -> None:
        for _ in range(1000):
            try:
                if not self.conn.poll():
                    return
                self.inbox.put_nowait(self.conn.recv())
            except (EOFError, OSError):
                self.loop.remove_reader(self.conn.fileno())
                self.inbox.put_nowait(("eof",))
                return

    def send(self, msg: Msg) -> None:
        self.conn.send(msg)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.loop.remove_reader(self.conn.fileno())


def pump(stack: str, pc: Any, link: Link, app: asyncio.Queue[Msg]) -> Coroutine[Any, Any, None]:
    """Apply signaling messages to ``pc`` (answering offers); pass the rest to ``app``.

    Trickle (rtcpeer) is set up before the first await: rtcpeer, like aiortc, waits for
    gathering to complete in setLocalDescription when nobody listens to ``icecandidate``.
    """
    if stack == "rtcpeer":

        def on_candidate(candidate: Any) -> None:
            link.send(("cand", candidate.toJSON() if candidate is not None else None))

        pc.on("icecandidate", on_candidate)
    return _pump_loop(stack, pc, link, app)


async def _pump_loop(stack: str, pc: Any, link: Link, app: asyncio.Queue[Msg]) -> None:
    while True:
        msg = await link.inbox.get()
        if msg[0] == "sdp":
            await pc.setRemoteDescription(make_description(stack, msg[1], msg[2]))
            if msg[2] == "offer":
                await pc.setLocalDescription(await pc.createAnswer())
                link.send(("sdp", pc.localDescription.sdp, pc.localDescription.type))
        elif msg[0] == "cand":
            with contextlib.suppress(Exception):
                await pc.addIceCandidate(msg[1])
        else:
            app.put_nowait(msg)


# ---- the two sides -------------------------------------------------------------------------


async def offer(stack: str, pc: Any, link: Link, timeout: float) -> tuple[Any, float]:
    """Create a channel, offer, wait for open; return (channel, seconds offer->open)."""
    channel = pc.createDataChannel("bench")
    opened = asyncio.Event()
    channel.on("open", opened.set)
    started = time.perf_counter()
    await pc.setLocalDescription(await pc.createOffer())
    link.send(("sdp", pc.localDescription.sdp, pc.localDescription.type))
    await asyncio.wait_for(opened.wait(), timeout)
    return channel, time.perf_counter() - started


def receive_into(pc: Any, link: Link, total: int) -> None:
    """Count received bytes on the peer's channel; report ("done", n) once ``total`` arrived."""

    def on_channel(channel: Any) -> None:
        got = 0

        def on_message(message: bytes | str) -> None:
            nonlocal got
            got += len(message)
            if got >= total:
                link.send(("done", got))

        channel.on("message", on_message)

    pc.on("datachannel", on_channel)


async def blast(channel: Any, size: int, count: int) -> None:
    """Send ``count`` messages of ``size`` bytes, keeping bufferedAmount <= HIGH_WATER."""
    message = os.urandom(size)
    low = asyncio.Event()
    channel.bufferedAmountLowThreshold = LOW_WATER
    channel.on("bufferedamountlow", low.set)
    sent = 0
    while sent < count:
        while sent < count and channel.bufferedAmount < HIGH_WATER:
            channel.send(message)
            sent += 1
        if sent < count:
            low.clear()
            if channel.bufferedAmount > LOW_WATER:
                await low.wait()


async def close_all(*pcs: Any) -> None:
    for pc in pcs:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(pc.close(), 5)


# ---- metrics -------------------------------------------------------------------------------


async def one_open(stack: str, stun_port: int | None, timeout: float) -> float:
    a, b = make_pc(stack, stun_port), make_pc(stack, stun_port)
    la, lb = link_pair()
    app: asyncio.Queue[Msg] = asyncio.Queue()
    tasks = [
        asyncio.ensure_future(pump(stack, a, la, app)),
        asyncio.ensure_future(pump(stack, b, lb, app)),
    ]
    try:
        _, elapsed = await offer(stack, a, la, timeout)
        return elapsed
    finally:
        for t in tasks:
            t.cancel()
        await close_all(a, b)


async def open_times(stack: str, n: int, stun_port: int | None, timeout: float) -> list[float]:
    return [await one_open(stack, stun_port, timeout) for _ in range(n)]


async def tput_one_process(stack: str, size: int, total: int) -> float:
    a, b = make_pc(stack), make_pc(stack)
    la, lb = link_pair()
    app: asyncio.Queue[Msg] = asyncio.Queue()
    receive_into(b, lb, total)
    tasks = [
        asyncio.ensure_future(pump(stack, a, la, app)),
        asyncio.ensure_future(pump(stack, b, lb, asyncio.Queue())),
    ]
    try:
        channel, _ = await offer(stack, a, la, OPEN_TIMEOUT)
        return await timed_transfer(channel, app, size, total)
    finally:
        for t in tasks:
            t.cancel()
        await close_all(a, b)


async def timed_transfer(channel: Any, app: asyncio.Queue[Msg], size: int, total: int) -> float:
    """MB/s from the first send until the receiver reports every byte."""
    started = time.perf_counter()

    async def run() -> None:
        await blast(channel, size, total // size)
        while (await app.get())[0] != "done":
            pass

    await asyncio.wait_for(run(), TPUT_TIMEOUT)
    return total / (time.perf_counter() - started) / 1e6


def _answerer_process(stack: str, total: int, conn: Connection) -> None:
    """Child process: answer, receive ``total`` bytes, report, wait for "bye"."""
    logging.disable(logging.CRITICAL)
    loss_from_env(1)

    async def main() -> None:
        pc = make_pc(stack)
        link = PipeLink(conn)
        app: asyncio.Queue[Msg] = asyncio.Queue()
        receive_into(pc, link, total)
        task = asyncio.ensure_future(pump(stack, pc, link, app))
        try:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(app.get(), TPUT_TIMEOUT + OPEN_TIMEOUT)  # bye / eof
        finally:
            task.cancel()
            link.close()
            await close_all(pc)

    asyncio.run(main())


async def tput_two_processes(stack: str, size: int, total: int) -> float:
    ctx = multiprocessing.get_context("spawn")
    parent_conn, child_conn = ctx.Pipe()
    proc = ctx.Process(target=_answerer_process, args=(stack, total, child_conn), daemon=True)
    proc.start()
    pc = make_pc(stack)
    link = PipeLink(parent_conn)
    app: asyncio.Queue[Msg] = asyncio.Queue()
    task = asyncio.ensure_future(pump(stack, pc, link, app))
    try:
        # the child needs a moment to import; not part of any figure
        channel, _ = await offer(stack, pc, link, OPEN_TIMEOUT + 30)
        return await timed_transfer(channel, app, size, total)
    finally:
        with contextlib.suppress(Exception):
            link.send(("bye",))
        task.cancel()
        link.close()
        await close_all(pc)
        await asyncio.get_running_loop().run_in_executor(None, proc.join, 10)
        if proc.is_alive():
            proc.terminate()
            proc.join(5)


class _Ignore(asyncio.DatagramProtocol):
    def datagram_received(self, data: bytes, addr: Any) -> None:
        pass  # an unreachable STUN server: read and ignore


# ---- report --------------------------------------------------------------------------------


def line(name: str, values: dict[str, float], lower_is_better: bool) -> float | None:
    r, a = values.get("rtcpeer"), values.get("aiortc")
    parts = [f"{name:<26}"]
    parts += [f"{k}={v:.1f}" for k, v in values.items()]
    ratio = None
    if r and a:
        ratio = a / r if lower_is_better else r / a
        parts.append(f"ratio={ratio:.2f}x")
    parts.append("(lower is better)" if lower_is_better else "(higher is better)")
    print("  ".join(parts), flush=True)
    return ratio


async def run(args: argparse.Namespace) -> None:
    stacks: list[str] = args.stacks
    metrics: list[str] = args.metrics
    total = int(args.mbytes * 1_000_000)
    ratios: dict[str, float | None] = {}
    open_ms: dict[str, float] = {}
    print(
        f"# python {sys.version.split()[0]}, {os.cpu_count()} CPUs, netns addr "
        f"{os.environ.get('RTCPEER_NETNS_ADDR')}",
        flush=True,
    )
    if "open" in metrics:
        for stack in stacks:
            await one_open(stack, None, OPEN_TIMEOUT)  # warm-up (imports, certificate code)
            times = await open_times(stack, args.pairs, None, OPEN_TIMEOUT)
            open_ms[stack] = 1000 * statistics.median(times)
        ratios["open"] = line("open_time_ms", open_ms, True)
    for mode in ("tput", "tput2p"):
        if mode not in metrics:
            continue
        for size in args.sizes:
            values = {}
            n = total // size * size  # whole messages
            for stack in stacks:
                if mode == "tput":
                    values[stack] = await tput_one_process(stack, size, n)
                else:
                    values[stack] = await tput_two_processes(stack, size, n)
            tag = "1p" if mode == "tput" else "2p"
            lossy = f"_loss{100 * args.loss:g}%" if args.loss else ""
            name = f"tput_{tag}_{size // 1024}k{lossy}_MBps"
            ratios[f"{mode}{size}"] = line(name, values, False)
    if "stun" in metrics:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(_Ignore, local_addr=("127.0.0.1", 0))
        port = transport.get_extra_info("sockname")[1]
        try:
            stun_ms = {}
            for stack in stacks:
                n = args.pairs if stack == "rtcpeer" else args.stun_iterations_aiortc
                times = await open_times(stack, n, port, STUN_OPEN_TIMEOUT)
                stun_ms[stack] = 1000 * statistics.median(times)
            ratios["stun"] = line("open_time_dead_stun_ms", stun_ms, True)
            print(
                f"# aiortc ran {args.stun_iterations_aiortc} pairs for open_time_dead_stun_ms, "
                f"rtcpeer {args.pairs}"
            )
            if "rtcpeer" in stun_ms and "rtcpeer" in open_ms:
                added = stun_ms["rtcpeer"] - open_ms["rtcpeer"]
                print(
                    f"{'dead_stun_added_ms':<26}  rtcpeer={added:.1f}  "
                    f"target<=50  {'MET' if added <= 50 else 'NOT MET'}"
                )
        finally:
            transport.close()
    report_targets(ratios, 2.0 if args.loss else 10.0)


def report_targets(ratios: dict[str, float | None], tput_target: float = 10.0) -> None:
    def verdict(ok: bool) -> str:
        return "MET" if ok else "NOT MET"

    opened = ratios.get("open")
    if opened:
        print(f"# target open time <= 1/3 of aiortc's: {opened:.2f}x -> {verdict(opened >= 3)}")
    for key, name in (
        ("tput16384", "1p 16k"),
        ("tput65536", "1p 64k"),
        ("tput2p16384", "2p 16k"),
        ("tput2p65536", "2p 64k"),
    ):
        r = ratios.get(key)
        if r:
            print(
                f"# target throughput >= {tput_target:g}x aiortc ({name}): {r:.2f}x -> "
                f"{verdict(r >= tput_target)}"
            )


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--stacks", nargs="+", choices=STACKS, default=list(STACKS))
    p.add_argument("--metrics", nargs="+", choices=METRICS, default=list(METRICS))
    p.add_argument("--pairs", type=int, default=20, help="peer pairs per open-time figure")
    p.add_argument("--mbytes", type=float, default=20.0, help="MB per throughput run")
    p.add_argument("--stun-iterations-aiortc", type=int, default=3)
    p.add_argument("--sizes", type=int, nargs="+", default=[16 * 1024, 64 * 1024])
    p.add_argument(
        "--loss",
        type=float,
        default=0.0,
        help="drop each IP packet with this probability, both ways (see the module doc)",
    )
    p.add_argument("--loss-seed", type=int, default=1)
    p.add_argument(
        "--no-plpmtud",
        action="store_true",
        help="keep rtcpeer's SCTP packets at the 1200-byte base (no path MTU discovery)",
    )
    return p.parse_args(argv)


def reexec_in_netns() -> None:
    """Outside the namespace: run this same command through tools/netns-run, or refuse."""
    netns_run = Path(__file__).resolve().parent.parent / "tools" / "netns-run"
    if not netns_run.exists():
        sys.exit("bench/datachannel.py must run inside tools/netns-run (RTCPEER_NETNS=1 unset)")
    print("# not in the benchmark netns: re-executing through tools/netns-run", flush=True)
    os.execv(str(netns_run), [str(netns_run), sys.executable, *sys.argv])


def main(argv: list[str] | None = None) -> None:
    if os.environ.get("RTCPEER_NETNS") != "1":
        reexec_in_netns()
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.no_plpmtud:
        os.environ["RTCPEER_BENCH_PLPMTUD"] = "0"
    plpmtud = os.environ.get("RTCPEER_BENCH_PLPMTUD", "1") != "0"
    print(f"# rtcpeer SCTP path MTU discovery: {'on' if plpmtud else 'off (1200-byte base)'}")
    if args.loss:
        # spawned processes read these; this process installs the loss now
        os.environ["RTCPEER_BENCH_LOSS"] = str(args.loss)
        os.environ["RTCPEER_BENCH_LOSS_SEED"] = str(args.loss_seed)
        print(f"# random loss {args.loss:.1%} per IP packet (1500-byte MTU), both ways")
        loss_from_env(0)
    logging.disable(logging.CRITICAL)  # aioice/aiortc log transaction failures at warning
    asyncio.run(run(args))


if __name__ == "__main__":
    main()

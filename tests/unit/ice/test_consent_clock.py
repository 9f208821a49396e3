"""Consent freshness (RFC 7675) on one clock: the pure deadlines with explicit times, then
the agent on an event loop whose clock the test moves forward."""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Callable
from pathlib import Path

from ice_testlib import FAST, Peer, link, wait_until

from rtcpeer.ice._consent import ConsentClock


def _clock(interval: float = 5.0, disconnected: float = 5.0, failed: float = 30.0) -> ConsentClock:
    clock = ConsentClock(
        interval=interval,
        disconnected_after=disconnected,
        failed_after=failed,
        rng=random.Random(7675),
        answer_timeout=0.5,
    )
    clock.restart(100.0)
    return clock


def _run(clock: ConsentClock, until: float, *, answer: bool, last_rx: float = 0.0) -> list[str]:
    """Fire every deadline up to ``until``; answer each check at once if ``answer``."""
    log: list[str] = []
    for _ in range(10_000):
        when = clock.deadline(last_rx)
        if when > until:
            return log
        check, verdict = clock.expire(when, last_rx)
        if check and answer:
            clock.refresh(when + 0.01)
        log.append(f"{when:.2f} {'check ' if check else ''}{verdict}")
        if verdict == "failed":  # the agent stops consent here
            return log
    raise AssertionError("the deadlines did not advance")


def test_checks_are_randomized_around_the_interval() -> None:
    clock = _clock()
    log = _run(clock, 400.0, answer=True)
    times = [float(line.split()[0]) for line in log]
    gaps = [b - a for a, b in zip([100.0, *times], times, strict=False)]
    assert all("check fresh" in line for line in log)  # one wake-up per check, never another
    assert all(4.0 - 1e-9 <= gap <= 6.0 + clock.granularity for gap in gaps)
    assert len(set(round(g, 2) for g in gaps)) > 10  # randomized, not a fixed period


def test_silence_alone_is_not_disconnected_but_an_unanswered_check_is() -> None:
    clock = _clock()
    # Healthy idle pair, the interval equal to disconnected_after: never disconnected.
    assert "disconnected" not in " ".join(_run(clock, 300.0, answer=True))
    heard = clock.heard
    # The peer stops answering: disconnected once 5 s of silence passed AND a check sent in
    # that silence went unanswered for 0.5 s (W3C: "checks ... failed").
    log = _run(clock, heard + 30.0 - 0.01, answer=False)
    first = next(line for line in log if line.endswith("disconnected"))
    at = float(first.split()[0])
    first_check = float(next(line for line in log if "check" in line).split()[0])
    assert at == max(heard + 5.0, first_check + 0.5) or (
        0 <= at - max(heard + 5.0, first_check + 0.5) <= clock.granularity
    )
    assert at <= heard + 6.0 + 0.5 + clock.granularity
    assert "failed" not in " ".join(log)
    # Consent expires 30 s after the last answer (RFC 7675 §5.1).
    log = _run(clock, heard + 31.0, answer=False)
    assert log[-1].endswith("failed")
    assert float(log[-1].split()[0]) - (heard + 30.0) <= clock.granularity


def test_traffic_recovers_and_keeps_consent_fresh() -> None:
    clock = _clock(interval=1.0, disconnected=2.0, failed=6.0)
    log = _run(clock, 104.0, answer=False)
    assert log[-1].endswith("disconnected")
    # A datagram heard at 104.2 (no response to any check): fresh again at the next deadline.
    log = _run(clock, 105.2, answer=False, last_rx=104.2)
    assert log[-1].endswith("fresh")
    # Data every 0.5 s keeps it fresh although no check is ever answered.
    for step in range(40):
        rx = 105.2 + 0.5 * step
        assert "disconnected" not in " ".join(_run(clock, rx + 0.5, answer=False, last_rx=rx))


# -- the agent on a loop whose clock the test advances ----------------------------------------


class SkewedLoop(asyncio.SelectorEventLoop):
    """The loop's clock plus an offset that the test moves forward."""

    offset = 0.0

    def time(self) -> float:
        return super().time() + self.offset


SLOW_SILENCE = {**FAST, "disconnected_timeout": 4.0, "consent_timeout": 8.0}


async def _pair(config: dict[str, float] = FAST) -> tuple[Peer, Peer]:
    a = Peer("a", controlling=True, **config)
    b = Peer("b", controlling=False, **config)
    link(a, b)
    for peer in (a, b):
        peer.agent.gather()
        peer.agent.start()
    await wait_until(lambda: a.agent.state == "completed" and b.agent.state == "completed")
    return a, b


async def _within_real(predicate: Callable[[], bool], seconds: float) -> None:
    """Wait for ``predicate`` at most ``seconds`` of the loop's clock without the offset."""
    loop = asyncio.get_running_loop()
    assert isinstance(loop, SkewedLoop)
    deadline = asyncio.SelectorEventLoop.time(loop) + seconds
    while not predicate():
        assert asyncio.SelectorEventLoop.time(loop) < deadline, "not reached in time"
        await asyncio.sleep(0.01)


async def _skewed_scenario(loop: SkewedLoop) -> None:
    a, b = await _pair(SLOW_SILENCE)
    b.agent._current.conn.request_received = lambda *args: None  # type: ignore[method-assign]
    # Only the loop's clock moves: if the agent read another clock, nothing would happen.
    # Waits shorter (in real time) than disconnected_timeout and consent_timeout.
    loop.offset += SLOW_SILENCE["disconnected_timeout"] + 0.3
    await _within_real(lambda: a.agent.state == "disconnected", 2.0)
    assert "failed" not in a.states
    loop.offset += SLOW_SILENCE["consent_timeout"]
    await _within_real(lambda: a.agent.state == "failed", 2.0)
    assert a.states[-2:] == ["disconnected", "failed"]
    await a.agent.close()
    await b.agent.close()


def test_agent_consent_follows_the_loop_clock() -> None:
    loop = SkewedLoop()
    try:
        loop.run_until_complete(asyncio.wait_for(_skewed_scenario(loop), 20))
    finally:
        loop.close()


async def test_agent_recovers_when_the_peer_answers_again() -> None:
    a, b = await _pair()
    conn = b.agent._current.conn
    original = conn.request_received
    conn.request_received = lambda *args: None  # type: ignore[method-assign]
    await wait_until(lambda: a.agent.state == "disconnected", timeout=5)
    conn.request_received = original  # type: ignore[method-assign]
    await wait_until(lambda: a.agent.state == "completed", timeout=5)
    assert "failed" not in a.states
    await a.agent.close()
    await b.agent.close()


async def test_healthy_idle_pair_wakes_once_per_consent_interval() -> None:
    a, b = await _pair()
    loop = asyncio.get_running_loop()
    before = (a.agent.consent_wakeups, b.agent.consent_wakeups)
    sent = a.agent.stats["consent_requests_sent"]
    start = loop.time()
    await asyncio.sleep(2.0)  # ten intervals of 0.2 s
    elapsed = loop.time() - start
    wakeups = (a.agent.consent_wakeups - before[0], b.agent.consent_wakeups - before[1])
    checks = a.agent.stats["consent_requests_sent"] - sent
    # At most one wake-up per (shortest, 0.8x) interval, plus the one in progress; each one
    # sent a check (no other timer callback: no polling).
    bound = elapsed / (0.8 * FAST["consent_interval"]) + 1
    assert all(1 <= w <= bound for w in wakeups), (wakeups, bound)
    assert checks == wakeups[0]
    assert a.agent.state == b.agent.state == "completed"
    await a.agent.close()
    await b.agent.close()


def test_no_other_clock_is_read_in_rtcpeer_ice() -> None:
    source = Path(__file__).parents[3] / "rtcpeer" / "ice"
    offenders = [
        f"{path.name}:{number}"
        for path in sorted(source.glob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\btime\.(monotonic|time|perf_counter)\(|asyncio\.sleep\(", line)
    ]
    assert offenders == []

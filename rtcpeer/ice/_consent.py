"""Consent freshness (RFC 7675) for the selected pair, as deadlines on one clock.

Pure: every time comes in as an argument (the agent passes ``loop.time()``), the jitter
comes from an injected ``random.Random``. The agent keeps one ``loop.call_at`` timer armed at
:meth:`ConsentClock.deadline` and calls :meth:`ConsentClock.expire` when it fires; nothing
runs between deadlines, so a healthy idle pair costs one wake-up per consent check.

Rules
    * RFC 7675 §5.1: a Binding request on the selected pair every ``interval`` seconds,
      randomized by 0.8-1.2 (so that the checks of many agents do not synchronize).
    * Anything heard from the peer refreshes consent: a success response to one of our
      checks, or any datagram from a validated address (the agent records the time of the
      newest one; reading it when the deadline fires costs no per-packet timer).
    * ``disconnected`` (W3C RTCIceTransportState: "checks to ensure that components are still
      connected failed"): ``disconnected_after`` seconds of silence *and* a check sent during
      that silence unanswered for ``answer_timeout`` seconds. Silence alone is not enough, so
      the RFC's 5 s interval may equal a 5 s ``disconnected_after`` without a healthy idle
      pair flapping between two checks.
    * ``failed``: ``failed_after`` seconds of silence (§5.1: 30 s), consent expired; the agent
      stops sending. Anything heard before that recovers.

Shared wake-ups
    Deadlines are rounded up to a multiple of ``granularity`` (50 ms, or interval/16 for short
    test intervals) on the loop's clock, so the checks of many connections in one process
    that fall in the same slot run in one loop iteration: an empty wake-up of the event loop
    costs tens of microseconds of CPU, as much as the check itself. The 0.8-1.2
    randomization over 4-6 s is kept to within 1%.
"""

from __future__ import annotations

import math
import random
from typing import Literal

ConsentVerdict = Literal["fresh", "disconnected", "failed"]


class ConsentClock:
    """Deadlines of one selected pair's consent (times in seconds on the caller's clock)."""

    def __init__(
        self,
        *,
        interval: float,
        disconnected_after: float,
        failed_after: float,
        rng: random.Random,
        answer_timeout: float | None = None,
    ) -> None:
        self.interval = interval
        self.disconnected_after = disconnected_after
        self.failed_after = failed_after
        self.answer_timeout = (
            min(0.5, interval / 2) if answer_timeout is None else answer_timeout
        )
        self.granularity = min(0.05, interval / 16)
        self._rng = rng
        self.heard = 0.0  # newest proof of life known to this object
        self.asked: float | None = None  # first check sent after ``heard``, if any
        self.next_check = 0.0
        self.verdict: ConsentVerdict = "fresh"

    def restart(self, now: float) -> None:
        """A pair was (re)selected: it counts as just heard from."""
        self.heard = now
        self.asked = None
        self.next_check = now + self.jitter()
        self.verdict = "fresh"

    def jitter(self) -> float:
        return self.interval * (0.8 + 0.4 * self._rng.random())

    def refresh(self, heard: float) -> None:
        """Proof of life at time ``heard`` (a consent response, or the newest datagram)."""
        if heard > self.heard:
            self.heard = heard

    def deadline(self, last_rx: float) -> float:
        """When :meth:`expire` must run next (``last_rx``: the newest datagram's time),
        rounded up to the wake-up grid (module docstring)."""
        self.refresh(last_rx)
        when = min(self.next_check, self.heard + self.failed_after)
        asked = self._outstanding()
        if self.verdict == "fresh" and asked is not None:
            when = min(
                when, max(self.heard + self.disconnected_after, asked + self.answer_timeout)
            )
        grid = self.granularity
        if grid <= 0:
            return when
        slot = math.ceil(when / grid) * grid
        return slot if slot >= when else slot + grid  # never before ``when`` (float rounding)

    def expire(self, now: float, last_rx: float) -> tuple[bool, ConsentVerdict]:
        """A deadline passed: (send a consent check now?, the verdict at ``now``)."""
        self.refresh(last_rx)
        check = now >= self.next_check
        if check:
            self.next_check = now + self.jitter()
            if self._outstanding() is None:
                self.asked = now
        self.verdict = self.judge(now)
        return check, self.verdict

    def judge(self, now: float) -> ConsentVerdict:
        if now >= self.heard + self.failed_after:
            return "failed"
        asked = self._outstanding()
        if (
            asked is not None
            and now >= self.heard + self.disconnected_after
            and now >= asked + self.answer_timeout
        ):
            return "disconnected"
        return "fresh"

    def _outstanding(self) -> float | None:
        """When the first check still unanswered was sent (None: every check answered)."""
        asked = self.asked
        return asked if asked is not None and asked >= self.heard else None

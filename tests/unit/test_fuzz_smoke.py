"""A short, seeded fuzzing pass over every target in strict mode (the long one: bench/fuzz.py).

Each target gets a few thousand mutated inputs from the committed corpus
(tests/fixtures/fuzz, recorded from a real sans-IO DTLS+SCTP+DCEP session; SDPs from
tests/fixtures/sdp). Any exception escaping a core or breaking a parser's contract fails the
test with its type, raising frame and message.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from rtcpeer import _strict
from rtcpeer.testing.fuzz.engine import Target, run
from rtcpeer.testing.fuzz.targets import rtcpeer_targets
from signaling._fuzz import signaling_target

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TARGETS: dict[str, Target] = {
    **rtcpeer_targets(FIXTURES),
    "signaling": signaling_target(FIXTURES),
}
COUNTS = {"sdp": 1500, "sctp": 4000, "dcep": 3000, "dtls": 2000, "signaling": 4000}
COUNTS |= {"rtp": 4000, "srtp": 4000}


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_no_exception_escapes(name: str) -> None:
    assert _strict.is_strict()
    result = run(TARGETS[name], count=COUNTS[name], seed=20261201, seconds=20.0)
    assert result.inputs > 0
    findings = [f"{f.count} x {f.kind} at {f.frame}: {f.message}" for f in result.findings.values()]
    assert findings == []


@pytest.mark.parametrize("name", ["sctp", "dcep"])
def test_recorded_seeds_reach_the_established_core(name: str) -> None:
    """The corpus is replayable: recorded packets carry the rebuilt sessions' tags."""
    target = TARGETS[name]
    session = target.new_session(random.Random(0))
    for seed in target.seeds():
        session.feed(seed)
    assoc = session.b  # type: ignore[attr-defined]
    assert assoc.stats["bad_vtag"] == 0 and assoc.stats["bad_checksum"] == 0
    assert assoc.stats["packets_received"] > 0


def test_seed_corpus_is_small() -> None:
    files = [p for p in (FIXTURES / "fuzz").rglob("*") if p.is_file()]
    assert files and all(p.stat().st_size <= 4096 for p in files)
    assert sum(p.stat().st_size for p in files) < 200_000

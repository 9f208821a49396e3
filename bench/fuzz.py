"""Long fuzzing pass over every target, in strict mode (see rtcpeer/testing/fuzz).

    python bench/fuzz.py                          # 1,000,000 inputs per target, 30 min cap each
    python bench/fuzz.py -t sctp -t dcep -n 200000 --seconds 300
    python bench/fuzz.py --replay /tmp/rtcpeer-fuzz/sctp-KeyError-1a2b3c4d.json
    python bench/fuzz.py --record                 # re-record tests/fixtures/fuzz from a session

Prints, per target: inputs fed, sessions built, inputs/s and each distinct exception (type,
raising frame, count, saved reproducer). Exits 1 if anything was found. A benchmark-style
script, not a test: the CI pass is tests/unit/test_fuzz_smoke.py.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ["RTCPEER_STRICT"] = "1"
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rtcpeer import _strict  # noqa: E402
from rtcpeer.testing.fuzz import corpus  # noqa: E402
from rtcpeer.testing.fuzz.engine import RunResult, Target, replay, run  # noqa: E402
from rtcpeer.testing.fuzz.targets import rtcpeer_targets  # noqa: E402
from signaling._fuzz import record_seeds, signaling_target  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"


def all_targets() -> dict[str, Target]:
    targets = rtcpeer_targets(FIXTURES)
    targets["signaling"] = signaling_target(FIXTURES)
    return targets


def record() -> None:
    corpus.main(FIXTURES / "fuzz")
    directory = FIXTURES / "fuzz" / "signaling"
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.json"):
        old.unlink()
    for i, frame in enumerate(record_seeds(FIXTURES / "sdp")):
        (directory / f"{i:03d}.json").write_bytes(frame)
    print(f"signaling: {len(list(directory.glob('*.json')))} seeds")


def report(result: RunResult) -> None:
    print(
        f"{result.target:10s} {result.inputs:9d} inputs {result.sessions:7d} sessions "
        f"{result.seconds:8.1f} s {result.rate:9.0f} inputs/s "
        f"{len(result.findings)} distinct exceptions",
        flush=True,
    )
    for f in sorted(result.findings.values(), key=lambda f: -f.count):
        print(f"    {f.count:7d} x {f.kind} at {f.frame}: {f.message}")
        print(f"            reproducer: {f.reproducer}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-t", "--target", action="append", help="target name (repeatable)")
    ap.add_argument("-n", "--count", type=int, default=1_000_000, help="inputs per target")
    ap.add_argument("--seconds", type=float, default=1800.0, help="time cap per target")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path("/tmp/rtcpeer-fuzz"), help="reproducers")
    ap.add_argument("--replay", type=Path, help="replay one saved reproducer")
    ap.add_argument("--record", action="store_true", help="re-record the seed corpus")
    args = ap.parse_args()
    _strict.set_strict(True)
    targets = all_targets()
    if args.record:
        record()
        return 0
    if args.replay is not None:
        import json

        name = json.loads(args.replay.read_text())["target"]
        replay(targets[name], args.replay)  # the finding's exception propagates
        print("replayed without an exception")
        return 0
    names = args.target or list(targets)
    found = 0
    started = time.monotonic()
    for name in names:
        result = run(
            targets[name], count=args.count, seed=args.seed, seconds=args.seconds, out_dir=args.out
        )
        report(result)
        found += len(result.findings)
    print(f"total {time.monotonic() - started:.0f} s, {found} distinct exceptions")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

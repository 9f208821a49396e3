"""Mutation engine and runner (no dependency beyond the standard library).

A :class:`Target` names a seed directory and builds :class:`Session` objects: a session is a
live core (or a stateless parser) that takes one input per :meth:`Session.feed` call. The
runner mutates seeds, feeds them and treats any exception escaping ``feed`` as a finding
(the cores run in strict mode, so a bug that production would only count re-raises too).
Sessions are rebuilt every ``Target.session_inputs`` inputs so state stays realistic; a
finding's reproducer is the inputs fed to its session, shrunk to the last input alone when
that reproduces on a fresh session.
"""

from __future__ import annotations

import json
import random
import time
import traceback
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

# Values that break length and range checks (RFC fields are 8/16/32 bits wide).
_INTERESTING_8 = (0, 1, 0x7F, 0x80, 0xFE, 0xFF)
_INTERESTING_16 = (0, 1, 3, 4, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF)
_INTERESTING_32 = (0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF)
_INTERESTING_TEXT = (b"0", b"-1", b"65535", b"65536", b"4294967296", b"1e309", b"9" * 40, b"")

LengthFields = Callable[[bytes], list[tuple[int, int]]]  # (offset, width in bytes)


class Session(Protocol):
    def feed(self, data: bytes) -> None:
        """Deliver one input; raise only for a finding (a bug or a broken oracle)."""


@dataclass
class Target:
    """One fuzz target: how to build a session, where its seeds are, how to mutate them."""

    name: str
    new_session: Callable[[random.Random], Session]
    seeds: Callable[[], list[bytes]]
    session_inputs: int = 200  # rebuild the session after this many inputs
    length_fields: LengthFields | None = None  # where the input's length fields are
    fixup: Callable[[bytes], bytes] | None = None  # e.g. recompute a checksum
    fixup_rate: float = 0.9  # share of mutated inputs that get the fixup
    text: bool = False  # also apply line/number-aware mutations


class Mutator:
    """Seeded mutations of one input, with splicing from the rest of the corpus."""

    def __init__(self, rng: random.Random, corpus: Sequence[bytes], target: Target) -> None:
        self.rng = rng
        self.corpus = corpus
        self.target = target
        ops: list[Callable[[bytearray], None]] = [
            self._flip_bit,
            self._set_byte,
            self._set_interesting,
            self._insert,
            self._delete,
            self._duplicate,
            self._splice,
            self._truncate,
        ]
        if target.length_fields is not None:
            ops += [self._length_field] * 4
        if target.text:
            ops += [self._text_number, self._text_line] * 3
        self.ops = ops

    def mutate(self, seed: bytes) -> bytes:
        data = bytearray(seed)
        for _ in range(1 + int(self.rng.expovariate(0.7))):
            self.rng.choice(self.ops)(data)
        out = bytes(data)
        fix = self.target.fixup
        if fix is not None and self.rng.random() < self.target.fixup_rate:
            out = fix(out)
        return out

    # -- byte-level ------------------------------------------------------------------------
    def _pos(self, data: bytearray) -> int:
        return self.rng.randrange(len(data)) if data else 0

    def _flip_bit(self, data: bytearray) -> None:
        if data:
            data[self._pos(data)] ^= 1 << self.rng.randrange(8)

    def _set_byte(self, data: bytearray) -> None:
        if data:
            data[self._pos(data)] = self.rng.randrange(256)

    def _set_interesting(self, data: bytearray) -> None:
        width = self.rng.choice((1, 2, 4))
        if len(data) < width:
            return
        pos = self.rng.randrange(len(data) - width + 1)
        table = {1: _INTERESTING_8, 2: _INTERESTING_16, 4: _INTERESTING_32}[width]
        data[pos : pos + width] = self.rng.choice(table).to_bytes(width, "big")

    def _insert(self, data: bytearray) -> None:
        n = self.rng.choice((1, 1, 2, 4, 16, 100))
        data[self._pos(data) : self._pos(data)] = self.rng.randbytes(n)

    def _delete(self, data: bytearray) -> None:
        if data:
            pos = self._pos(data)
            del data[pos : pos + self.rng.choice((1, 1, 2, 4, 16, 100))]

    def _duplicate(self, data: bytearray) -> None:
        if data:
            pos = self._pos(data)
            chunk = data[pos : pos + self.rng.randrange(1, 64)]
            data[self._pos(data) : self._pos(data)] = chunk

    def _splice(self, data: bytearray) -> None:
        other = self.rng.choice(self.corpus)
        if other:
            start = self.rng.randrange(len(other))
            piece = other[start : start + self.rng.randrange(1, len(other) + 1)]
            pos = self._pos(data)
            data[pos:] = piece + data[pos + self.rng.randrange(0, 32) :]

    def _truncate(self, data: bytearray) -> None:
        if data:
            del data[self._pos(data) :]

    # -- structure-aware ---------------------------------------------------------------------
    def _length_field(self, data: bytearray) -> None:
        assert self.target.length_fields is not None
        fields = self.target.length_fields(bytes(data))
        if not fields:
            return self._set_interesting(data)
        offset, width = self.rng.choice(fields)
        if offset + width > len(data):
            return None
        value = int.from_bytes(data[offset : offset + width], "big")
        top = (1 << (8 * width)) - 1
        choice = self.rng.choice(
            (0, value + 1, value - 1, value + 4, value - 4, top, len(data) - offset, None)
        )
        new = self.rng.randrange(top + 1) if choice is None else choice & top
        data[offset : offset + width] = new.to_bytes(width, "big")
        return None

    def _text_number(self, data: bytearray) -> None:
        digits = [i for i in range(len(data)) if 48 <= data[i] <= 57]
        if not digits:
            return
        start = end = self.rng.choice(digits)
        while start > 0 and 48 <= data[start - 1] <= 57:
            start -= 1
        while end < len(data) and 48 <= data[end] <= 57:
            end += 1
        data[start:end] = self.rng.choice(_INTERESTING_TEXT)

    def _text_line(self, data: bytearray) -> None:
        lines = bytes(data).split(b"\n")
        other = self.rng.choice(self.corpus).split(b"\n")
        i = self.rng.randrange(len(lines))
        op = self.rng.randrange(4)
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[self.rng.randrange(len(lines))])
        elif op == 2:
            lines.insert(i, self.rng.choice(other))
        else:
            j = self.rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        data[:] = b"\n".join(lines)


@dataclass
class Finding:
    """One distinct exception (type and raising frame) a target produced."""

    target: str
    kind: str  # exception type name
    frame: str  # "path:line in function" where it was raised (innermost project frame)
    message: str
    count: int = 0
    reproducer: Path | None = None


@dataclass
class RunResult:
    target: str
    inputs: int = 0
    sessions: int = 0
    seconds: float = 0.0
    findings: dict[tuple[str, str], Finding] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.inputs / self.seconds if self.seconds > 0 else 0.0


def _raise_site(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/rtcpeer/" in f.filename or "/signaling/" in f.filename]
    chosen = (ours or frames)[-1] if (ours or frames) else None
    if chosen is None:
        return "?"
    path = chosen.filename
    for marker in ("/rtcpeer/", "/signaling/"):
        if marker in path:
            path = marker.strip("/") + "/" + path.rsplit(marker, 1)[1]
    return f"{path}:{chosen.lineno} in {chosen.name}"


def run(
    target: Target,
    *,
    count: int,
    seed: int = 0,
    seconds: float | None = None,
    out_dir: Path | None = None,
) -> RunResult:
    """Feed up to ``count`` mutated inputs (and at most ``seconds`` of wall time)."""
    rng = random.Random(seed)
    corpus = target.seeds()
    if not corpus:
        raise ValueError(f"target {target.name} has no seeds")
    mutator = Mutator(rng, corpus, target)
    result = RunResult(target.name)
    start = time.monotonic()
    deadline = None if seconds is None else start + seconds
    session: Session | None = None
    fed: list[bytes] = []
    session_seed = 0
    for i in range(count):
        if session is None or len(fed) >= target.session_inputs:
            if deadline is not None and time.monotonic() > deadline:
                break
            session_seed = rng.getrandbits(32)
            session, fed = target.new_session(random.Random(session_seed)), []
            result.sessions += 1
        # A share of unmutated seeds keeps the session's state moving forward.
        data = rng.choice(corpus) if i % 16 == 0 else mutator.mutate(rng.choice(corpus))
        fed.append(data)
        try:
            session.feed(data)
        except Exception as exc:
            _record(result, target, exc, session_seed, fed, out_dir)
            session = None
        result.inputs += 1
    result.seconds = time.monotonic() - start
    return result


def _record(
    result: RunResult,
    target: Target,
    exc: Exception,
    session_seed: int,
    fed: list[bytes],
    out_dir: Path | None,
) -> None:
    key = (type(exc).__name__, _raise_site(exc))
    finding = result.findings.get(key)
    if finding is None:
        finding = Finding(target.name, key[0], key[1], str(exc)[:200])
        result.findings[key] = finding
        if out_dir is not None:
            inputs = fed[-1:] if reproduces(target, session_seed, fed[-1:], key) else fed
            finding.reproducer = save_reproducer(out_dir, target.name, session_seed, inputs, key)
    finding.count += 1


def reproduces(
    target: Target, session_seed: int, inputs: list[bytes], key: tuple[str, str]
) -> bool:
    """Whether feeding ``inputs`` to a fresh session raises the same finding."""
    session = target.new_session(random.Random(session_seed))
    try:
        for data in inputs:
            session.feed(data)
    except Exception as exc:
        return (type(exc).__name__, _raise_site(exc)) == key
    return False


def save_reproducer(
    out_dir: Path, target: str, session_seed: int, inputs: list[bytes], key: tuple[str, str]
) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{target}-{key[0]}-{zlib.crc32(key[1].encode()):08x}.json"
    record = {
        "target": target,
        "session_seed": session_seed,
        "exception": key[0],
        "frame": key[1],
        "inputs": [d.hex() for d in inputs],
    }
    path.write_text(json.dumps(record, indent=1) + "\n")
    return path


def replay(target: Target, path: Path) -> None:
    """Feed a saved reproducer to a fresh session; the finding's exception propagates."""
    record = json.loads(path.read_text())
    session = target.new_session(random.Random(int(record["session_seed"])))
    for data in record["inputs"]:
        session.feed(bytes.fromhex(data))

"""Strict mode (rtcpeer._strict): a core's unexpected exception re-raises instead of counting."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from rtcpeer import _strict
from rtcpeer.sctp.association import Association


class Boom(RuntimeError):
    pass


def _boom(*_args: object) -> None:
    raise Boom("a bug inside the core")


@pytest.fixture
def assoc(monkeypatch: pytest.MonkeyPatch) -> Iterator[Association]:
    a = Association(rng=random.Random(1))
    monkeypatch.setattr(a, "_handle_timers", _boom)
    monkeypatch.setattr(a, "_receive", _boom)
    yield a
    _strict.set_strict(True)  # the suite runs strict (rtcpeer.testing.pytest_strict)


def test_the_suite_runs_strict() -> None:
    assert _strict.is_strict()


def test_strict_mode_reraises_unexpected_exceptions(assoc: Association) -> None:
    with pytest.raises(Boom):
        assoc.handle_timer(1.0)
    with pytest.raises(Boom):
        assoc.receive_datagram(b"\x13\x88\x13\x88" + bytes(12), 1.0)
    assert assoc.stats["internal_errors"] == 2  # still counted on the way out


def test_production_mode_counts_them(assoc: Association) -> None:
    _strict.set_strict(False)
    assoc.handle_timer(1.0)
    assoc.receive_datagram(b"\x13\x88\x13\x88" + bytes(12), 1.0)
    assert assoc.stats["internal_errors"] == 2
    assert assoc.stats["dropped"] == 1


def test_expected_remote_errors_are_dropped_in_strict_mode() -> None:
    a = Association(rng=random.Random(1))
    a.receive_datagram(b"\x00" * 3, 0.0)  # too short: a parse error, not a bug
    a.receive_datagram(b"\x13\x88\x13\x88" + bytes(12), 0.0)  # bad checksum
    assert a.stats["dropped"] + a.stats["bad_checksum"] == 2
    assert a.stats.get("internal_errors", 0) == 0

"""A seeded, pure-Python mutation fuzzer for rtcpeer's parsers and sans-IO cores.

* :mod:`.engine` — mutations (bit flips, byte insert/delete, splicing, interesting numbers,
  length-field-aware edits) and the runner that feeds a target and collects findings;
* :mod:`.targets` — one :class:`~.engine.Target` per parser or core (SDP, SCTP, DCEP,
  RFC 7983 demux + DTLS, RTP/RTCP session, SRTP); the signaling codec's lives in
  :mod:`signaling._fuzz`;
* :mod:`.corpus` — records the seed corpus from a real sans-IO DTLS+SCTP+DCEP session.

``tests/unit/test_fuzz_smoke.py`` runs a short pass in CI; ``bench/fuzz.py`` the long one.
Adding a target is a :class:`~.engine.Target` with a session factory and a seed directory.
"""

from rtcpeer.testing.fuzz.engine import Finding, Mutator, RunResult, Session, Target, run

__all__ = ["Finding", "Mutator", "RunResult", "Session", "Target", "run"]

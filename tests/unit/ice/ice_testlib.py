"""Helpers for IceAgent tests: a recording agent wrapper and trickle wiring."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from rtcpeer.ice import IceAgent, IceCandidateError, IceCandidateInfo

FAST = {
    "consent_interval": 0.2,
    "disconnected_timeout": 0.8,
    "consent_timeout": 2.0,
    "retire_delay": 0.3,
    "failure_grace": 0.3,
}


class Peer:
    """An IceAgent plus everything its callbacks reported."""

    def __init__(self, name: str, *, controlling: bool, **kwargs: Any) -> None:
        self.name = name
        self.candidates: list[IceCandidateInfo | None] = []
        self.states: list[str] = []
        self.gathering: list[str] = []
        self.datagrams: list[bytes] = []
        self.errors: list[IceCandidateError] = []
        self.other: Peer | None = None
        self.changed = asyncio.Event()
        kwargs.setdefault("host_addresses", ["127.0.0.1"])
        kwargs.setdefault("servers", [])
        self.agent = IceAgent(
            controlling=controlling,
            on_candidate=self._candidate,
            on_state_change=self._state,
            on_datagram=self._datagram,
            on_candidate_error=self._error,
            on_gathering_state_change=self._gathering,
            **kwargs,
        )

    def _poke(self) -> None:
        self.changed.set()

    def _candidate(self, c: IceCandidateInfo | None) -> None:
        self.candidates.append(c)
        if self.other is not None:
            self.other.agent.add_remote_candidate(c)
        self._poke()

    def _state(self, s: str) -> None:
        self.states.append(s)
        self._poke()

    def _gathering(self, s: str) -> None:
        self.gathering.append(s)
        self._poke()

    def _datagram(self, d: bytes) -> None:
        self.datagrams.append(d)
        self._poke()

    def _error(self, e: IceCandidateError) -> None:
        self.errors.append(e)
        self._poke()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        async def loop() -> None:
            while not predicate():
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(loop(), timeout)


def link(a: Peer, b: Peer) -> None:
    """Trickle candidates between two peers and exchange credentials."""
    a.other, b.other = b, a
    a.agent.set_remote_credentials(b.agent.local_ufrag, b.agent.local_pwd)
    b.agent.set_remote_credentials(a.agent.local_ufrag, a.agent.local_pwd)


async def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.01)

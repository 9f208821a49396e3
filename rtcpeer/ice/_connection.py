"""A subclass of :class:`aioice.Connection` that the agent drives itself.

aioice owns the sockets, the check list and the STUN transactions; this subclass changes how
local candidates arrive (one at a time, from :mod:`rtcpeer.ice._gather`, instead of
``gather_candidates()``), how data leaves it (a synchronous callback instead of a queue) and
removes its consent task (the agent runs RFC 7675 itself).

Private aioice 0.13 members relied on (re-check on upgrade):

* ``Connection._local_candidates``, ``_local_candidates_start``, ``_local_candidates_end``:
  set so that ``connect()`` may start before local gathering ends;
* ``Connection._protocols`` (local sockets), ``_check_list``, ``_find_pair``,
  ``_remote_candidates``, ``_check_list_done``, ``_early_checks_done``,
  ``_check_list_maybe_complete``, ``_check_list_maybe_fail``, ``_remote_candidates_expected``
  (overridden: no failure while local gathering runs), ``_remote_candidates_end``,
  ``_closing``, ``_nominated``;
* ``Connection.query_consent`` (overridden: no-op), ``data_received`` (overridden);
* ``CandidatePair`` (``protocol``, ``remote_candidate``, ``remote_addr``, ``local_candidate``),
  ``StunProtocol`` (``local_candidate``, ``transport``, ``request``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import aioice
from aioice.ice import CandidatePair, StunProtocol

logger = logging.getLogger(__name__)


class AgentConnection(aioice.Connection):
    """aioice Connection with trickled local candidates and a synchronous data callback."""

    def __init__(
        self,
        *,
        ice_controlling: bool,
        transport_policy: aioice.TransportPolicy,
        on_data: Callable[[bytes], None],
    ) -> None:
        super().__init__(
            ice_controlling=ice_controlling,
            components=1,
            transport_policy=transport_policy,
        )
        # Local candidates are added by the agent; connect() may start at once.
        self._local_candidates_start = True
        self._local_candidates_end = True
        self.local_gathering = True
        self.on_data: Callable[[bytes], None] = on_data
        self.rx_packets = 0
        self.rx_bytes = 0

    # -- hot path -----------------------------------------------------------------------------

    def data_received(self, data: bytes, component: int) -> None:
        self.rx_packets += 1
        self.rx_bytes += len(data)
        self.on_data(data)

    # -- behaviour changes --------------------------------------------------------------------

    async def query_consent(self) -> None:
        """Disabled: the agent implements RFC 7675 itself (aioice would close on expiry)."""
        return None

    def _remote_candidates_expected(self) -> bool:
        # While local candidates are still being gathered, new pairs may still appear, so the
        # check list must not be declared failed (RFC 8838 section 8, applied locally).
        return self.local_gathering or super()._remote_candidates_expected()

    # -- local candidates ---------------------------------------------------------------------

    def add_local_protocol(self, protocol: StunProtocol) -> None:
        """Register a bound socket (host or relay) and pair it with known remote candidates."""
        self._protocols.append(protocol)
        self._local_candidates.append(protocol.local_candidate)
        if self._closing:
            return
        added = False
        for remote in self._remote_candidates:
            if protocol.local_candidate.can_pair_with(remote) and not self._find_pair(
                protocol, remote
            ):
                self._check_list.append(CandidatePair(protocol, remote))
                added = True
        if added:
            self.sort_check_list()

    def add_local_candidate(self, candidate: aioice.Candidate) -> None:
        """Register a candidate without its own socket (server-reflexive)."""
        self._local_candidates.append(candidate)

    def end_local_gathering(self) -> None:
        self.local_gathering = False
        if self._closing or self._check_list_done or not self._early_checks_done:
            return
        if not self._check_list_maybe_complete():
            self._check_list_maybe_fail()

    # -- accessors ----------------------------------------------------------------------------

    @property
    def selected(self) -> CandidatePair | None:
        return self._nominated.get(1)

    @property
    def remote_end(self) -> bool:
        return bool(self._remote_candidates_end)

    @property
    def closing(self) -> bool:
        return bool(self._closing)

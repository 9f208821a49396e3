"""Trickle gathering of local candidates for one :class:`AgentConnection`.

Host candidates are bound and reported first. Then, concurrently, one STUN Binding query per
(STUN server, host IPv4 socket) and one TURN allocation per TURN URL; each has its own
timeout, so a dead server delays nobody else. Each srflx/relay candidate is reported as soon as
its server answers; failures are reported as :class:`IceCandidateError` (W3C
``RTCPeerConnectionIceErrorEvent``: the STUN/TURN error code, or 701 when the server could not
be reached -- timeout, refused connection, DNS or TLS verification failure). The gatherer
returns once every query has finished.

Redundant server-reflexive candidates (same address as their host base, RFC 8445 section
5.1.3) are not reported unless ``keep_redundant_srflx``; duplicates from several STUN servers
are reported once.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import logging
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass

import aioice
from aioice import stun, turn
from aioice.candidate import candidate_priority
from aioice.ice import StunProtocol

from rtcpeer.ice._connection import AgentConnection, FastStunProtocol
from rtcpeer.ice.servers import ServerUrl

logger = logging.getLogger(__name__)

# Host sockets ask for a receive buffer that holds the SCTP receive window (1 MiB of data,
# i.e. 64 datagrams of 16 KB once PLPMTUD raised the packet size, plus kernel per-datagram
# overhead): a smaller one overflows when the application falls behind a burst, and each
# overflow costs a retransmission timeout. The kernel caps the request at net.core.rmem_max.
HOST_RECEIVE_BUFFER = 4 * 1024 * 1024

#: W3C webrtc-pc: "701: server could not be reached".
ERROR_UNREACHABLE = 701


@dataclass(frozen=True)
class IceCandidateError:
    """W3C ``RTCPeerConnectionIceErrorEvent`` fields."""

    address: str | None
    port: int | None
    url: str
    errorCode: int
    errorText: str


def _foundation(kind: str, base: str, server: str) -> str:
    # RFC 8445 section 5.1.1.3: same type, base IP, server and transport -> same foundation.
    digest = hashlib.sha256(f"{kind}|{base}|{server}".encode()).digest()
    return str(int.from_bytes(digest[:4], "big"))


def _describe(exc: BaseException) -> tuple[int, str]:
    """Map an exception from a STUN/TURN exchange to (W3C errorCode, errorText)."""
    if isinstance(exc, stun.TransactionFailed):
        attr = exc.response.attributes.get("ERROR-CODE")
        if attr is not None:
            return int(attr[0]), str(attr[1])
        return ERROR_UNREACHABLE, str(exc)
    if isinstance(exc, stun.TransactionTimeout | TimeoutError):
        return ERROR_UNREACHABLE, "server did not answer (timed out)"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return ERROR_UNREACHABLE, f"TLS certificate verification failed: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return ERROR_UNREACHABLE, f"TLS error: {exc}"
    if isinstance(exc, OSError):
        return ERROR_UNREACHABLE, f"server could not be reached: {exc}"
    return ERROR_UNREACHABLE, f"{type(exc).__name__}: {exc}"


class Gatherer:
    def __init__(
        self,
        conn: AgentConnection,
        *,
        host_addresses: list[str],
        stun_urls: list[ServerUrl],
        turn_urls: list[ServerUrl],
        relay_only: bool,
        timeout: float,
        turn_ssl_context: ssl.SSLContext | None,
        keep_redundant_srflx: bool,
        on_candidate: Callable[[aioice.Candidate], None],
        on_error: Callable[[IceCandidateError], None],
    ) -> None:
        self._conn = conn
        self._hosts = [] if relay_only else host_addresses
        self._stun = [] if relay_only else stun_urls
        self._turn = turn_urls
        self._relay_only = relay_only
        self._timeout = timeout
        self._ssl = turn_ssl_context
        self._keep_redundant = keep_redundant_srflx
        self._emit = on_candidate
        self._error = on_error
        self._srflx_seen: set[tuple[str, int]] = set()
        self.pending: set[str] = set()  # URLs still being queried (for tests/diagnostics)

    async def run(self) -> None:
        hosts = await self._bind_hosts()
        tasks = [
            self._query_stun(url, protocol)
            for url in self._stun
            for protocol in hosts
            if ipaddress.ip_address(protocol.local_candidate.host).version == 4
        ]
        tasks += [self._allocate(url, index) for index, url in enumerate(self._turn)]
        await asyncio.gather(*tasks)

    # -- host ---------------------------------------------------------------------------------

    async def _bind_hosts(self) -> list[StunProtocol]:
        loop = asyncio.get_running_loop()
        protocols: list[StunProtocol] = []
        for index, address in enumerate(self._hosts):
            try:
                _, protocol = await loop.create_datagram_endpoint(
                    lambda: FastStunProtocol(self._conn, drain=True), local_addr=(address, 0)
                )
            except OSError as exc:
                logger.info("could not bind host candidate on %s: %s", address, exc)
                continue
            sock = protocol.transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, HOST_RECEIVE_BUFFER)
            host, port = protocol.transport.get_extra_info("sockname")[:2]
            protocol.local_candidate = aioice.Candidate(
                foundation=_foundation("host", host, ""),
                component=1,
                transport="udp",
                priority=candidate_priority(1, "host", 65535 - min(index, 1000)),
                host=host,
                port=port,
                type="host",
            )
            protocols.append(protocol)
            self._conn.add_local_protocol(protocol)
            self._emit(protocol.local_candidate)
        return protocols

    # -- STUN ---------------------------------------------------------------------------------

    async def _query_stun(self, url: ServerUrl, protocol: StunProtocol) -> None:
        base = protocol.local_candidate
        key = f"{url.url}@{base.host}:{base.port}"
        self.pending.add(key)
        try:
            server = await self._resolve(url)
            request = stun.Message(
                message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST
            )
            response, _ = await asyncio.wait_for(protocol.request(request, server), self._timeout)
            mapped = response.attributes.get("XOR-MAPPED-ADDRESS")
            if mapped is None:
                raise ValueError("Binding response without XOR-MAPPED-ADDRESS")
        except Exception as exc:
            self._fail(url, base.host, base.port, exc)
            return
        finally:
            self.pending.discard(key)
        mapped_addr = (str(mapped[0]), int(mapped[1]))
        if self._conn.closing or mapped_addr in self._srflx_seen:
            return
        if mapped_addr == (base.host, base.port) and not self._keep_redundant:
            logger.debug("srflx %s from %s equals its base, not reported", mapped_addr, url.url)
            return
        self._srflx_seen.add(mapped_addr)
        candidate = aioice.Candidate(
            foundation=_foundation("srflx", base.host, url.url),
            component=1,
            transport="udp",
            priority=candidate_priority(1, "srflx"),
            host=mapped_addr[0],
            port=mapped_addr[1],
            type="srflx",
            related_address=base.host,
            related_port=base.port,
        )
        self._conn.add_local_candidate(candidate)
        self._emit(candidate)

    async def _resolve(self, url: ServerUrl) -> tuple[str, int]:
        try:
            ipaddress.ip_address(url.host)
            return url.address
        except ValueError:
            pass
        loop = asyncio.get_running_loop()
        infos = await asyncio.wait_for(
            loop.getaddrinfo(url.host, url.port, family=socket.AF_INET, type=socket.SOCK_DGRAM),
            self._timeout,
        )
        return (str(infos[0][4][0]), int(infos[0][4][1]))

    # -- TURN ---------------------------------------------------------------------------------

    async def _allocate(self, url: ServerUrl, index: int) -> None:
        self.pending.add(url.url)
        ssl_arg: ssl.SSLContext | None = None
        if url.secure:
            ssl_arg = self._ssl if self._ssl is not None else ssl.create_default_context()
        try:
            _, protocol = await asyncio.wait_for(
                turn.create_turn_endpoint(
                    lambda: FastStunProtocol(self._conn),
                    server_addr=url.address,
                    username=url.username,
                    password=url.credential,
                    ssl=ssl_arg,
                    transport=url.transport,
                ),
                self._timeout,
            )
        except Exception as exc:
            self._fail(url, None, None, exc)
            return
        finally:
            self.pending.discard(url.url)
        relayed = protocol.transport.get_extra_info("sockname")
        related = protocol.transport.get_extra_info("related_address") or ("0.0.0.0", 9)
        if self._relay_only:
            # Do not reveal the host/srflx address (RFC 9429 section 3.5.3, RFC 8839 5.1).
            version = ipaddress.ip_address(relayed[0]).version
            related = ("0.0.0.0", 9) if version == 4 else ("::", 9)
        # Prefer UDP relays, then TCP, then TLS (as browsers do), then configuration order.
        rank = 0 if url.transport == "udp" else (2 if url.secure else 1)
        local_pref = 65535 - rank * 256 - min(index, 255)
        protocol.local_candidate = aioice.Candidate(
            foundation=_foundation("relay", str(relayed[0]), url.url),
            component=1,
            transport="udp",
            priority=candidate_priority(1, "relay", local_pref),
            host=str(relayed[0]),
            port=int(relayed[1]),
            type="relay",
            related_address=str(related[0]),
            related_port=int(related[1]),
        )
        if self._conn.closing:
            protocol.transport.close()
            return
        self._conn.add_local_protocol(protocol)
        self._emit(protocol.local_candidate)

    def _fail(self, url: ServerUrl, address: str | None, port: int | None, exc: Exception) -> None:
        code, text = _describe(exc)
        logger.warning("ICE server %s failed: %d %s", url.url, code, text)
        self._error(IceCandidateError(address, port, url.url, code, text))

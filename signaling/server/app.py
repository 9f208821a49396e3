"""The server: one ``websockets`` listener for the WebSocket endpoint ``/ws`` and for plain
HTTP GET of the static files (``process_request``), over a broker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass, field
from pathlib import Path

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from .broker import Broker, LocalBroker
from .connections import AddressCounter, counted_connection
from .limits import Limits
from .logs import LogBudget
from .rooms import RoomConfig, Session
from .static import DEFAULT_STATIC_DIR, StaticFiles

log = logging.getLogger("signaling.server")

WS_PATH = "/ws"
CLOSE_TIMEOUT = 2.0  # seconds a closing handshake may take (shutdown waits this at most)


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8765
    secret: bytes | None = None  # None only with insecure_dev_mode
    insecure_dev_mode: bool = False
    limits: Limits = field(default_factory=Limits)
    static_dir: Path = DEFAULT_STATIC_DIR
    redis_url: str | None = None
    heartbeat_interval: float = 1.0
    presence_ttl: float = 5.0

    def __post_init__(self) -> None:
        if self.secret is None and not self.insecure_dev_mode:
            raise ValueError("a secret is required unless insecure_dev_mode is set")


def make_broker(config: ServerConfig) -> Broker:
    if config.redis_url is None:
        return LocalBroker()
    from .redis_broker import RedisBroker  # the redis package is needed only here

    return RedisBroker(
        config.redis_url,
        heartbeat_interval=config.heartbeat_interval,
        presence_ttl=config.presence_ttl,
    )


class SignalingServer:
    """``async with SignalingServer(config) as server:`` listens until the block ends."""

    def __init__(self, config: ServerConfig, broker: Broker | None = None) -> None:
        self.config = config
        self.broker = broker if broker is not None else make_broker(config)
        self.static = StaticFiles(config.static_dir)
        self.rooms = RoomConfig(config.limits, None if config.insecure_dev_mode else config.secret)
        self.addresses = AddressCounter(config.limits.max_connections_per_address)
        self._refusal_log = LogBudget()  # one budget for the whole server: refusals are cheap
        self._server: Server | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(next(iter(self._server.sockets)).getsockname()[1])

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.path.split("?", 1)[0] == WS_PATH:
            return None
        return self.static.respond(request.path)

    def _refused(self, address: str) -> None:
        admit, suppressed = self._refusal_log.admit(asyncio.get_running_loop().time())
        if suppressed:
            log.warning(
                "%d connection refusals not logged",
                suppressed,
                extra={"event": "log-suppressed", "count": suppressed},
            )
        if admit:
            log.warning(
                "too many connections from one address; connection reset",
                extra={"event": "too-many-connections", "remote": address},
            )

    async def _handle(self, connection: ServerConnection) -> None:
        remote = connection.remote_address
        where = f"{remote[0]}:{remote[1]}" if remote else ""
        await Session(connection, self.broker, self.rooms, where).run()

    async def start(self) -> None:
        if self.config.insecure_dev_mode:
            log.warning(
                "INSECURE DEV MODE: join tokens are NOT checked; anyone can join any room. "
                "Never run like this where others can reach the port.",
                extra={"event": "insecure-dev-mode", "dev_mode": True},
            )
        await self.broker.start()
        self._server = await serve(
            self._handle,
            self.config.host,
            self.config.port,
            process_request=self._process_request,
            max_size=self.config.limits.websocket_max_size(),
            close_timeout=CLOSE_TIMEOUT,
            open_timeout=self.config.limits.join_timeout,
            create_connection=counted_connection(self.addresses, self._refused),
        )
        log.info(
            "listening",
            extra={
                "event": "listening",
                "host": self.config.host,
                "port": self.port,
                "redis": self.config.redis_url,
                "node": getattr(self.broker, "node_id", None),
                "path": WS_PATH,
            },
        )

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        await self.broker.close()

    async def __aenter__(self) -> SignalingServer:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()


async def run(config: ServerConfig) -> None:
    """Serve until SIGINT or SIGTERM, then close every connection and leave every room."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with SignalingServer(config):
        await stop.wait()
        log.info("stopping", extra={"event": "stopping"})

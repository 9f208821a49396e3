"""The signaling room server (``python -m signaling.server``; see ``__main__`` for the CLI).

Modules: ``app`` (listener, static files, ``ServerConfig``, ``SignalingServer``), ``rooms``
(per-connection ``Session``: limits, join, relay), ``tokens`` (join tokens), ``limits``,
``broker`` (``Broker`` protocol, ``LocalBroker``), ``redis_broker`` (``RedisBroker``),
``static``, ``logs`` (JSON lines).
"""

from .app import ServerConfig, SignalingServer, run
from .broker import Broker, LocalBroker, RoomFull
from .limits import Limits
from .tokens import TokenClaims, TokenError, load_secret, mint_token, verify_token

__all__ = [
    "Broker",
    "Limits",
    "LocalBroker",
    "RoomFull",
    "ServerConfig",
    "SignalingServer",
    "TokenClaims",
    "TokenError",
    "load_secret",
    "mint_token",
    "run",
    "verify_token",
]

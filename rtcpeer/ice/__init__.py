"""ICE: an asyncio adapter over aioice (trickle, multi-server, consent, restart)."""

from rtcpeer.ice._gather import IceCandidateError
from rtcpeer.ice.agent import IceAgent, IceGatheringState, IceTransportState
from rtcpeer.ice.candidate import IceCandidateInfo
from rtcpeer.ice.servers import IceServer, ServerUrl, parse_servers, parse_url

__all__ = [
    "IceAgent",
    "IceCandidateError",
    "IceCandidateInfo",
    "IceGatheringState",
    "IceServer",
    "IceTransportState",
    "ServerUrl",
    "parse_servers",
    "parse_url",
]

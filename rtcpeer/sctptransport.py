"""RTCSctpTransport (W3C webrtc-pc §6.1.1): the SCTP association a peer connection exposes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .peerconnection import RTCPeerConnection

LOCAL_MAX_MESSAGE_SIZE = 262144  # what we advertise in a=max-message-size (as browsers do)


class RTCSctpTransport:
    """``state``, ``maxMessageSize`` (the peer's limit for what we send), ``maxChannels``."""

    def __init__(self, pc: RTCPeerConnection) -> None:
        self._pc = pc

    @property
    def state(self) -> str:
        return self._pc._transport.sctp_state

    @property
    def maxMessageSize(self) -> int:
        return self._pc._remote_max_message_size() or LOCAL_MAX_MESSAGE_SIZE

    @property
    def maxChannels(self) -> int | None:
        return 65535 if self._pc._transport.sctp_state == "connected" else None

"""RTCDataChannel (W3C webrtc-pc §6.2) over the sans-IO channel manager.

Events, registered aiortc-style with ``channel.on(...)``: ``open``, ``message`` (the handler
gets ``str`` or ``bytes``), ``bufferedamountlow``, ``closing``, ``close``, ``error``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._events import EventEmitter
from .dcep.manager import ChannelRecord
from .errors import InvalidStateError

if TYPE_CHECKING:
    from .peerconnection import RTCPeerConnection


class RTCDataChannelParameters:
    """aiortc-compatible bag of createDataChannel options (rarely needed directly)."""

    def __init__(
        self,
        label: str = "",
        maxPacketLifeTime: int | None = None,
        maxRetransmits: int | None = None,
        ordered: bool = True,
        protocol: str = "",
        negotiated: bool = False,
        id: int | None = None,
    ) -> None:
        self.label = label
        self.maxPacketLifeTime = maxPacketLifeTime
        self.maxRetransmits = maxRetransmits
        self.ordered = ordered
        self.protocol = protocol
        self.negotiated = negotiated
        self.id = id


class RTCDataChannel(EventEmitter):
    """A bidirectional message channel. Created by ``RTCPeerConnection.createDataChannel``."""

    def __init__(self, pc: RTCPeerConnection, record: ChannelRecord) -> None:
        super().__init__()
        self._pc = pc
        self._record = record
        self._threshold = 0
        self._above_threshold = False
        self._closed_emitted = False
        self.binaryType = "arraybuffer"

    # ---- W3C attributes ----------------------------------------------------------------------

    @property
    def label(self) -> str:
        return self._record.params.label

    @property
    def ordered(self) -> bool:
        return self._record.params.ordered

    @property
    def maxPacketLifeTime(self) -> int | None:
        return self._record.params.max_packet_lifetime

    @property
    def maxRetransmits(self) -> int | None:
        return self._record.params.max_retransmits

    @property
    def protocol(self) -> str:
        return self._record.params.protocol

    @property
    def negotiated(self) -> bool:
        return self._record.negotiated

    @property
    def id(self) -> int | None:
        return self._record.id

    @property
    def readyState(self) -> str:
        return self._record.state

    @property
    def bufferedAmount(self) -> int:
        return self._pc._transport.channels.buffered_amount(self._record)

    @property
    def bufferedAmountLowThreshold(self) -> int:
        return self._threshold

    @bufferedAmountLowThreshold.setter
    def bufferedAmountLowThreshold(self, value: int) -> None:
        if not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
            raise TypeError("bufferedAmountLowThreshold must be an unsigned 32-bit integer")
        self._threshold = value

    # ---- W3C methods -------------------------------------------------------------------------

    def send(self, data: str | bytes | bytearray | memoryview) -> None:
        """Queue ``data``. Raises InvalidStateError unless open, TypeError if too large."""
        if isinstance(data, bytearray | memoryview):
            data = bytes(data)
        elif not isinstance(data, str | bytes):
            raise TypeError(f"cannot send {type(data).__name__} on a data channel")
        if self._record.state != "open":
            raise InvalidStateError(f"RTCDataChannel.send: readyState is {self._record.state!r}")
        size = len(data.encode("utf-8")) if isinstance(data, str) else len(data)
        limit = self._pc._remote_max_message_size()
        if limit and size > limit:
            raise TypeError(f"message of {size} bytes exceeds the peer's max-message-size {limit}")
        pc = self._pc
        pc._transport.channels.send(self._record, data, pc._now())
        if not self._above_threshold and self.bufferedAmount > self._threshold:
            self._above_threshold = True
        pc._schedule_flush()

    def close(self) -> None:
        """Start the closing procedure; ``close`` fires once both directions are reset."""
        pc = self._pc
        pc._transport.channels.close(self._record, pc._now())
        pc._schedule_flush()

    # ---- from the peer connection ------------------------------------------------------------

    def _buffered_decreased(self) -> None:
        # An event's value may be stale (queued before later send() calls), so compare the
        # live amount: otherwise a burst fires "bufferedamountlow" while still far above.
        if self._above_threshold and self.bufferedAmount <= self._threshold:
            self._above_threshold = False
            self.emit("bufferedamountlow")

    def _emit_closed(self) -> None:
        if not self._closed_emitted:
            self._closed_emitted = True
            self.emit("close")

    def __repr__(self) -> str:
        return f"RTCDataChannel(label={self.label!r}, id={self.id}, readyState={self.readyState})"

    def _debug(self) -> dict[str, Any]:
        return {"record": repr(self._record), "threshold": self._threshold}

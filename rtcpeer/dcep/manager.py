"""Sans-IO data channels over an SCTP association (RFC 8831, RFC 8832).

The manager owns channel records, stream-id allocation (even ids for the DTLS client, odd for
the DTLS server, RFC 8832 §6), the DCEP OPEN/ACK exchange and the closing procedure
(RFC 8831 §6.7: reset our outgoing stream; the channel is closed once both directions are
reset). It consumes association events and produces channel events; it never does I/O.

Channel life cycle (W3C webrtc-pc §6.2 readyState)::

    connecting --(SCTP up; negotiated, or OPEN sent / OPEN received)--> open
    open/connecting --(close() or remote reset)--> closing --(both streams reset)--> closed
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from ..errors import InvalidStateError, OperationError
from . import messages as m

logger = logging.getLogger("rtcpeer.dcep")

MAX_STREAM_ID = 65534  # 65535 is reserved (RFC 8832 §6)


class AssociationLike(Protocol):
    """The part of :class:`rtcpeer.sctp.association.Association` the manager uses."""

    outbound_streams: int  # our outgoing streams are 0 .. outbound_streams - 1
    state: str  # RFC 9260 §4; send() and reset_streams() only in "established"

    def send(
        self,
        stream_id: int,
        ppid: int,
        data: bytes,
        now: float,
        *,
        ordered: bool = True,
        max_retransmits: int | None = None,
        max_lifetime_ms: int | None = None,
    ) -> None: ...

    def reset_streams(self, stream_ids: list[int], now: float) -> None: ...

    def buffered_amount(self, stream_id: int) -> int: ...


class ChannelRecord:
    """The protocol state of one data channel; the facade's RTCDataChannel wraps one."""

    __slots__ = (
        "acked",
        "bytes_received",
        "bytes_sent",
        "id",
        "incoming_reset",
        "messages_received",
        "messages_sent",
        "negotiated",
        "outgoing_reset",
        "outgoing_reset_requested",
        "params",
        "state",
    )

    def __init__(self, params: m.ChannelParameters, negotiated: bool, stream_id: int | None):
        self.params = params
        self.negotiated = negotiated
        self.id = stream_id
        self.state = "connecting"
        self.acked = negotiated
        self.incoming_reset = False
        self.outgoing_reset = False
        self.outgoing_reset_requested = False
        self.messages_sent = self.bytes_sent = 0
        self.messages_received = self.bytes_received = 0

    def __repr__(self) -> str:
        return f"ChannelRecord(id={self.id}, label={self.params.label!r}, state={self.state})"


@dataclass(frozen=True)
class ChannelOpened:
    channel: ChannelRecord


@dataclass(frozen=True)
class RemoteChannelCreated:
    """The peer opened a channel with DATA_CHANNEL_OPEN (the facade fires ``datachannel``)."""

    channel: ChannelRecord


@dataclass(frozen=True)
class ChannelMessage:
    channel: ChannelRecord
    data: str | bytes


@dataclass(frozen=True)
class ChannelClosing:
    channel: ChannelRecord


@dataclass(frozen=True)
class ChannelClosed:
    channel: ChannelRecord


@dataclass(frozen=True)
class ChannelBufferedAmount:
    channel: ChannelRecord
    buffered: int


ManagerEvent = (
    ChannelOpened
    | RemoteChannelCreated
    | ChannelMessage
    | ChannelClosing
    | ChannelClosed
    | ChannelBufferedAmount
)


class DataChannelManager:
    """Channels over one association. Call :meth:`set_role` once the DTLS role is known."""

    def __init__(self) -> None:
        self._association: AssociationLike | None = None
        self._dtls_client: bool | None = None
        self._channels: dict[int, ChannelRecord] = {}
        self._pending: list[ChannelRecord] = []  # created before an id could be chosen
        self._events: deque[ManagerEvent] = deque()
        self.stats = {
            "messages_sent": 0,
            "messages_received": 0,
            "bytes_sent": 0,
            "bytes_received": 0,
            "dropped_messages": 0,
            "channels_opened": 0,
            "channels_closed": 0,
        }

    # ---- setup -----------------------------------------------------------------------------

    def set_role(self, dtls_client: bool) -> None:
        """Fix stream-id parity (even for the DTLS client) and number pending channels."""
        self._dtls_client = dtls_client
        pending, self._pending = self._pending, []
        for record in pending:
            if record.state == "closed":
                continue
            record.id = self._allocate_id()
            self._channels[record.id] = record

    def create(
        self, params: m.ChannelParameters, *, negotiated: bool = False, stream_id: int | None = None
    ) -> ChannelRecord:
        """A new local channel (W3C createDataChannel steps: id checks raise OperationError)."""
        if stream_id is not None:
            if not 0 <= stream_id <= MAX_STREAM_ID:
                raise TypeError(f"data channel id {stream_id} outside 0..{MAX_STREAM_ID}")
            if stream_id in self._channels:
                raise OperationError(f"data channel id {stream_id} is already in use")
        record = ChannelRecord(params, negotiated, stream_id)
        if stream_id is None and self._dtls_client is not None:
            record.id = self._allocate_id()
        if record.id is None:
            self._pending.append(record)
        else:
            self._channels[record.id] = record
        return record

    def _allocate_id(self) -> int:
        assert self._dtls_client is not None
        candidate = 0 if self._dtls_client else 1
        while candidate <= MAX_STREAM_ID:
            if candidate not in self._channels:
                return candidate
            candidate += 2
        raise OperationError("no data channel id left")

    def channels(self) -> list[ChannelRecord]:
        return list(self._channels.values()) + list(self._pending)

    # ---- association lifecycle ---------------------------------------------------------------

    def association_established(self, association: AssociationLike, now: float) -> None:
        """SCTP is up: open every channel waiting for it."""
        self._association = association
        for record in list(self._channels.values()):
            if record.state == "connecting":
                self._start(record, now)

    def _start(self, record: ChannelRecord, now: float) -> None:
        assert self._association is not None and record.id is not None
        if not record.negotiated:
            # DATA_CHANNEL_OPEN is sent reliable and ordered (RFC 8832 §6).
            self._association.send(record.id, m.PPID_DCEP, m.encode_open(record.params), now)
        self._set_open(record)

    def _set_open(self, record: ChannelRecord) -> None:
        record.state = "open"
        self.stats["channels_opened"] += 1
        self._events.append(ChannelOpened(record))

    def association_closed(self) -> None:
        """The association is gone: every channel is closed."""
        for record in self.channels():
            if record.state != "closed":
                record.state = "closed"
                self.stats["channels_closed"] += 1
                self._events.append(ChannelClosed(record))
        self._association = None

    # ---- user calls --------------------------------------------------------------------------

    def send(self, record: ChannelRecord, data: str | bytes, now: float) -> int:
        """Queue one message; returns its payload size (for bufferedAmount)."""
        if record.state != "open" or self._association is None or record.id is None:
            raise InvalidStateError(f"data channel is {record.state}, not open")
        if self._association.state != "established":
            # The peer's SHUTDOWN arrived (RFC 9260 §9.2): no new user data is accepted.
            raise InvalidStateError(f"the SCTP association is {self._association.state}")
        ppid, payload = m.encode_message(data)
        p = record.params
        # Until the peer acknowledged DATA_CHANNEL_OPEN, messages go ordered (RFC 8832 §6).
        ordered = p.ordered or not record.acked
        self._association.send(
            record.id,
            ppid,
            payload,
            now,
            ordered=ordered,
            max_retransmits=p.max_retransmits,
            max_lifetime_ms=p.max_packet_lifetime,
        )
        size = len(payload) if ppid in (m.PPID_STRING, m.PPID_BINARY) else 0
        record.messages_sent += 1
        record.bytes_sent += size
        self.stats["messages_sent"] += 1
        self.stats["bytes_sent"] += size
        return size

    def close(self, record: ChannelRecord, now: float) -> None:
        """Start the closing procedure (W3C §6.2 close(), RFC 8831 §6.7)."""
        if record.state in ("closing", "closed"):
            return
        if record.id is None or self._association is None:
            # Never reached the wire: closed at once.
            if record in self._pending:
                self._pending.remove(record)
            if record.id is not None:
                self._channels.pop(record.id, None)
            record.state = "closed"
            self.stats["channels_closed"] += 1
            self._events.append(ChannelClosed(record))
            return
        record.state = "closing"
        self._events.append(ChannelClosing(record))
        self._request_reset(record, now)

    def _request_reset(self, record: ChannelRecord, now: float) -> None:
        if record.outgoing_reset_requested or self._association is None or record.id is None:
            return
        if self._association.state != "established":
            # Shutting down (RFC 9260 §9.2): no stream reset any more; the channel closes
            # with the association (association_closed).
            return
        record.outgoing_reset_requested = True
        self._association.reset_streams([record.id], now)

    def buffered_amount(self, record: ChannelRecord) -> int:
        if self._association is None or record.id is None:
            return 0
        return self._association.buffered_amount(record.id)

    # ---- association events ------------------------------------------------------------------

    def data_received(self, stream_id: int, ppid: int, data: bytes, now: float) -> None:
        record = self._channels.get(stream_id)
        if ppid == m.PPID_DCEP:
            self._dcep_received(record, stream_id, data, now)
            return
        if record is None or record.state == "closed":
            self.stats["dropped_messages"] += 1
            return
        message = m.decode_message(ppid, data)
        if message is None:
            self.stats["dropped_messages"] += 1
            return
        if not record.acked:
            record.acked = True  # a user message implies the peer saw our OPEN (RFC 8832 §6)
        size = len(data) if ppid not in (m.PPID_STRING_EMPTY, m.PPID_BINARY_EMPTY) else 0
        record.messages_received += 1
        record.bytes_received += size
        self.stats["messages_received"] += 1
        self.stats["bytes_received"] += size
        self._events.append(ChannelMessage(record, message))

    def _dcep_received(
        self, record: ChannelRecord | None, stream_id: int, data: bytes, now: float
    ) -> None:
        if not data:
            self.stats["dropped_messages"] += 1
            return
        if data[0] == m.MSG_ACK:
            if record is not None and not record.negotiated:
                record.acked = True
            return
        if data[0] != m.MSG_OPEN:
            self.stats["dropped_messages"] += 1
            return
        try:
            params = m.decode_open(data)
        except m.DcepError as exc:
            logger.info("dropping malformed DATA_CHANNEL_OPEN on stream %d: %s", stream_id, exc)
            self.stats["dropped_messages"] += 1
            return
        if record is not None or self._association is None:
            logger.info("dropping DATA_CHANNEL_OPEN for stream %d already in use", stream_id)
            self.stats["dropped_messages"] += 1
            return
        if not self._stream_usable(stream_id):
            logger.info("dropping DATA_CHANNEL_OPEN on stream %d: no outgoing stream", stream_id)
            self.stats["dropped_messages"] += 1
            return
        if self._association.state != "established":
            # Bundled before the peer's SHUTDOWN: no ACK can be sent any more (RFC 9260 §9.2).
            self.stats["dropped_messages"] += 1
            return
        record = ChannelRecord(params, negotiated=False, stream_id=stream_id)
        record.acked = True
        self._channels[stream_id] = record
        self._association.send(stream_id, m.PPID_DCEP, m.encode_ack(), now)
        self._events.append(RemoteChannelCreated(record))
        self._set_open(record)

    def _stream_usable(self, stream_id: int) -> bool:
        """A channel is the pair of streams with one id (RFC 8832 §6): the id must be a valid
        channel id (65535 is reserved) and an outgoing stream we negotiated, else there is no
        stream to send DATA_CHANNEL_ACK on nor to reset, and the OPEN is dropped."""
        assert self._association is not None
        return stream_id <= MAX_STREAM_ID and stream_id < self._association.outbound_streams

    def incoming_streams_reset(self, stream_ids: tuple[int, ...], now: float) -> None:
        """The peer reset its outgoing streams: those channels close (RFC 8831 §6.7)."""
        for stream_id in stream_ids:
            record = self._channels.get(stream_id)
            if record is None:
                continue
            record.incoming_reset = True
            if record.state in ("connecting", "open"):
                record.state = "closing"
                self._events.append(ChannelClosing(record))
            self._request_reset(record, now)
            self._maybe_closed(record)

    def outgoing_streams_reset(self, stream_ids: tuple[int, ...]) -> None:
        """Our reset request was performed by the peer."""
        for stream_id in stream_ids:
            record = self._channels.get(stream_id)
            if record is None:
                continue
            record.outgoing_reset = True
            self._maybe_closed(record)

    def _maybe_closed(self, record: ChannelRecord) -> None:
        if record.incoming_reset and record.outgoing_reset and record.state != "closed":
            record.state = "closed"
            if record.id is not None:
                self._channels.pop(record.id, None)  # the id can be reused now
            self.stats["channels_closed"] += 1
            self._events.append(ChannelClosed(record))

    def buffered_amount_changed(self, stream_id: int, buffered: int) -> None:
        record = self._channels.get(stream_id)
        if record is not None:
            self._events.append(ChannelBufferedAmount(record, buffered))

    def next_event(self) -> ManagerEvent | None:
        return self._events.popleft() if self._events else None

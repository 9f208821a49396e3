"""The sans-IO data-channel manager, two instances wired by an in-memory association stub.

The stub delivers each send to the other manager as ``data_received`` and turns
``reset_streams`` into the RFC 6525 exchange the real association performs: the peer sees an
incoming reset, and we get "outgoing reset performed".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from rtcpeer.dcep import manager as dm
from rtcpeer.dcep import messages as m
from rtcpeer.errors import InvalidStateError, LocalProtocolError, OperationError


@dataclass
class Wire:
    """What one side's association would put on the wire."""

    sent: list[tuple[int, int, bytes, bool]] = field(default_factory=list)
    resets: list[int] = field(default_factory=list)
    buffered: dict[int, int] = field(default_factory=dict)
    outbound_streams: int = 65535
    state: str = "established"

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
    ) -> None:
        if self.state != "established":  # as the real association refuses them
            raise LocalProtocolError(f"cannot send in state {self.state}")
        if not 0 <= stream_id < self.outbound_streams:
            raise LocalProtocolError(f"stream {stream_id} not negotiated")
        self.sent.append((stream_id, ppid, data, ordered))

    def reset_streams(self, stream_ids: list[int], now: float) -> None:
        if self.state != "established":
            raise LocalProtocolError(f"cannot reset streams in state {self.state}")
        self.resets.extend(stream_ids)

    def buffered_amount(self, stream_id: int) -> int:
        return self.buffered.get(stream_id, 0)


def pump(a: dm.DataChannelManager, wa: Wire, b: dm.DataChannelManager, wb: Wire) -> None:
    for _ in range(10):
        moved = False
        for src, dst in ((wa, b), (wb, a)):
            sent, src.sent = src.sent, []
            for stream_id, ppid, data, _ in sent:
                dst.data_received(stream_id, ppid, data, 0.0)
                moved = True
        for src_mgr, src, dst in ((a, wa, b), (b, wb, a)):
            resets, src.resets = src.resets, []
            if resets:
                moved = True
                dst.incoming_streams_reset(tuple(resets), 0.0)
                src_mgr.outgoing_streams_reset(tuple(resets))
        if not moved:
            return


def events(mgr: dm.DataChannelManager) -> list[object]:
    out = []
    while (e := mgr.next_event()) is not None:
        out.append(e)
    return out


def connected() -> tuple[dm.DataChannelManager, Wire, dm.DataChannelManager, Wire]:
    a, b = dm.DataChannelManager(), dm.DataChannelManager()
    a.set_role(dtls_client=True)
    b.set_role(dtls_client=False)
    wa, wb = Wire(), Wire()
    a.association_established(wa, 0.0)
    b.association_established(wb, 0.0)
    return a, wa, b, wb


def test_ids_follow_dtls_role_parity() -> None:
    a, _wa, b, _wb = connected()
    assert [a.create(m.ChannelParameters()).id for _ in range(3)] == [0, 2, 4]
    assert [b.create(m.ChannelParameters()).id for _ in range(3)] == [1, 3, 5]


def test_channels_created_before_the_role_get_ids_later() -> None:
    mgr = dm.DataChannelManager()
    record = mgr.create(m.ChannelParameters(label="early"))
    assert record.id is None
    mgr.set_role(dtls_client=False)
    assert record.id == 1


def test_open_ack_and_messages() -> None:
    a, wa, b, wb = connected()
    record = a.create(m.ChannelParameters(label="chat", protocol="p", ordered=False))
    a.association_established(wa, 0.0)
    assert [type(e) for e in events(a)] == [dm.ChannelOpened]
    assert wa.sent[0][1] == m.PPID_DCEP
    pump(a, wa, b, wb)
    created = events(b)
    assert [type(e) for e in created] == [dm.RemoteChannelCreated, dm.ChannelOpened]
    remote = created[0].channel  # type: ignore[attr-defined]
    assert (remote.id, remote.params.label, remote.params.protocol) == (0, "chat", "p")
    assert remote.params.ordered is False
    assert record.acked  # the ACK came back

    a.send(record, "hello", 0.0)
    a.send(record, b"", 0.0)
    b.send(remote, "", 0.0)
    pump(a, wa, b, wb)
    assert [e.data for e in events(b)] == ["hello", b""]  # type: ignore[attr-defined]
    assert [e.data for e in events(a)] == [""]  # type: ignore[attr-defined]
    assert (record.messages_sent, record.bytes_sent) == (2, 5)


def test_messages_go_ordered_until_acknowledged() -> None:
    a, wa, b, wb = connected()
    record = a.create(m.ChannelParameters(ordered=False))
    a.association_established(wa, 0.0)
    a.send(record, "before ack", 0.0)
    assert wa.sent[-1][3] is True
    pump(a, wa, b, wb)
    a.send(record, "after ack", 0.0)
    assert wa.sent[-1][3] is False


def test_close_resets_both_directions_then_closed() -> None:
    a, wa, b, wb = connected()
    record = a.create(m.ChannelParameters())
    a.association_established(wa, 0.0)
    pump(a, wa, b, wb)
    events(a), events(b)
    a.close(record, 0.0)
    assert record.state == "closing"
    pump(a, wa, b, wb)
    assert record.state == "closed"
    assert [type(e) for e in events(a)] == [dm.ChannelClosing, dm.ChannelClosed]
    assert [type(e) for e in events(b)] == [dm.ChannelClosing, dm.ChannelClosed]
    with pytest.raises(InvalidStateError):
        a.send(record, "late", 0.0)
    # The id is free again once both directions are reset.
    assert a.create(m.ChannelParameters()).id == 0


def test_negotiated_channels_open_without_dcep() -> None:
    a, wa, b, wb = connected()
    ra = a.create(m.ChannelParameters(label="n"), negotiated=True, stream_id=7)
    rb = b.create(m.ChannelParameters(label="n"), negotiated=True, stream_id=7)
    a.association_established(wa, 0.0)
    b.association_established(wb, 0.0)
    assert wa.sent == [] and wb.sent == []
    assert ra.state == rb.state == "open"
    a.send(ra, b"x", 0.0)
    pump(a, wa, b, wb)
    assert [type(e) for e in events(b)][-1] is dm.ChannelMessage
    with pytest.raises(OperationError):
        a.create(m.ChannelParameters(), negotiated=True, stream_id=7)


def test_bad_remote_input_is_dropped_and_counted() -> None:
    a, wa, b, wb = connected()
    b.data_received(9, m.PPID_STRING, b"no channel", 0.0)
    b.data_received(9, m.PPID_DCEP, b"", 0.0)
    b.data_received(9, m.PPID_DCEP, b"\x03garbage", 0.0)
    b.data_received(9, m.PPID_DCEP, b"\x07", 0.0)
    assert b.stats["dropped_messages"] == 4
    assert events(b) == []
    # A duplicate OPEN for a stream already in use is dropped too.
    record = a.create(m.ChannelParameters())
    a.association_established(wa, 0.0)
    pump(a, wa, b, wb)
    events(b)
    b.data_received(record.id or 0, m.PPID_DCEP, m.encode_open(m.ChannelParameters()), 0.0)
    assert b.stats["dropped_messages"] == 5
    assert events(b) == []


def test_open_on_a_stream_we_cannot_answer_on_is_dropped_and_counted() -> None:
    """Fuzzer finding: OPEN on stream 65535 (reserved, RFC 8832 §6) or beyond our negotiated
    outgoing streams made the ACK send raise LocalProtocolError out of the manager."""
    _a, _wa, b, wb = connected()
    wb.outbound_streams = 16
    opened = m.encode_open(m.ChannelParameters(label="x"))
    b.data_received(65535, m.PPID_DCEP, opened, 0.0)
    b.data_received(16, m.PPID_DCEP, opened, 0.0)
    assert b.stats["dropped_messages"] == 2
    assert events(b) == [] and wb.sent == [] and wb.resets == []
    b.data_received(15, m.PPID_DCEP, opened, 0.0)  # the last stream we have still works
    assert [type(e) for e in events(b)] == [dm.RemoteChannelCreated, dm.ChannelOpened]
    assert wb.sent == [(15, m.PPID_DCEP, m.encode_ack(), True)]


def test_open_reset_send_and_close_while_the_association_shuts_down() -> None:
    """Fuzzer findings: remote input processed after the peer's SHUTDOWN (an incoming stream
    reset, an OPEN) made the manager call reset_streams/send, which raise in that state; and
    a user send() on a still-open channel raised LocalProtocolError, not InvalidStateError."""
    a, wa, b, wb = connected()
    first, second = a.create(m.ChannelParameters()), a.create(m.ChannelParameters())
    a.association_established(wa, 0.0)
    pump(a, wa, b, wb)
    events(b)
    wb.state = "shutdown-received"
    assert first.id is not None and second.id is not None
    b.incoming_streams_reset((first.id,), 0.0)  # the peer closed a channel
    b.data_received(5, m.PPID_DCEP, m.encode_open(m.ChannelParameters()), 0.0)
    assert wb.resets == [] and wb.sent == []
    assert b.stats["dropped_messages"] == 1
    other = next(c for c in b.channels() if c.id == second.id)
    assert other.state == "open"
    with pytest.raises(InvalidStateError):
        b.send(other, "late", 0.0)
    b.close(other, 0.0)  # a user close() in that state does not raise either
    assert wb.resets == [] and wb.sent == []
    b.association_closed()
    assert all(c.state == "closed" for c in b.channels())


def test_association_loss_closes_every_channel() -> None:
    a, wa, _b, _wb = connected()
    records = [a.create(m.ChannelParameters()) for _ in range(3)]
    a.association_established(wa, 0.0)
    events(a)
    a.association_closed()
    assert all(r.state == "closed" for r in records)
    assert [type(e) for e in events(a)] == [dm.ChannelClosed] * 3

"""PR-SCTP, stream reset, shutdown and abort between two associations."""

from __future__ import annotations

from sctp_pair_helpers import Pair

from rtcpeer.sctp.events import (
    AssociationClosed,
    DataReceived,
    OutgoingStreamsReset,
    StreamsReset,
)


def established() -> Pair:
    p = Pair()
    p.connect()
    return p


def drop_next_data(p: Pair) -> None:
    lost = p.sent["a>b"]
    p.drop = lambda d, i, pkt: not (d == "a>b" and i == lost)


def test_max_retransmits_zero_abandons_and_forward_tsn() -> None:
    p = established()
    drop_next_data(p)
    p.a.send(1, 51, b"L" * 3000, 0.0, max_retransmits=0)  # 3 fragments, first packet lost
    p.a.send(1, 51, b"after", 0.0)
    p.a.send(2, 51, b"other", 0.0, ordered=False)
    now = p.run_until(lambda: len(p.messages("b")) == 2, 0.0)
    assert sorted(e.data for e in p.messages("b")) == [b"after", b"other"]
    assert p.a.sender is not None and p.a.sender.stats["abandoned_messages"] == 1
    assert p.b.receiver is not None and p.b.receiver.cum == p.a.sender.cum_ack
    p.a.send(1, 51, b"later", now)
    p.transfer(now)
    assert p.messages("b")[-1] == DataReceived(1, 51, b"later")


def test_max_lifetime_abandons() -> None:
    p = established()
    drop_next_data(p)
    p.a.send(1, 51, b"short-lived", 0.0, max_lifetime_ms=100)
    p.a.send(1, 51, b"next", 0.0)
    p.run_until(lambda: len(p.messages("b")) == 1, 0.0)
    assert p.messages("b") == [DataReceived(1, 51, b"next")]


def test_unordered_partial_reliability_drops_only_lost() -> None:
    p = established()
    drop_next_data(p)
    for n in range(5):
        p.a.send(4, 51, bytes([n]) * 1000, 0.0, ordered=False, max_retransmits=0)
    p.run_until(lambda: p.a.get_timer() is None and p.b.get_timer() is None, 0.0)
    assert sorted(e.data[0] for e in p.messages("b")) == [1, 2, 3, 4]


def test_stream_reset_both_ways_and_reuse() -> None:
    p = established()
    p.a.send(1, 51, b"one", 0.0)
    p.a.send(1, 51, b"two", 0.0)
    p.b.send(1, 51, b"back", 0.0)
    p.transfer(0.0)
    p.a.reset_streams([1], 0.0)
    p.transfer(0.0)
    assert p.of("b", StreamsReset) == [StreamsReset((1,))]
    assert p.of("a", OutgoingStreamsReset) == [OutgoingStreamsReset((1,))]
    p.b.reset_streams([1], 0.0)
    p.transfer(0.0)
    assert p.of("a", StreamsReset) == [StreamsReset((1,))]
    assert p.of("b", OutgoingStreamsReset) == [OutgoingStreamsReset((1,))]
    p.a.send(1, 51, b"fresh", 0.0)
    p.b.send(1, 51, b"fresh-b", 0.0)
    p.transfer(0.0)
    assert p.messages("b")[-1] == DataReceived(1, 51, b"fresh")
    assert p.messages("a")[-1] == DataReceived(1, 51, b"fresh-b")
    assert p.a.receiver is not None and p.a.receiver.streams[1].expected == 1  # SSN 0 used


def test_stream_reset_waits_for_lost_data() -> None:
    p = established()
    drop_next_data(p)
    p.a.send(1, 51, b"lost then retransmitted", 0.0)
    p.a.reset_streams([1], 0.0)
    p.transfer(0.0)
    assert p.of("b", StreamsReset) == []  # deferred: "in progress"
    p.run_until(lambda: bool(p.of("a", OutgoingStreamsReset)), 0.0)
    assert p.messages("b") == [DataReceived(1, 51, b"lost then retransmitted")]
    assert p.of("b", StreamsReset) == [StreamsReset((1,))]


def test_reset_queued_until_data_sent() -> None:
    p = established()
    p.a.send(1, 51, b"x" * 50_000, 0.0)
    p.a.reset_streams([1], 0.0)
    p.a.reset_streams([2], 0.0)
    p.transfer(0.0)
    assert len(p.messages("b")) == 1
    assert p.of("b", StreamsReset) == [StreamsReset((1, 2))]


def test_reset_request_loss_retransmitted() -> None:
    p = established()
    p.drop = lambda d, i, pkt: not (d == "a>b" and i == 2)
    p.a.reset_streams([7], 0.0)
    p.transfer(0.0)
    assert p.a.timer_reason is None or p.a.get_timer() is not None
    assert p.a.get_timer() == 1.0 and p.a.timer_reason == "sctp.reconfig"
    p.advance(0.0)
    assert p.of("a", OutgoingStreamsReset) == [OutgoingStreamsReset((7,))]


def test_shutdown_after_data() -> None:
    p = established()
    p.a.send(1, 51, b"y" * 30_000, 0.0)
    p.a.shutdown(0.0)
    assert p.a.state == "shutdown-pending"
    p.run_until(lambda: p.a.state == "closed" and p.b.state == "closed", 0.0)
    assert p.messages("b") == [DataReceived(1, 51, b"y" * 30_000)]
    assert p.of("a", AssociationClosed) == [AssociationClosed("shutdown complete")]
    assert p.of("b", AssociationClosed) == [AssociationClosed("shutdown complete")]
    assert p.a.get_timer() is None and p.b.get_timer() is None


def test_simultaneous_shutdown() -> None:
    p = established()
    p.a.shutdown(0.0)
    p.b.shutdown(0.0)
    p.run_until(lambda: p.a.state == "closed" and p.b.state == "closed", 0.0)
    assert len(p.of("a", AssociationClosed)) == 1


def test_abort_both_directions() -> None:
    p = established()
    p.a.abort(0.0)
    p.transfer(0.0)
    assert p.a.state == p.b.state == "closed"
    assert p.of("a", AssociationClosed) == [AssociationClosed("abort sent")]
    assert p.of("b", AssociationClosed) == [AssociationClosed("abort received")]
    q = established()
    q.b.abort(0.0)
    q.transfer(0.0)
    assert q.of("a", AssociationClosed) == [AssociationClosed("abort received")]


def test_heartbeat_is_answered() -> None:
    from rtcpeer.sctp import chunks as ch
    from rtcpeer.sctp.packet import Packet, parse_packet

    p = established()
    hb = Packet(5000, 5000, p.b.local_tag, [ch.HeartbeatChunk([(1, b"ping")])]).serialize()
    p.b.receive_datagram(hb, 0.0)
    (out,) = p.b.datagrams_to_send(0.0)
    assert parse_packet(out).chunks == [ch.HeartbeatAckChunk([(1, b"ping")])]

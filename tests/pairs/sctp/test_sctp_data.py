from __future__ import annotations

import pytest
from sctp_pair_helpers import Pair

from rtcpeer.errors import LocalProtocolError
from rtcpeer.sctp.events import AssociationClosed, BufferedAmountChanged, DataReceived

SIZES = [1, 2, 100, 1171, 1172, 1173, 5000, 65536, 200_001, 262144]


def established(**kw: int) -> Pair:
    p = Pair(**kw)
    p.connect()
    p.a.remote_max_message_size = p.b.remote_max_message_size = 262144
    return p


@pytest.mark.parametrize("ordered", [True, False])
def test_messages_of_many_sizes(ordered: bool) -> None:
    p = established()
    payloads = [bytes([i % 251]) * n for i, n in enumerate(SIZES)]
    for i, data in enumerate(payloads):
        p.a.send(3, 50 + i, data, 0.0, ordered=ordered)
    p.run_until(lambda: len(p.messages("b")) == len(payloads), 0.0)
    got = p.messages("b")
    if not ordered:
        got.sort(key=lambda e: e.ppid)
    assert got == [DataReceived(3, 50 + i, d) for i, d in enumerate(payloads)]
    assert p.a.buffered_amount(3) == 0
    assert p.of("a", BufferedAmountChanged)[-1] == BufferedAmountChanged(3, 0)


def test_empty_message_rejected_and_bad_stream() -> None:
    p = established(max_outbound_streams=10)
    with pytest.raises(LocalProtocolError):
        p.a.send(1, 56, b"", 0.0)
    with pytest.raises(LocalProtocolError):
        p.a.send(10, 51, b"x", 0.0)
    with pytest.raises(LocalProtocolError):
        Pair().a.send(0, 51, b"x", 0.0)


def test_many_streams_keep_per_stream_order() -> None:
    p = established()
    for n in range(20):
        for sid in range(100):
            p.a.send(sid, 51, f"{sid}:{n}".encode(), 0.0)
    p.run_until(lambda: len(p.messages("b")) == 2000, 0.0)
    per: dict[int, list[bytes]] = {}
    for e in p.messages("b"):
        per.setdefault(e.stream_id, []).append(e.data)
    assert all(per[s] == [f"{s}:{n}".encode() for n in range(20)] for s in range(100))


def test_buffered_amount_counts_unsent_bytes() -> None:
    p = established()
    p.a.send(1, 51, b"x" * 100_000, 0.0)
    assert p.a.buffered_amount(1) == 100_000
    p.a.datagrams_to_send(0.0)  # first cwnd worth leaves
    assert 0 < p.a.buffered_amount(1) < 100_000


def test_reordering_delivers_in_order() -> None:
    p = established()
    p.reorder = True
    msgs = [bytes([i]) * (i * 37 + 1) for i in range(60)]
    for m in msgs:
        p.a.send(2, 51, m, 0.0)
    p.a.send(2, 51, b"z" * 10_000, 0.0)
    p.run_until(lambda: len(p.messages("b")) == 61, 0.0)
    assert [e.data for e in p.messages("b")] == [*msgs, b"z" * 10_000]


def test_fast_retransmit() -> None:
    p = established()
    first_data = p.sent["a>b"]
    p.drop = lambda d, i, pkt: not (d == "a>b" and i == first_data)
    for n in range(30):
        p.a.send(1, 51, bytes([n]) * 1000, 0.0)
    p.transfer(0.0)
    assert p.a.sender is not None
    assert p.a.sender.stats["fast_retransmits"] == 1
    assert p.a.sender.stats["t3_expirations"] == 0
    assert [e.data[0] for e in p.messages("b")] == list(range(30))


def test_t3_retransmission_exact_deadline() -> None:
    p = established()
    p.a.send(1, 51, b"warm-up", 0.0)
    now = p.run_until(lambda: len(p.messages("b")) == 1 and p.a.get_timer() is None, 0.0)
    assert now == 0.2  # delayed SACK timer of b (one DATA packet)
    assert p.a.sender is not None
    rto = p.a.sender.rto
    assert rto == pytest.approx(0.6)  # srtt 0.2 + 4 * rttvar 0.1
    copies = [0]

    def lose_two_copies(d: str, i: int, pkt: bytes) -> bool:
        if d == "a>b" and b"lost twice" in pkt:
            copies[0] += 1
            return copies[0] > 2
        return True

    p.drop = lose_two_copies
    p.a.send(1, 51, b"lost twice", 10.0)
    p.transfer(10.0)
    # first the tail loss probe (PTO = 2 SRTT = 0.4 s), lost too, then T3-rtx at the RTO
    assert p.a.get_timer() == pytest.approx(10.4) and p.a.timer_reason == "sctp.tail-loss-probe"
    now = p.advance(10.0)
    assert p.a.sender.stats["tail_loss_probes"] == 1 and copies[0] == 2
    assert p.a.get_timer() == 10.0 + rto and p.a.timer_reason == "sctp.t3-rtx"
    now = p.advance(now)
    assert now == 10.0 + rto
    assert p.a.sender.stats["t3_expirations"] == 1
    assert p.messages("b")[-1].data == b"lost twice"
    assert p.a.sender.rto == min(2 * rto, 60.0)


def test_receiver_window_stalls_and_resumes() -> None:
    p = established(local_rwnd=20_000)
    p.hold.add("b")
    for n in range(50):
        p.a.send(1, 51, bytes([n]) * 2000, 0.0)
    p.transfer(0.0)
    assert p.a.sender is not None
    assert p.a.buffered_amount(1) > 0  # stalled on the peer's window
    assert p.a.sender.peer_rwnd < 2000
    received = []
    now = 0.0
    while len(received) < 50:
        while (ev := p.b.next_event()) is not None:
            if isinstance(ev, DataReceived):
                received.append(ev.data[0])
        p.transfer(now)
        if p.b._events or len(received) == 50:
            continue
        now = p.advance(now)
        assert now < 60
    assert received == list(range(50))


def test_too_many_retransmissions_closes() -> None:
    p = established()
    p.drop = lambda d, i, pkt: False
    p.a.send(1, 51, b"into the void", 0.0)
    now = p.run_until(lambda: p.a.state == "closed", 0.0, limit=3000)
    assert now > 60
    assert p.of("a", AssociationClosed) == [AssociationClosed("too many retransmissions")]

"""Hostile or oversized input on the receive side: RE-CONFIG sizes, empty DATA, unknown chunks.

Each case checks what goes back on the wire (sizes against the PLPMTU) and that the
association keeps working (or aborts as the RFC requires).
"""

from __future__ import annotations

import struct

from sctp_pair_helpers import Pair

from rtcpeer.sctp import chunks as ch
from rtcpeer.sctp.association import Association
from rtcpeer.sctp.events import AssociationClosed, OutgoingStreamsReset, StreamsReset
from rtcpeer.sctp.packet import parse_packet, serialize_packet


def established() -> Pair:
    p = Pair()
    p.connect()
    return p


def inject(p: Pair, chunks: list[bytes], now: float = 0.0) -> int:
    """Deliver a packet from a's side (its ports and b's tag) to b; returns its size."""
    packet = serialize_packet(5000, 5000, p.b.local_tag, chunks)
    p.b.receive_datagram(packet, now)
    return len(packet)


def sizes_to_a(p: Pair) -> list[int]:
    """Run the exchange, record every b>a datagram size, drop those above b's PLPMTU
    (as a path with that MTU would; the DTLS layer used to refuse them outright)."""
    seen: list[int] = []

    def keep(d: str, i: int, pkt: bytes) -> bool:
        if d != "b>a":
            return True
        seen.append(len(pkt))
        return len(pkt) <= p.b.plpmtu

    p.drop = keep
    return seen


def streams_reset(events: list[object], cls: type) -> set[int]:
    return {sid for e in events if isinstance(e, cls) for sid in e.stream_ids}  # type: ignore[attr-defined]


def test_incoming_reset_of_8000_streams_fits_the_plpmtu_and_does_not_wedge() -> None:
    p = established()
    seen = sizes_to_a(p)
    b_reset = p.b.reset
    assert b_reset is not None and p.a.reset is not None and p.b.plpmtu == 1200
    request = ch.IncomingSsnResetRequest(b_reset.peer_seq, tuple(range(8000)))
    inject(p, [ch.ReconfigChunk([request]).serialize()])
    p.a.reset.local_seq += 1  # a sent that request: its own next one takes the next number
    now = p.run_until(lambda: len(streams_reset(p.events["b"], OutgoingStreamsReset)) == 8000, 0.0)
    assert seen and max(seen) <= 1200  # one 16 KB reply before
    assert streams_reset(p.events["a"], StreamsReset) == set(range(8000))
    assert len(seen) > 8000 * 2 // 1200  # the reply was split into several requests
    # Later ordinary closes both ways still complete.
    p.b.reset_streams([7], now)
    p.a.reset_streams([9], now)
    now = p.run_until(
        lambda: (
            (7,) in [e.stream_ids for e in p.of("b", OutgoingStreamsReset)]
            and (9,) in [e.stream_ids for e in p.of("a", OutgoingStreamsReset)]
        ),
        now,
    )
    assert (9,) in [e.stream_ids for e in p.of("b", StreamsReset)]


def test_local_reset_of_many_streams_is_split_to_fit() -> None:
    p = established()
    seen = sizes_to_a(p)
    p.b.reset_streams(list(range(3000)), 0.0)
    p.run_until(lambda: len(streams_reset(p.events["b"], OutgoingStreamsReset)) == 3000, 0.0)
    assert max(seen) <= 1200
    assert streams_reset(p.events["a"], StreamsReset) == set(range(3000))


def test_incoming_reset_of_unnegotiated_streams_asks_only_for_ours() -> None:
    p = Pair(max_outbound_streams=16, max_inbound_streams=16)
    p.connect()
    assert p.b.reset is not None and p.a.reset is not None
    request = ch.IncomingSsnResetRequest(p.b.reset.peer_seq, (3, 16, 40000))
    inject(p, [ch.ReconfigChunk([request]).serialize()])
    p.a.reset.local_seq += 1
    p.run_until(lambda: bool(p.of("b", OutgoingStreamsReset)), 0.0)
    assert [e.stream_ids for e in p.of("b", OutgoingStreamsReset)] == [(3,)]


def empty_data(tsn: int) -> bytes:
    return struct.pack("!BBHIHHI", 0, 3, 16, tsn, 1, 0, 51)  # length 16: no user data


def assert_no_user_data_abort(p: Pair, out: list[bytes], tsn: int) -> None:
    aborts = [c for pkt in out for c in parse_packet(pkt).chunks if isinstance(c, ch.AbortChunk)]
    assert len(aborts) == 1
    assert aborts[0].causes == [(ch.CAUSE_NO_USER_DATA, struct.pack("!I", tsn))]
    assert p.b.state == "closed" and p.b.stats["no_user_data"] == 1
    assert p.b.get_timer() is None
    assert [type(e) for e in p.b._events][-1:] == [AssociationClosed]


def test_zero_length_data_aborts_with_no_user_data() -> None:
    p = established()
    assert p.b.receiver is not None
    tsn = (p.b.receiver.cum + 1) & 0xFFFFFFFF
    inject(p, [empty_data(tsn)])  # a DATA-only packet: the hot path
    assert_no_user_data_abort(p, p.b.datagrams_to_send(0.0), tsn)


def test_zero_length_data_bundled_with_other_chunks_aborts_too() -> None:
    p = established()
    assert p.b.receiver is not None
    tsn = (p.b.receiver.cum + 1) & 0xFFFFFFFF
    heartbeat = ch.HeartbeatChunk([(ch.PARAM_HEARTBEAT_INFO, b"hb")]).serialize()
    inject(p, [heartbeat, empty_data(tsn)])  # the general path
    assert_no_user_data_abort(p, p.b.datagrams_to_send(0.0), tsn)


def unknown(ctype: int, size: int) -> bytes:
    return ch.UnknownChunk(ctype, 0, b"u" * size).serialize()


def test_unknown_chunk_report_is_never_larger_than_the_input() -> None:
    p = established()
    b: Association = p.b
    # One large "skip and report" chunk (action 3), then many tiny ones in one packet.
    cases = [[unknown(0xC1, 1152)], [unknown(0xC1, 0)] * 250, [unknown(0x41, 8)] * 3]
    for chunks in cases:
        size_in = inject(p, chunks)
        out = b.datagrams_to_send(0.0)
        assert sum(len(d) for d in out) <= size_in + 8, (size_in, [len(d) for d in out])
        errors = [c for d in out for c in parse_packet(d).chunks if isinstance(c, ch.ErrorChunk)]
        assert len(errors) == 1 and errors[0].causes[0][0] == ch.CAUSE_UNRECOGNIZED_CHUNK
        assert errors[0].causes[0][1] == chunks[0]  # the chunk itself (RFC 9260 §3.3.10.6)
    assert b.stats["unknown_not_reported"] == 249
    # A report that would not fit the PLPMTU is not sent; the association goes on.
    size_in = inject(p, [unknown(0x41, 4000)])
    assert b.datagrams_to_send(0.0) == [] and size_in > 4000
    assert b.stats["unknown_not_reported"] == 250 and b.state == "established"

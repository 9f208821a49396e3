"""PAD chunk (RFC 4820) and the PLPMTUD probe packet (RFC 8899 §6.2: HEARTBEAT + PAD)."""

from __future__ import annotations

import random

import pytest

from rtcpeer.sctp import chunks as ch
from rtcpeer.sctp.association import Association
from rtcpeer.sctp.packet import parse_packet, serialize_packet


def test_pad_chunk_wire_format_and_round_trip() -> None:
    raw = ch.PadChunk(4).serialize()
    assert raw == bytes.fromhex("8400000800000000")
    assert ch.parse_chunks(raw) == [ch.PadChunk(4)]
    odd = ch.PadChunk(3).serialize()  # length 7, one byte of chunk padding
    assert odd == bytes.fromhex("8400000700000000")
    assert ch.parse_chunks(odd) == [ch.PadChunk(3)]


def _established(mtu: int = 1200) -> tuple[Association, Association]:
    a = Association(rng=random.Random(1), mtu=mtu)
    b = Association(rng=random.Random(2), mtu=mtu)
    a.connect(0.0)
    for _ in range(10):
        for src, dst in ((a, b), (b, a)):
            for packet in src.datagrams_to_send(0.0):
                dst.receive_datagram(packet, 0.0)
    assert a.state == b.state == "established"
    return a, b


@pytest.mark.parametrize(("mtu", "size"), [(1200, 1200), (1163, 1160)])
def test_base_probe_is_heartbeat_plus_pad_of_exact_size(mtu: int, size: int) -> None:
    a, _ = _established(mtu)
    (probe,) = a.probe_datagrams_to_send(0.0)
    assert len(probe) == size
    packet = parse_packet(probe)
    assert packet.verification_tag == a.peer_tag
    hb, pad = packet.chunks
    assert isinstance(hb, ch.HeartbeatChunk) and isinstance(pad, ch.PadChunk)
    ((typ, info),) = hb.params
    assert typ == ch.PARAM_HEARTBEAT_INFO and info[:4] == b"PLPM"
    assert int.from_bytes(info[-4:], "big") == size
    assert a.probe_datagrams_to_send(0.0) == []  # one probe at a time
    assert a.datagrams_to_send(0.0) == []  # never bundled with (or sent as) DATA


def test_receiver_ignores_pad_and_answers_the_heartbeat() -> None:
    a, b = _established()
    (probe,) = a.probe_datagrams_to_send(0.0)
    b.receive_datagram(probe, 0.0)
    (answer,) = b.datagrams_to_send(0.0)
    (ack,) = parse_packet(answer).chunks
    hb = parse_packet(probe).chunks[0]
    assert isinstance(hb, ch.HeartbeatChunk)
    assert ack == ch.HeartbeatAckChunk(hb.params)
    assert b.stats["unknown_chunks"] == 0 and b.stats["dropped"] == 0
    assert len(answer) < 100  # the ack echoes the info, not the padding


def test_unknown_chunk_with_pads_type_bits_is_skipped_silently() -> None:
    """What a receiver that does not know PAD does with it (RFC 9260 §3.2: upper bits 10 =
    skip the chunk, go on with the packet, report nothing): here with unassigned type 0x8F."""
    _, b = _established()
    hb = ch.HeartbeatChunk([(ch.PARAM_HEARTBEAT_INFO, b"x" * 16)]).serialize()
    unknown = ch.UnknownChunk(0x8F, 0, bytes(40)).serialize()
    raw = serialize_packet(5000, 5000, b.local_tag, [unknown, hb])
    b.receive_datagram(raw, 0.0)
    (answer,) = b.datagrams_to_send(0.0)
    assert parse_packet(answer).chunks == [ch.HeartbeatAckChunk([(1, b"x" * 16)])]

"""The JSEP m-line table (RFC 9429 §5.2.1, §5.2.2, §5.10): rows allocated once, in order."""

from __future__ import annotations

from dataclasses import dataclass

from rtcpeer._mlines import MLine, MLineTable
from rtcpeer.sdp.parse import parse


@dataclass(eq=False)
class Tx:
    kind: str


def _offer(*sections: tuple[str, str, int]) -> str:
    lines = ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "t=0 0"]
    for kind, mid, port in sections:
        if kind == "application":
            lines += [f"m=application {port} UDP/DTLS/SCTP webrtc-datachannel"]
        else:
            lines += [f"m={kind} {port} UDP/TLS/RTP/SAVPF 111", "a=rtpmap:111 opus/48000/2"]
        lines += ["c=IN IP4 0.0.0.0", f"a=mid:{mid}"]
    return "\r\n".join(lines) + "\r\n"


def _shape(table: MLineTable[Tx]) -> list[tuple[int, str, str, str]]:
    return [(r.index, r.mid, r.kind, r.role) for r in table.rows]


def test_offer_allocates_mids_once_and_is_repeatable() -> None:
    a, v = Tx("audio"), Tx("video")
    empty: MLineTable[Tx] = MLineTable()
    first = empty.propose_offer([a, v], want_data=True)
    again = empty.propose_offer([a, v], want_data=True)
    assert (
        _shape(first)
        == _shape(again)
        == [
            (0, "0", "audio", "transceiver"),
            (1, "1", "video", "transceiver"),
            (2, "2", "application", "data"),
        ]
    )
    assert first.row_for(a) is not None and first.row_for(a).mid == "0"  # type: ignore[union-attr]
    # A committed table keeps its rows; a new transceiver is appended with a fresh mid.
    w = Tx("video")
    later = first.propose_offer([a, v, w], want_data=True)
    assert _shape(later)[:3] == _shape(first)
    assert _shape(later)[3] == (3, "3", "video", "transceiver")


def test_rejected_row_is_recycled_with_a_new_mid() -> None:
    a, v = Tx("audio"), Tx("video")
    table = MLineTable[Tx]().propose_offer([a, v], want_data=False).reject(a)
    assert _shape(table) == [(0, "0", "audio", "rejected"), (1, "1", "video", "transceiver")]
    w = Tx("video")
    recycled = table.propose_offer([v, w], want_data=True)
    # RFC 9429 §5.2.2: the new section takes the zero-port index, with a mid never used before.
    assert _shape(recycled) == [
        (0, "2", "video", "transceiver"),
        (1, "1", "video", "transceiver"),
        (2, "3", "application", "data"),
    ]


def test_remote_offer_rows_follow_the_offer() -> None:
    asked: list[MLine[Tx]] = []
    mine = Tx("audio")

    def associate(row: MLine[Tx]) -> Tx | None:
        asked.append(row)
        return mine if row.kind == "audio" else None

    offer = parse(
        _offer(("audio", "a", 9), ("video", "v", 9), ("application", "d", 9), ("audio", "x", 0))
    )
    table = MLineTable[Tx]().apply_remote_offer(offer, associate)
    assert _shape(table) == [
        (0, "a", "audio", "transceiver"),
        (1, "v", "video", "rejected"),
        (2, "d", "application", "data"),
        (3, "x", "audio", "rejected"),
    ]
    assert [r.mid for r in asked] == ["a", "v"]  # not asked for the port-0 section
    assert table.row_by_mid("a") is not None and table.row_by_mid("a").owner is mine  # type: ignore[union-attr]
    # Our later offer keeps every row; a data row is not added twice; new mids avoid theirs.
    committed = table.apply_answer(["a", "d"])
    again = committed.propose_offer([mine, Tx("video")], want_data=True)
    assert _shape(again) == [
        (0, "a", "audio", "transceiver"),
        (1, "0", "video", "transceiver"),
        (2, "d", "application", "data"),
        (3, "x", "audio", "rejected"),
    ]


def test_answer_rejection_and_first_accepted() -> None:
    table = MLineTable[Tx]().propose_offer([Tx("audio")], want_data=True)
    answered = table.apply_answer(["1"])
    assert _shape(answered) == [(0, "0", "audio", "rejected"), (1, "1", "application", "data")]
    first = answered.first_accepted()
    assert first is not None and (first.mid, first.index) == ("1", 1)
    assert answered.data_row() is not None

from __future__ import annotations

from sctp_pair_helpers import Pair

from rtcpeer.sctp.events import AssociationEstablished, DataReceived


def test_setup() -> None:
    p = Pair()
    p.connect()
    assert p.a.state == "established" and p.b.state == "established"
    assert p.of("a", AssociationEstablished) and p.of("b", AssociationEstablished)
    assert p.a.outbound_streams == 65535
    assert p.a.get_timer() is None and p.b.get_timer() is None


def test_init_collision() -> None:
    p = Pair()
    p.connect(both=True)
    assert p.a.state == "established" and p.b.state == "established"
    assert len(p.of("a", AssociationEstablished)) == 1
    assert len(p.of("b", AssociationEstablished)) == 1
    p.a.send(1, 51, b"x", 0.0)
    p.b.send(1, 51, b"y", 0.0)
    p.transfer(0.0)
    assert p.of("b", DataReceived) == [DataReceived(1, 51, b"x")]
    assert p.of("a", DataReceived) == [DataReceived(1, 51, b"y")]


def test_init_loss_t1_timer() -> None:
    p = Pair()
    p.drop = lambda d, i, pkt: not (d == "a>b" and i == 0)
    p.connect()
    assert p.a.state == "cookie-wait"
    assert p.a.get_timer() == 1.0 and p.a.timer_reason == "sctp.t1-init"
    p.drop = lambda d, i, pkt: not (d == "a>b" and i == 1)
    now = p.advance(0.0)
    assert now == 1.0
    assert p.a.get_timer() == 3.0  # doubled
    now = p.advance(now)
    assert now == 3.0
    assert p.a.state == "established" and p.b.state == "established"


def test_cookie_echo_loss() -> None:
    p = Pair()
    p.drop = lambda d, i, pkt: not (d == "a>b" and i == 1)
    p.connect()
    assert p.a.state == "cookie-echoed"
    assert p.a.get_timer() == 1.0 and p.a.timer_reason == "sctp.t1-cookie"
    p.advance(0.0)
    assert p.a.state == "established" and p.b.state == "established"

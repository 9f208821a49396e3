"""In-process pieces of the room server: tokens, the token bucket, static path resolution,
and the LocalBroker's presence bookkeeping."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from signaling.messages import Offer, PeerInfo, PeerJoined, PeerLeft
from signaling.server.broker import LocalBroker, RoomFull
from signaling.server.limits import Limits, TokenBucket, parse_rate, utf8_length_exceeds
from signaling.server.static import StaticFiles
from signaling.server.tokens import (
    SecretError,
    TokenError,
    load_secret,
    mint_token,
    verify_token,
)

KEY = b"k" * 32


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_token_round_trip_and_claims() -> None:
    token = mint_token(KEY, "r1", ttl=60, name="ann", now=1000.0)
    claims = verify_token(KEY, token, "r1", now=1059.0)
    assert (claims.room, claims.exp, claims.name) == ("r1", 1060, "ann")
    assert mint_token(KEY, "r1", now=0) != mint_token(KEY, "r1", now=0)  # nonce


@pytest.mark.parametrize(
    ("token", "code"),
    [
        (None, "bad-token"),
        ("", "bad-token"),
        (42, "bad-token"),
        ("a.b.c", "bad-token"),
        ("abc", "bad-token"),
        ("abc.!!!", "bad-token"),
        ("é.abc", "bad-token"),
        ("x" * 5000 + ".y", "bad-token"),
    ],
)
def test_garbage_tokens(token: object, code: str) -> None:
    with pytest.raises(TokenError) as info:
        verify_token(KEY, token, "r1", now=0)
    assert info.value.code == code


def test_token_checks_in_order() -> None:
    token = mint_token(KEY, "r1", ttl=10, now=100.0)
    with pytest.raises(TokenError, match="expired") as info:
        verify_token(KEY, token, "r1", now=110.0)
    assert info.value.code == "expired-token"
    with pytest.raises(TokenError) as info:
        verify_token(KEY, token, "r2", now=100.0)
    assert info.value.code == "wrong-room"
    # An expired token for another room signed with another key: the MAC is checked first.
    with pytest.raises(TokenError) as info:
        verify_token(b"z" * 32, token, "r2", now=500.0)
    assert info.value.code == "bad-token"
    # Tampering with the payload (room, exp) breaks the MAC.
    payload, mac = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    for change in ({"room": "r2"}, {"exp": 10**10}):
        forged = b64(json.dumps({**claims, **change}).encode()) + "." + mac
        with pytest.raises(TokenError) as info:
            verify_token(KEY, forged, claims.get("room", "r1"), now=100.0)
        assert info.value.code == "bad-token"


def test_authentic_but_odd_payload_is_refused_not_crashing() -> None:
    import hashlib
    import hmac

    for payload_obj in ([1], {"room": "r1"}, {"room": "r1", "exp": True, "nonce": "n"}):
        payload = b64(json.dumps(payload_obj).encode())
        mac = b64(hmac.new(KEY, payload.encode(), hashlib.sha256).digest())
        with pytest.raises(TokenError) as info:
            verify_token(KEY, f"{payload}.{mac}", "r1", now=0)
        assert info.value.code == "bad-token"


def test_load_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIGNALING_SECRET", raising=False)
    with pytest.raises(SecretError, match="SIGNALING_SECRET"):
        load_secret()
    monkeypatch.setenv("SIGNALING_SECRET", "short")
    with pytest.raises(SecretError, match="shorter"):
        load_secret()
    monkeypatch.setenv("SIGNALING_SECRET", "s" * 20)
    assert load_secret() == b"s" * 20
    (tmp_path / "f").write_text("f" * 20 + "\n")
    assert load_secret(tmp_path / "f") == b"f" * 20  # the file wins, newline stripped
    with pytest.raises(SecretError, match="cannot read"):
        load_secret(tmp_path / "missing")


def test_token_bucket() -> None:
    bucket = TokenBucket(rate=2.0, burst=3, now=0.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert not bucket.take(0.4)  # 0.8 tokens
    assert bucket.take(0.5)  # 1.0 token
    assert [bucket.take(100.0) for _ in range(4)] == [True, True, True, False]  # capped
    assert parse_rate("20/s") == parse_rate("20") == 20.0
    with pytest.raises(ValueError):
        parse_rate("fast")


def test_size_limits() -> None:
    assert not utf8_length_exceeds("a" * 10, 10)
    assert utf8_length_exceeds("a" * 11, 10)
    assert utf8_length_exceeds("é" * 6, 10)  # 12 bytes
    assert not utf8_length_exceeds("é" * 5, 10)
    assert Limits(max_message_bytes=1000).websocket_max_size() == 1 << 20
    assert Limits(max_message_bytes=1 << 20).websocket_max_size() == 16 << 20
    assert Limits(max_message_bytes=100, hard_max_bytes=50).websocket_max_size() == 100


def test_static_resolution(tmp_path: Path) -> None:
    root = tmp_path / "static"
    (root / "sub").mkdir(parents=True)
    (root / "index.html").write_text("<p>hi</p>")
    (root / "sub" / "a.js").write_text("export {}")
    (root / ".hidden").write_text("no")
    (tmp_path / "secret.txt").write_text("secret")
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")
    files = StaticFiles(root)
    assert files.resolve("/") == (root / "index.html").resolve()
    assert files.resolve("/sub/a.js?v=1") == (root / "sub" / "a.js").resolve()
    for bad in (
        "/../secret.txt",
        "/sub/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/sub%2f..%2f..%2fsecret.txt",
        "/..\\secret.txt",
        "/.hidden",
        "/link.txt",
        "/sub",
        "//etc/passwd",
        "/sub//a.js",
        "/%00",
        "relative",
        "/nope.html",
        "/%ff",
    ):
        assert files.resolve(bad) is None, bad
        assert files.respond(bad).status_code == 404, bad


async def test_local_broker_presence_and_capacity() -> None:
    broker = LocalBroker()
    got: dict[str, list[object]] = {"a": [], "b": [], "c": []}
    assert await broker.join("r", PeerInfo("a", "A"), got["a"].append, capacity=2) == []
    peers = await broker.join("r", PeerInfo("b", None), got["b"].append, capacity=2)
    assert peers == [PeerInfo("a", "A")]
    with pytest.raises(RoomFull):
        await broker.join("r", PeerInfo("c", "C"), got["c"].append, capacity=2)
    assert got["a"] == [PeerJoined("b", None)] and got["b"] == []
    assert await broker.publish(
        "r", Offer({"type": "offer", "sdp": ""}, sender="a"), sender="a", to=None
    )
    assert not await broker.publish("r", Offer({"type": "offer", "sdp": ""}), sender="a", to="zz")
    assert len(got["b"]) == 1 and len(got["a"]) == 1
    await broker.leave("r", "b")
    await broker.leave("r", "b")  # idempotent
    assert got["a"][-1] == PeerLeft("b")
    await broker.close()
    assert broker.local.rooms == {}


def test_heartbeats_skip_joins_in_flight() -> None:
    """Regression: a Redis heartbeat pass ran over a participant whose join was still in
    flight, found it missing from the shared presence and evicted it, and the join then
    failed with KeyError (close 1011) — seen in the node-death test."""
    from signaling.server.broker import LocalDelivery, PeerInfo

    local = LocalDelivery()
    local.add("r", PeerInfo("a", "alice"), lambda frame: None, [])
    local.add_pending("r", PeerInfo("d", "dave"), lambda frame: None)
    assert local.items() == [("r", "a")]
    local.activate("r", "d", [PeerInfo("a", "alice")])
    assert sorted(local.items()) == [("r", "a"), ("r", "d")]

"""Room server over real WebSocket connections: the server runs as a subprocess
(``python -m signaling.server``) with the in-process broker."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest
from server_fixtures import (
    REPO,
    SECRET,
    Client,
    answer,
    mint,
    offer,
    running_server,
    server_env,
)


async def join_pair(url: str, room: str = "r1") -> tuple[Client, Client]:
    alice, bob = await Client.connect(url), await Client.connect(url)
    await alice.join(room, mint(room), "alice")
    await bob.join(room, mint(room), "bob")
    joined = await alice.expect("peer-joined")
    assert joined == {"type": "peer-joined", "id": bob.id, "name": "bob"}
    return alice, bob


async def exchange_ok(alice: Client, bob: Client) -> None:
    """An offer/answer round between two participants, addressed by id."""
    await alice.send(offer("v=0\r\no=alice\r\n", to=bob.id))
    got = await bob.expect("offer")
    assert got["from"] == alice.id and got["description"]["sdp"] == "v=0\r\no=alice\r\n"
    await bob.send(answer("v=0\r\no=bob\r\n", to=alice.id))
    got = await alice.expect("answer")
    assert got["from"] == bob.id and got["description"]["sdp"] == "v=0\r\no=bob\r\n"


# ------------------------------------------------------------------------------ tokens


def test_mint_token_cli_and_join(tmp_path: Path) -> None:
    minted = subprocess.run(
        [
            sys.executable,
            "-m",
            "signaling.server",
            "mint-token",
            "--room",
            "r1",
            "--ttl",
            "60",
            "--name",
            "carol",
        ],
        capture_output=True,
        text=True,
        env=server_env(),
        cwd=REPO,
        timeout=30,
        check=True,
    )
    token = minted.stdout.strip()
    assert token.count(".") == 1

    async def scenario(url: str) -> None:
        carol = await Client.connect(url)
        # The token's name wins over the name in the join frame.
        joined = await carol.join("r1", token, "mallory")
        assert joined["room"] == "r1" and joined["peers"] == [] and len(joined["id"]) >= 16
        dave = await Client.connect(url)
        joined = await dave.join("r1", mint("r1"), "dave")
        assert joined["peers"] == [{"id": carol.id, "name": "carol"}]
        await carol.close()
        await dave.close()

    with running_server(tmp_path) as server:
        asyncio.run(scenario(server.ws_url))


def test_mint_token_without_secret_fails() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "signaling.server", "mint-token", "--room", "r1"],
        capture_output=True,
        text=True,
        env=server_env(None),
        cwd=REPO,
        timeout=30,
    )
    assert result.returncode == 2 and "SIGNALING_SECRET" in result.stderr
    assert result.stdout == ""


def test_server_refuses_to_start_without_secret() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "signaling.server", "--port", "0"],
        capture_output=True,
        text=True,
        env=server_env(None),
        cwd=REPO,
        timeout=30,
    )
    assert result.returncode == 2
    assert "refusing to start" in result.stderr and "--insecure-dev-mode" in result.stderr


def test_secret_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("file-secret-abcdefghijklmnop\n")

    async def scenario(url: str) -> None:
        ok = await Client.connect(url)
        await ok.join("r1", mint("r1", secret="file-secret-abcdefghijklmnop"))
        env_signed = await Client.connect(url)
        await env_signed.send({"type": "join", "room": "r1", "token": mint("r1")})
        assert (await env_signed.expect("error"))["code"] == "bad-token"
        assert await env_signed.closed() == 1008
        await ok.close()

    with running_server(tmp_path, "--secret-file", str(secret_file), secret=None) as server:
        asyncio.run(scenario(server.ws_url))


def _tampered() -> str:
    payload, mac = mint("r1").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["room"] = "r2"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{forged}.{mac}"


REFUSED = {
    "expired": (lambda: mint("r2", ttl=-1), "expired-token"),
    "wrong-room": (lambda: mint("r1"), "wrong-room"),
    "other-secret": (lambda: mint("r2", secret="another-secret-0123456789"), "bad-token"),
    "tampered-payload": (_tampered, "bad-token"),
    "garbage": (lambda: "not-a-token", "bad-token"),
    "garbage-two-parts": (lambda: "e30.AAAA", "bad-token"),
    "missing": (lambda: None, "bad-token"),
}


async def test_tokens_refused(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        for case, (make, code) in REFUSED.items():
            client = await Client.connect(server.ws_url)
            frame = {"type": "join", "room": "r2", "name": "eve"}
            token = make()
            if token is not None:
                frame["token"] = token
            await client.send(frame)
            error = await client.expect("error")
            assert error["code"] == code, (case, error)
            assert await client.closed() == 1008, case
        # The server still admits a valid token afterwards.
        ok = await Client.connect(server.ws_url)
        await ok.join("r2", mint("r2"))
        await ok.close()
        refused = [r for r in server.log_records() if r["event"] == "join-refused"]
        assert sorted(r["code"] for r in refused) == sorted(code for _, code in REFUSED.values())


async def test_insecure_dev_mode(tmp_path: Path) -> None:
    with running_server(tmp_path, "--insecure-dev-mode", secret=None) as server:
        client = await Client.connect(server.ws_url)
        joined = await client.join("anything", None, "dev")
        assert joined["peers"] == []
        await client.close()
        records = server.log_records()
        start = [r for r in records if r["event"] == "insecure-dev-mode"]
        joins = [r for r in records if r["event"] == "insecure-join"]
        assert start and start[0]["level"] == "WARNING" and "INSECURE" in start[0]["msg"]
        assert joins and joins[0]["level"] == "WARNING" and joins[0]["room"] == "anything"


# ------------------------------------------------------------------- rooms and routing


async def test_presence_and_routing(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        alice, bob = await join_pair(server.ws_url)
        carol = await Client.connect(server.ws_url)
        joined = await carol.join("r1", mint("r1"), "carol")
        assert sorted(p["name"] for p in joined["peers"]) == ["alice", "bob"]
        assert (await alice.expect("peer-joined"))["id"] == carol.id
        assert (await bob.expect("peer-joined"))["id"] == carol.id

        # Broadcast: everyone else, stamped with the real sender (a forged "from" is replaced).
        await alice.send(offer(**{"from": "someone-else"}))
        for peer in (bob, carol):
            got = await peer.expect("offer")
            assert got["from"] == alice.id
        await alice.quiet(0.2)

        # Addressed: only the recipient.
        await alice.send(
            {
                "type": "candidate",
                "to": carol.id,
                "candidate": {
                    "candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host",
                    "sdpMid": "0",
                    "sdpMLineIndex": 0,
                    "usernameFragment": "u",
                },
            }
        )
        got = await carol.expect("candidate")
        assert got["from"] == alice.id and got["to"] == carol.id
        assert got["candidate"]["sdpMid"] == "0"
        await alice.send({"type": "end-of-candidates"})
        assert (await bob.expect("end-of-candidates"))["from"] == alice.id  # not the candidate
        assert (await carol.expect("end-of-candidates"))["from"] == alice.id

        # A different room is a different world.
        dave = await Client.connect(server.ws_url)
        assert (await dave.join("r9", mint("r9"), "dave"))["peers"] == []
        await bob.send({"type": "bye"})
        await alice.expect("bye")
        await carol.expect("bye")
        await dave.quiet(0.2)
        for c in (alice, bob, carol, dave):
            await c.close()


async def test_peer_left(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        alice, bob = await join_pair(server.ws_url)
        await bob.close()
        assert await alice.expect("peer-left") == {"type": "peer-left", "id": bob.id}
        # A newcomer does not see bob any more.
        carol = await Client.connect(server.ws_url)
        joined = await carol.join("r1", mint("r1"), "carol")
        assert joined["peers"] == [{"id": alice.id, "name": "alice"}]
        await carol.close()
        await alice.close()
        events = [(r["event"], r.get("participant")) for r in server.log_records()]
        assert ("leave", bob.id) in events


async def test_not_joined_and_second_join(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        client = await Client.connect(server.ws_url)
        await client.send(offer())
        assert (await client.expect("error"))["code"] == "not-joined"
        await client.send({"type": "join", "room": "bad room!", "token": mint("r1")})
        assert (await client.expect("error"))["code"] == "malformed"
        await client.join("r1", mint("r1"))  # the connection is still usable
        await client.send({"type": "join", "room": "r1", "token": mint("r1")})
        assert (await client.expect("error"))["code"] == "malformed"
        await client.send({"type": "peer-left", "id": "x"})  # server-to-client type
        assert (await client.expect("error"))["code"] == "unknown-type"
        await client.close()


async def test_unknown_peer(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        alice, bob = await join_pair(server.ws_url)
        other = await Client.connect(server.ws_url)
        await other.join("r2", mint("r2"))
        for to in ("no-such-id", other.id):  # nonexistent, and in another room
            await alice.send(offer(to=to))
            error = await alice.expect("error")
            assert error["code"] == "unknown-peer"
        await bob.quiet(0.2)
        await other.quiet(0.1)
        await exchange_ok(alice, bob)
        for c in (alice, bob, other):
            await c.close()


async def test_room_full(tmp_path: Path) -> None:
    with running_server(tmp_path, "--max-participants", "2") as server:
        alice, bob = await join_pair(server.ws_url)
        carol = await Client.connect(server.ws_url)
        await carol.send({"type": "join", "room": "r1", "token": mint("r1")})
        assert (await carol.expect("error"))["code"] == "room-full"
        assert await carol.closed() == 1008
        await alice.quiet(0.2)  # no presence event for a refused join
        await bob.close()
        await alice.expect("peer-left")
        dave = await Client.connect(server.ws_url)
        await dave.join("r1", mint("r1"), "dave")  # room has space again
        assert (await alice.expect("peer-joined"))["id"] == dave.id
        await exchange_ok(alice, dave)
        await alice.close()
        await dave.close()


# ------------------------------------------------------------------------------ limits


async def test_bad_frames_get_errors_and_everyone_keeps_working(tmp_path: Path) -> None:
    args = ("--max-message-bytes", "2048", "--max-frame-bytes", "8192")
    with running_server(tmp_path, *args) as server:
        alice, bob = await join_pair(server.ws_url)
        bad: list[tuple[str | bytes, str]] = [
            ("{not json", "malformed"),
            ("[1, 2]", "malformed"),
            ('{"no": "type"}', "malformed"),
            ('{"type": "offer", "description": {"type": "answer", "sdp": ""}}', "malformed"),
            ('{"type": "candidate"}', "malformed"),
            (b'{"type": "bye"}', "malformed"),  # binary frame
            ('{"type": "shout", "text": "hi"}', "unknown-type"),
            (json.dumps(offer("x" * 3000, to=bob.id)), "too-large"),
            (json.dumps(offer("\u00e9" * 1100, to=bob.id)), "too-large"),  # 2200 UTF-8 bytes
        ]
        for frame, code in bad:
            await alice.send(frame)
            error = await alice.expect("error")
            assert error["code"] == code, (frame[:60], error)
            assert isinstance(error["message"], str) and error["message"]
            await exchange_ok(alice, bob)  # the connection still works, both ways
        await bob.quiet(0.2)  # nothing bad was forwarded

        # Just under the limit passes.
        big = offer("y" * 1900, to=bob.id)
        await alice.send(big)
        assert (await bob.expect("offer"))["description"]["sdp"] == "y" * 1900

        # Over the hard websockets limit: that connection is closed (1009), the others live on.
        carol = await Client.connect(server.ws_url)
        await carol.join("r1", mint("r1"), "carol")
        await alice.expect("peer-joined")
        await bob.expect("peer-joined")
        await carol.send(json.dumps(offer("z" * 10000)))
        assert await carol.closed() == 1009
        assert (await alice.expect("peer-left"))["id"] == carol.id
        assert (await bob.expect("peer-left"))["id"] == carol.id
        await exchange_ok(alice, bob)
        await alice.close()
        await bob.close()


async def test_rate_limit(tmp_path: Path) -> None:
    with running_server(tmp_path, "--rate", "5/s", "--burst", "5") as server:
        alice = await Client.connect(server.ws_url)
        bob = await Client.connect(server.ws_url)
        await alice.join("r1", mint("r1"), "alice")  # 1 token of alice's 5
        await bob.join("r1", mint("r1"), "bob")
        await alice.expect("peer-joined")
        sent = 30
        for i in range(sent):
            await alice.send(
                {
                    "type": "candidate",
                    "to": bob.id,
                    "candidate": {"candidate": f"candidate:{i} 1 udp 1 127.0.0.1 9 typ host"},
                }
            )
        errors = 0
        delivered = []
        with pytest.raises(TimeoutError):
            while True:
                delivered.append(await bob.expect("candidate", timeout=0.5))
        while errors < sent - len(delivered):
            error = await alice.expect("error")
            assert error["code"] == "rate-limited"
            errors += 1
        await alice.quiet(0.2)
        # 4 tokens left after the join, plus what refilled at 5/s while the burst was sent.
        assert 4 <= len(delivered) <= 6, len(delivered)
        assert errors == sent - len(delivered) >= 24
        # Forwarded frames are the first ones, in order.
        assert [d["candidate"]["candidate"].split()[0] for d in delivered] == [
            f"candidate:{i}" for i in range(len(delivered))
        ]
        # The bucket refills: after a second, frames pass again.
        await asyncio.sleep(1.1)
        await alice.send({"type": "bye", "to": bob.id})
        assert (await bob.expect("bye"))["from"] == alice.id
        await alice.close()
        await bob.close()


# ------------------------------------------------------------------------------ logs


async def test_logs_are_json_lines_without_bodies(tmp_path: Path) -> None:
    marker = "SDP-BODY-MUST-NOT-BE-LOGGED"
    with running_server(tmp_path, "--log-level", "DEBUG") as server:
        alice, bob = await join_pair(server.ws_url)
        await alice.send(offer(f"v=0\r\ns={marker}\r\n", to=bob.id))
        await bob.expect("offer")
        await alice.send("{oops")
        await alice.expect("error")
        await bob.close()
        await alice.expect("peer-left")
        await alice.close()
        await asyncio.sleep(0.2)
        records = server.log_records()  # every line parses as a JSON object
        text = server.log_text()
    assert marker not in text
    assert SECRET not in text
    for record in records:
        assert {"ts", "level", "event", "msg"} <= record.keys()
    joins = [r for r in records if r["event"] == "join"]
    assert {(r["room"], r["participant"]) for r in joins} == {("r1", alice.id), ("r1", bob.id)}
    relay = [r for r in records if r["event"] == "relay"]
    assert relay and relay[0]["type"] == "offer" and relay[0]["to"] == bob.id
    errors = [r for r in records if r["event"] == "frame-error"]
    assert errors and errors[0]["code"] == "malformed" and errors[0]["participant"] == alice.id


# ------------------------------------------------------------------------ static files


async def http_get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    """A raw HTTP/1.1 GET (the path is sent exactly as given, no client normalisation)."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    await asyncio.wait_for(writer.wait_closed(), 5)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


async def test_static_files_and_traversal(tmp_path: Path) -> None:
    root = tmp_path / "www"
    (root / "css").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><p>demo</p>")
    (root / "client.js").write_text("export const x = 1;\n")
    (root / "css" / "site.css").write_text("p{}")
    (tmp_path / "outside.txt").write_text("TOP SECRET")
    (root / "escape.txt").symlink_to(tmp_path / "outside.txt")
    with running_server(tmp_path, "--static-dir", str(root)) as server:
        cases = {
            "/": (200, "text/html; charset=utf-8", b"<!doctype html><p>demo</p>"),
            "/index.html": (200, "text/html; charset=utf-8", b"<!doctype html><p>demo</p>"),
            "/client.js": (200, "text/javascript; charset=utf-8", b"export const x = 1;\n"),
            "/css/site.css?v=2": (200, "text/css; charset=utf-8", b"p{}"),
        }
        for path, (status, ctype, body) in cases.items():
            got = await http_get(server.port, path)
            assert got[0] == status and got[1]["content-type"] == ctype and got[2] == body, path
            assert got[1]["x-content-type-options"] == "nosniff"
        for path in (
            "/missing.js",
            "/../outside.txt",
            "/css/../../outside.txt",
            "/%2e%2e/outside.txt",
            "/..%2foutside.txt",
            "/css%2f..%2f..%2foutside.txt",
            "/escape.txt",
            "/css",
            "/..%5coutside.txt",
        ):
            status, _, body = await http_get(server.port, path)
            assert status == 404 and b"TOP SECRET" not in body, path
        # The WebSocket endpoint still works next to the files.
        client = await Client.connect(server.ws_url)
        await client.join("r1", mint("r1"))
        await client.close()


async def test_default_static_dir(tmp_path: Path) -> None:
    """Without --static-dir the package's signaling/static/ is served (files as they are)."""
    static = REPO / "signaling" / "static"
    with running_server(tmp_path) as server:
        for path, name, ctype in (
            ("/", "index.html", "text/html"),
            ("/client.js", "client.js", "text/javascript"),
        ):
            status, headers, body = await http_get(server.port, path)
            if (static / name).is_file():
                assert status == 200 and body == (static / name).read_bytes()
                assert headers["content-type"].startswith(ctype)
            else:
                assert status == 404

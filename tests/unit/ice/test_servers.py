"""ICE server URL parsing (RFC 7064/7065) and W3C validation errors."""

from __future__ import annotations

import pytest

from rtcpeer.errors import InvalidAccessError, NotSupportedError, SyntaxError_
from rtcpeer.ice import IceServer, parse_servers, parse_url

U, P = "user", "pass"

VALID = [
    ("stun:stun.example.org", "stun", "stun.example.org", 3478, "udp", False),
    ("stun:stun.example.org:19302", "stun", "stun.example.org", 19302, "udp", False),
    ("STUN:1.2.3.4:1000", "stun", "1.2.3.4", 1000, "udp", False),
    ("stun:[::1]", "stun", "::1", 3478, "udp", False),
    ("stun:[2001:db8::1]:5000", "stun", "2001:db8::1", 5000, "udp", False),
    ("turn:turn.example.org", "turn", "turn.example.org", 3478, "udp", False),
    ("turn:turn.example.org:3479?transport=udp", "turn", "turn.example.org", 3479, "udp", False),
    ("turn:127.0.0.1:3478?transport=tcp", "turn", "127.0.0.1", 3478, "tcp", False),
    ("turn:[::1]?transport=TCP", "turn", "::1", 3478, "tcp", False),
    ("turns:turn.example.org", "turn", "turn.example.org", 5349, "tcp", True),
    ("turns:turn.example.org:443?transport=tcp", "turn", "turn.example.org", 443, "tcp", True),
]


@pytest.mark.parametrize(("url", "kind", "host", "port", "transport", "secure"), VALID)
def test_valid(url: str, kind: str, host: str, port: int, transport: str, secure: bool) -> None:
    parsed = parse_url(url, U, P)
    assert (parsed.kind, parsed.host, parsed.port, parsed.transport, parsed.secure) == (
        kind,
        host,
        port,
        transport,
        secure,
    )
    assert parsed.url == url


SYNTAX = [
    "",
    "stun",
    "stun:",
    "http://example.org",
    "foo:example.org",
    "stun://example.org",
    "stun:example.org:0",
    "stun:example.org:65536",
    "stun:example.org:abc",
    "stun:example.org?transport=udp",
    "stun:::1",
    "stun:[::1",
    "stun:[zz::1]",
    "stun:[::1]x",
    "turn:example.org?transport=sctp",
    "turn:example.org?foo=udp",
    "turn:example.org?transport",
    "stun:exa mple.org",
    "stun:-bad.org",
]


@pytest.mark.parametrize("url", SYNTAX)
def test_syntax_error(url: str) -> None:
    with pytest.raises(SyntaxError_):
        parse_url(url, U, P)


@pytest.mark.parametrize("url", ["stuns:example.org", "turns:example.org?transport=udp"])
def test_not_supported(url: str) -> None:
    with pytest.raises(NotSupportedError):
        parse_url(url, U, P)


@pytest.mark.parametrize(("username", "credential"), [(None, None), ("u", None), (None, "p")])
def test_turn_needs_credentials(username: str | None, credential: str | None) -> None:
    with pytest.raises(InvalidAccessError):
        parse_url("turn:example.org", username, credential)
    with pytest.raises(InvalidAccessError):
        parse_servers([IceServer(["turns:example.org"], username, credential)])


def test_stun_needs_no_credentials() -> None:
    assert parse_url("stun:example.org").username is None


def test_parse_servers_flattens_in_order() -> None:
    urls = parse_servers(
        [
            IceServer(["stun:a.org", "stun:b.org:1"]),
            IceServer(["turn:c.org?transport=tcp"], "u", "p"),
        ]
    )
    assert [u.url for u in urls] == ["stun:a.org", "stun:b.org:1", "turn:c.org?transport=tcp"]
    assert urls[2].username == "u" and urls[2].credential == "p"
    with pytest.raises(SyntaxError_):
        parse_servers([IceServer([])])


def test_agent_validates_servers_at_construction() -> None:
    from rtcpeer.ice import IceAgent

    def nop(*_: object) -> None:
        return None

    with pytest.raises(InvalidAccessError):
        IceAgent(
            servers=[IceServer(["turn:x.org"])],
            controlling=True,
            on_candidate=nop,
            on_state_change=nop,
            on_datagram=nop,
            on_candidate_error=nop,
        )

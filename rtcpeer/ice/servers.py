"""STUN/TURN server configuration and URL parsing.

Grammar: RFC 7064 (``stun:``/``stuns:`` host [":" port]) and RFC 7065 (``turn:``/``turns:``
host [":" port] ["?transport=" udp|tcp]); IPv6 literals are bracketed. Default ports are 3478
(stun, turn) and 5349 (stuns, turns). Validation follows W3C webrtc-pc section 4.4.1.1 (set
the configuration, step "validate the ICE servers"): an unparsable URL raises
:class:`~rtcpeer.errors.SyntaxError_`; a ``turn``/``turns`` URL without ``username`` and
``credential`` raises :class:`~rtcpeer.errors.InvalidAccessError`. ``stuns:`` and
``turns:...?transport=udp`` (DTLS) are not supported by aioice and raise
:class:`~rtcpeer.errors.NotSupportedError`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rtcpeer.errors import InvalidAccessError, NotSupportedError, SyntaxError_

_DEFAULT_PORTS = {"stun": 3478, "stuns": 5349, "turn": 3478, "turns": 5349}
_HOST_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9\-.]*[A-Za-z0-9])?$")


@dataclass(frozen=True)
class IceServer:
    """W3C ``RTCIceServer``: one server reachable at one or more URLs."""

    urls: list[str]
    username: str | None = None
    credential: str | None = None


@dataclass(frozen=True)
class ServerUrl:
    """One parsed STUN/TURN URL, with the credentials of its :class:`IceServer`."""

    url: str
    kind: Literal["stun", "turn"]
    host: str
    port: int
    transport: Literal["udp", "tcp"]
    secure: bool  # TLS (turns:)
    username: str | None = None
    credential: str | None = None

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)


def _split_host_port(url: str, hostport: str, default_port: int) -> tuple[str, int]:
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            raise SyntaxError_(f"unterminated IPv6 literal in ICE server URL {url!r}")
        host = hostport[1:end]
        rest = hostport[end + 1 :]
        try:
            ipaddress.IPv6Address(host)
        except ValueError as exc:
            raise SyntaxError_(f"invalid IPv6 literal in ICE server URL {url!r}") from exc
        if rest == "":
            return host, default_port
        if not rest.startswith(":"):
            raise SyntaxError_(f"invalid ICE server URL {url!r}")
        port_text = rest[1:]
    else:
        host, sep, port_text = hostport.partition(":")
        if ":" in port_text:
            raise SyntaxError_(f"IPv6 literal must be bracketed in ICE server URL {url!r}")
        if not _HOST_RE.match(host):
            raise SyntaxError_(f"invalid host in ICE server URL {url!r}")
        if not sep:
            return host, default_port
    if not port_text.isdigit() or not 0 < int(port_text) <= 65535:
        raise SyntaxError_(f"invalid port in ICE server URL {url!r}")
    return host, int(port_text)


def parse_url(url: str, username: str | None = None, credential: str | None = None) -> ServerUrl:
    """Parse one ``stun:``/``turn:``/``turns:`` URL (raises W3C-named errors)."""
    scheme, sep, rest = url.partition(":")
    scheme = scheme.lower()
    if not sep or scheme not in _DEFAULT_PORTS or rest == "" or rest.startswith("//"):
        raise SyntaxError_(f"invalid ICE server URL {url!r}")
    hostport, qmark, query = rest.partition("?")
    host, port = _split_host_port(url, hostport, _DEFAULT_PORTS[scheme])
    secure = scheme.endswith("s")
    transport: Literal["udp", "tcp"] = "tcp" if secure else "udp"
    if qmark:
        if scheme in ("stun", "stuns"):
            raise SyntaxError_(f"STUN URL must not have a query: {url!r}")
        key, eq, value = query.partition("=")
        if key.lower() != "transport" or not eq or value.lower() not in ("udp", "tcp"):
            raise SyntaxError_(f"invalid transport in TURN URL {url!r}")
        transport = "udp" if value.lower() == "udp" else "tcp"
    if scheme == "stuns":
        raise NotSupportedError(f"stuns: URLs are not supported: {url!r}")
    if scheme == "turns" and transport == "udp":
        raise NotSupportedError(f"TURN over DTLS is not supported: {url!r}")
    if scheme in ("turn", "turns"):
        if username is None or credential is None:
            raise InvalidAccessError(f"TURN URL {url!r} requires username and credential")
        return ServerUrl(url, "turn", host, port, transport, secure, username, credential)
    return ServerUrl(url, "stun", host, port, "udp", False)


def parse_servers(servers: Sequence[IceServer]) -> list[ServerUrl]:
    """Validate and flatten a list of :class:`IceServer` (W3C order kept)."""
    result: list[ServerUrl] = []
    for server in servers:
        urls: Sequence[str] = [server.urls] if isinstance(server.urls, str) else server.urls
        if not urls:
            raise SyntaxError_("RTCIceServer.urls is empty")
        for url in urls:
            result.append(parse_url(url, server.username, server.credential))
    return result

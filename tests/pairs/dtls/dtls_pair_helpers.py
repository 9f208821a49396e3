"""Helpers wiring two DtlsEndpoints in memory (tier 2: sans-IO pairs)."""

from __future__ import annotations

from collections.abc import Callable

from rtcpeer.dtls import DtlsEndpoint, Event, RTCCertificate, RTCDtlsFingerprint

Drop = Callable[[DtlsEndpoint, bytes], bool]


def make_pair(
    client_fps: list[RTCDtlsFingerprint] | None = None,
    server_fps: list[RTCDtlsFingerprint] | None = None,
    client_profiles: tuple[str, ...] | None = None,
    server_profiles: tuple[str, ...] | None = None,
    mtu: int = 1200,
) -> tuple[DtlsEndpoint, DtlsEndpoint]:
    """A client and a server that trust each other's certificates (unless told otherwise)."""
    cc, sc = RTCCertificate.generate(), RTCCertificate.generate()
    ckw = {} if client_profiles is None else {"srtp_profiles": client_profiles}
    skw = {} if server_profiles is None else {"srtp_profiles": server_profiles}
    client = DtlsEndpoint(
        cc, "client", sc.getFingerprints() if client_fps is None else client_fps, mtu=mtu, **ckw
    )
    server = DtlsEndpoint(
        sc, "server", cc.getFingerprints() if server_fps is None else server_fps, mtu=mtu, **skw
    )
    return client, server


def transfer(
    src: DtlsEndpoint, dst: DtlsEndpoint, now: float = 0.0, drop: Drop | None = None
) -> int:
    """Move every pending datagram from src to dst; return how many were delivered."""
    n = 0
    for dgram in src.datagrams_to_send(now):
        if drop is not None and drop(src, dgram):
            continue
        dst.receive_datagram(dgram, now)
        n += 1
    return n


def roundtrip(
    a: DtlsEndpoint,
    b: DtlsEndpoint,
    now: float = 0.0,
    drop: Drop | None = None,
    max_rounds: int = 20,
) -> None:
    """Exchange datagrams until both sides are quiet."""
    for _ in range(max_rounds):
        moved = transfer(a, b, now, drop) + transfer(b, a, now, drop)
        if moved == 0 and not a._out and not b._out:
            return


def events(ep: DtlsEndpoint) -> list[Event]:
    out: list[Event] = []
    while (ev := ep.next_event()) is not None:
        out.append(ev)
    return out


def connect(client: DtlsEndpoint, server: DtlsEndpoint) -> None:
    client.start(0.0)
    server.start(0.0)
    roundtrip(client, server)


def state(ep: DtlsEndpoint) -> str:
    """The endpoint state, read through a call so that mypy does not narrow it."""
    return ep.state

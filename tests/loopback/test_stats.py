"""getStats() after a real loopback connection."""

from __future__ import annotations

import pytest
from helpers import Collector, PeerPair, sdp_fingerprint, wait_open

from rtcpeer import RTCPeerConnection

pytestmark = pytest.mark.loopback


def _by_type(stats: dict[str, dict[str, object]], kind: str) -> list[dict[str, object]]:
    return [s for s in stats.values() if s["type"] == kind]


async def _check_report(pc: RTCPeerConnection, sent: int, received: int) -> None:
    stats = await pc.getStats()
    for ident, entry in stats.items():
        assert entry["id"] == ident and isinstance(entry["timestamp"], float)

    (transport,) = _by_type(stats, "transport")
    assert transport["dtlsState"] == "connected"
    assert transport["iceState"] in ("connected", "completed")
    assert transport["selectedCandidatePairId"] in stats

    pair = stats[str(transport["selectedCandidatePairId"])]
    assert pair["type"] == "candidate-pair" and pair["nominated"] is True
    for counter in ("bytesSent", "bytesReceived", "packetsSent", "packetsReceived"):
        assert isinstance(pair[counter], int) and pair[counter] > 0, counter
    local = stats[str(pair["localCandidateId"])]
    remote = stats[str(pair["remoteCandidateId"])]
    assert local["type"] == "local-candidate" and remote["type"] == "remote-candidate"
    assert local["address"] == remote["address"] == "127.0.0.1"
    assert local["protocol"] == "udp" and local["candidateType"] == "host"
    assert _by_type(stats, "local-candidate") and _by_type(stats, "remote-candidate")

    # Certificates: ours is the fingerprint we put in our SDP, the peer's the one in theirs.
    assert pc.localDescription is not None and pc.remoteDescription is not None
    local_cert = stats[str(transport["localCertificateId"])]
    remote_cert = stats[str(transport["remoteCertificateId"])]
    assert local_cert["type"] == remote_cert["type"] == "certificate"
    assert local_cert["fingerprintAlgorithm"] == remote_cert["fingerprintAlgorithm"] == "sha-256"
    assert local_cert["fingerprint"] == sdp_fingerprint(pc.localDescription.sdp)
    assert remote_cert["fingerprint"] == sdp_fingerprint(pc.remoteDescription.sdp)
    assert local_cert["fingerprint"] != remote_cert["fingerprint"]

    (channel,) = _by_type(stats, "data-channel")
    assert channel["label"] == "stats" and channel["state"] == "open"
    assert channel["messagesSent"] == sent
    assert channel["messagesReceived"] == received
    (peer,) = _by_type(stats, "peer-connection")
    assert peer["dataChannelsOpened"] == 1


async def test_stats_report_after_connecting(peers: PeerPair) -> None:
    pc1, pc2 = peers.pc1, peers.pc2
    channel = pc1.createDataChannel("stats")
    await peers.connect()
    await wait_open(channel)
    remote = await peers.accept2.get("stats")
    back = Collector(channel)
    for n in range(7):
        channel.send(f"m{n}")
    for n in range(3):
        remote.send(bytes([n]) * 10)
    await peers.accept2.messages("stats", 7)
    await back.wait_count(3)

    await _check_report(pc1, sent=7, received=3)
    await _check_report(pc2, sent=3, received=7)
    # Byte counters of the data channel count payload bytes.
    stats1 = await pc1.getStats()
    (dc1,) = _by_type(stats1, "data-channel")
    assert dc1["bytesSent"] == sum(len(f"m{n}") for n in range(7))
    assert dc1["bytesReceived"] == 30

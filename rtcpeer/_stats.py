"""getStats(): an RTCStatsReport built from the cores' counters (W3C webrtc-stats).

Each entry is an :class:`RTCStats`: a dict (the browser's JSON shape) whose keys also read as
attributes (aiortc's shape), so ``report[id]["bytesSent"]`` and ``stats.bytesSent`` both work.
Non-standard counters are prefixed ``rtcpeer`` (``rtcpeerDroppedDatagrams``...).
"""

from __future__ import annotations

import base64
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .candidate import IceCandidateInfo
    from .peerconnection import RTCPeerConnection


class RTCStats(dict[str, Any]):
    """One stats object: ``id``, ``type``, ``timestamp`` (ms) and the type's fields."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _stats(kind: str, ident: str, now_ms: float, **fields: Any) -> RTCStats:
    return RTCStats(id=ident, type=kind, timestamp=now_ms, **fields)


def _candidate(kind: str, ident: str, now_ms: float, c: IceCandidateInfo) -> RTCStats:
    return _stats(
        kind,
        ident,
        now_ms,
        transportId="T01",
        address=c.address,
        port=c.port,
        protocol=c.transport.lower(),
        candidateType=c.type,
        priority=c.priority,
        foundation=c.foundation,
        relatedAddress=c.related_address,
        relatedPort=c.related_port,
    )


def build_stats(pc: RTCPeerConnection) -> dict[str, RTCStats]:
    now_ms = time.time() * 1000.0
    report: dict[str, RTCStats] = {}

    def add(s: RTCStats) -> None:
        report[s["id"]] = s

    channels = pc._transport.channels
    add(
        _stats(
            "peer-connection",
            "P",
            now_ms,
            dataChannelsOpened=channels.stats["channels_opened"],
            dataChannelsClosed=channels.stats["channels_closed"],
        )
    )
    fingerprints = pc._certificate.getFingerprints()
    add(
        _stats(
            "certificate",
            "CF-local",
            now_ms,
            fingerprint=fingerprints[0].value,
            fingerprintAlgorithm=fingerprints[0].algorithm,
            base64Certificate=base64.b64encode(pc._certificate.der).decode(),
        )
    )
    agent = pc._agent
    ice = agent.stats if agent is not None else {}
    bundle = pc._transport
    dtls = bundle.dtls
    demux = bundle.stats
    pair = agent.selected_pair if agent is not None else None
    dtls_dropped = dtls.stats.get("dropped_datagrams", 0) if dtls is not None else 0
    media_dropped = (
        demux["media_dropped_before_keys"]
        + demux["media_dropped_no_rtp_session"]
        + demux["srtp_rejected"]
        + demux["srtcp_rejected"]
    )
    transport = _stats(
        "transport",
        "T01",
        now_ms,
        bytesSent=ice.get("bytes_sent", 0),
        bytesReceived=ice.get("bytes_received", 0),
        packetsSent=ice.get("packets_sent", 0),
        packetsReceived=ice.get("packets_received", 0),
        dtlsState=bundle.dtls_state,
        iceState=pc.iceConnectionState,
        iceRole=None if agent is None else ("controlling" if agent._controlling else "controlled"),
        iceLocalUsernameFragment=None if agent is None else agent.local_ufrag,
        dtlsRole=bundle.role or "unknown",
        localCertificateId="CF-local",
        srtpCipher=None if dtls is None else dtls.srtp_profile,
        selectedCandidatePairId="CP-selected" if pair else None,
        # Everything received and thrown away: datagrams from a remote address that passed no
        # ICE check, garbage first bytes (RFC 7983), SRTP/SRTCP
        # before keys, without an RTP session or refused by SRTP, DTLS before configure()
        # beyond the held few, and malformed DTLS.
        rtcpeerDroppedDatagrams=(
            ice.get("dropped_datagrams", 0)
            + ice.get("unvalidated_datagrams", 0)
            + demux["garbage_datagrams"]
            + media_dropped
            + demux["early_dtls_dropped"]
            + dtls_dropped
        ),
        rtcpeerGarbageDatagrams=demux["garbage_datagrams"],
        rtcpeerRtpDatagrams=demux["srtp_datagrams"] + demux["srtcp_datagrams"],
        rtcpeerDtlsDroppedDatagrams=dtls_dropped,
        rtcpeerMediaDroppedDatagrams=media_dropped,
        rtcpeerDemux=dict(demux),
        rtcpeerUnvalidatedDatagrams=ice.get("unvalidated_datagrams", 0),
    )
    if bundle.srtp is not None:
        transport["rtcpeerSrtp"] = dict(bundle.srtp.stats)
    if dtls is not None and dtls.remote_certificate_fingerprint is not None:
        fp = dtls.remote_certificate_fingerprint
        add(
            _stats(
                "certificate",
                "CF-remote",
                now_ms,
                fingerprint=fp.value,
                fingerprintAlgorithm=fp.algorithm,
            )
        )
        transport["remoteCertificateId"] = "CF-remote"
    add(transport)
    if pair is not None:
        local, remote = pair
        add(_candidate("local-candidate", "LC-selected", now_ms, local))
        add(_candidate("remote-candidate", "RC-selected", now_ms, remote))
        add(
            _stats(
                "candidate-pair",
                "CP-selected",
                now_ms,
                transportId="T01",
                localCandidateId="LC-selected",
                remoteCandidateId="RC-selected",
                state="succeeded",
                nominated=True,
                bytesSent=ice.get("bytes_sent", 0),
                bytesReceived=ice.get("bytes_received", 0),
                packetsSent=ice.get("packets_sent", 0),
                packetsReceived=ice.get("packets_received", 0),
            )
        )
    for n, info in enumerate(pc._local_candidates):
        add(_candidate("local-candidate", f"LC{n}", now_ms, info))
    for record in channels.channels():
        add(
            _stats(
                "data-channel",
                f"D{id(record)}",
                now_ms,
                label=record.params.label,
                protocol=record.params.protocol,
                dataChannelIdentifier=record.id,
                state=record.state,
                messagesSent=record.messages_sent,
                bytesSent=record.bytes_sent,
                messagesReceived=record.messages_received,
                bytesReceived=record.bytes_received,
            )
        )
    assoc = bundle.association
    if assoc is not None:
        transport["rtcpeerSctp"] = dict(assoc.stats)
    return report

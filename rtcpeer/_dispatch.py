"""Transport events -> the facade's events (``datachannel``, ``open``, ``message``, ...).

The sans-IO :class:`~rtcpeer.bundle.BundleTransport` reports what happened; this table
turns each event type into the W3C event on the right object (DESIGN.md rule 5: tables over
if-chains). The driver calls :func:`dispatch_transport_event` for every event it drains.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._mediacore import AudioPacketReady, KeyframeRequested, VideoFrameReady
from .bundle import DtlsStateChanged, SctpStateChanged
from .datachannel import RTCDataChannel
from .dcep import manager as dcm

if TYPE_CHECKING:
    from .peerconnection import RTCPeerConnection

logger = logging.getLogger("rtcpeer")


def _channel_for(pc: RTCPeerConnection, record: dcm.ChannelRecord) -> RTCDataChannel:
    channel = pc._channels.get(record)
    if channel is None:
        channel = RTCDataChannel(pc, record)
        pc._channels[record] = channel
    return channel


def _remote_channel(pc: RTCPeerConnection, event: dcm.RemoteChannelCreated) -> None:
    pc.emit("datachannel", _channel_for(pc, event.channel))


def _open(pc: RTCPeerConnection, event: dcm.ChannelOpened) -> None:
    _channel_for(pc, event.channel).emit("open")


def _message(pc: RTCPeerConnection, event: dcm.ChannelMessage) -> None:
    channel = pc._channels.get(event.channel)
    if channel is not None:
        channel.emit("message", event.data)


def _closing(pc: RTCPeerConnection, event: dcm.ChannelClosing) -> None:
    channel = pc._channels.get(event.channel)
    if channel is not None:
        channel.emit("closing")


def _closed(pc: RTCPeerConnection, event: dcm.ChannelClosed) -> None:
    channel = pc._channels.pop(event.channel, None)
    if channel is not None:
        channel._emit_closed()


def _buffered(pc: RTCPeerConnection, event: dcm.ChannelBufferedAmount) -> None:
    channel = pc._channels.get(event.channel)
    if channel is not None:
        channel._buffered_decreased()


def _dtls(pc: RTCPeerConnection, event: DtlsStateChanged) -> None:
    if event.state == "failed":
        logger.warning("DTLS failed: %s", event.reason)
    pc._update_connection_state()


def _sctp(pc: RTCPeerConnection, event: SctpStateChanged) -> None:
    return None  # RTCSctpTransport.state reads the transport directly


def _media(pc: RTCPeerConnection, event: object) -> None:
    if pc._media_engine is not None:
        pc._media_engine.handle_event(event)


_HANDLERS: dict[type, Callable[[RTCPeerConnection, Any], None]] = {
    VideoFrameReady: _media,
    AudioPacketReady: _media,
    KeyframeRequested: _media,
    dcm.RemoteChannelCreated: _remote_channel,
    dcm.ChannelOpened: _open,
    dcm.ChannelMessage: _message,
    dcm.ChannelClosing: _closing,
    dcm.ChannelClosed: _closed,
    dcm.ChannelBufferedAmount: _buffered,
    DtlsStateChanged: _dtls,
    SctpStateChanged: _sctp,
}


def dispatch_transport_event(pc: RTCPeerConnection, event: object) -> None:
    """Events without a handler (e.g. an RTP session's, until media is wired) are ignored."""
    handler = _HANDLERS.get(type(event))
    if handler is not None:
        handler(pc, event)

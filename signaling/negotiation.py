"""Perfect negotiation (W3C webrtc-pc §10) for any W3C-style peer connection.

Either side may change the session (create a data channel, later add a track, restart ICE)
at any moment; when both do so at once ("glare"), one side, the *polite* one, yields. The two
peers must be given opposite roles (e.g. the newcomer to a room is polite, or the one with
the smaller id).

Usage::

    negotiator = PerfectNegotiator(pc, transport.send, polite=True)
    channel = pc.createDataChannel("chat")        # negotiationneeded -> offer, sent for you
    async for message in transport:
        await negotiator.handle(message)          # offers, answers, candidates, end-of-candidates

What it does:

* ``negotiationneeded``: ``setLocalDescription()`` (the implicit offer) and send it; while
  that runs, ``making_offer`` is true.
* ``icecandidate``: send a ``candidate`` frame (or ``end-of-candidates`` for ``None``).
  Candidates gathered while a local description is being set and sent are held back until
  the description itself has been sent, and every frame leaves through one FIFO, so the
  other side always sees a description before its candidates.
* ``handle(offer)``: an offer *collides* when we are making an offer or are not in the
  ``stable`` state. The impolite peer ignores a colliding offer (and, silently, the
  candidates that follow it); the polite peer applies it, which rolls its own offer back
  implicitly (``setRemoteDescription`` in ``have-local-offer``), answers, and sends the
  answer. Its own change is not lost: the connection fires ``negotiationneeded`` again once
  back in ``stable`` if the answer did not cover it.
* ``handle(answer)``: applied. ``handle(candidate)``: ``addIceCandidate``; a failure is
  swallowed only while the last offer was being ignored.

The connection is duck-typed: it needs ``on(event, handler)``, ``signalingState``,
``localDescription``, ``setLocalDescription(description=None)`` (the implicit form with no
argument), ``setRemoteDescription(dict)`` and ``addIceCandidate(dict | None)`` accepting the
browser JSON forms, as ``rtcpeer.RTCPeerConnection`` does. This module never imports rtcpeer.

One lock serializes ``handle`` and the offer made for ``negotiationneeded``: messages are
applied one at a time in the order given, and an offer is only started in ``stable`` with no
remote description being applied meanwhile. (In the browser a ``negotiationneeded`` handler
runs synchronously at dispatch; here it runs as a task a moment later, so it re-checks the
state under the lock. The answer-pending flag of the browser version is not needed.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from .messages import (
    Answer,
    Candidate,
    EndOfCandidates,
    IceCandidateJSON,
    Message,
    Offer,
    SessionDescriptionJSON,
)

__all__ = ["PeerConnectionLike", "PerfectNegotiator"]

logger = logging.getLogger("signaling.negotiation")

Send = Callable[[Message], Awaitable[None]]

CLOSE_FLUSH_TIMEOUT = 2.0  # seconds close() waits for queued frames to go out


class PeerConnectionLike(Protocol):
    """What :class:`PerfectNegotiator` uses of a W3C-style peer connection."""

    @property
    def signalingState(self) -> str: ...

    @property
    def localDescription(self) -> Any: ...

    def on(self, event: str, f: Any = None) -> Any: ...

    async def setLocalDescription(self, description: Any = None) -> None: ...

    async def setRemoteDescription(self, description: Any) -> None: ...

    async def addIceCandidate(self, candidate: Any = None) -> None: ...


def _description_json(description: Any) -> SessionDescriptionJSON:
    """``RTCSessionDescription.toJSON()``, also for objects that only have the fields."""
    return {"type": str(description.type), "sdp": str(description.sdp)}


def _candidate_json(candidate: Any) -> IceCandidateJSON:
    """``RTCIceCandidate.toJSON()``, also for objects that only have the fields."""
    index = candidate.sdpMLineIndex
    return {
        "candidate": str(candidate.candidate),
        "sdpMid": candidate.sdpMid,
        "sdpMLineIndex": int(index) if index is not None else None,
        "usernameFragment": getattr(candidate, "usernameFragment", None),
    }


class PerfectNegotiator:
    """Drives offers, answers and trickled candidates for ``pc`` (see the module docstring).

    ``send`` carries one frame to the other peer (e.g. ``transport.send``); with ``to``, every
    frame is addressed to that participant id (room servers route on it). ``polite`` decides
    who yields on glare: the two peers need opposite values.
    ``errors`` collects exceptions that the background work (offers, sends) met; they are
    also logged.
    """

    def __init__(
        self, pc: PeerConnectionLike, send: Send, *, polite: bool, to: str | None = None
    ) -> None:
        self.pc = pc
        self.polite = polite
        self.to = to
        self.making_offer = False
        self.ignore_offer = False
        self.errors: list[BaseException] = []
        self._send = send
        self._outbox: asyncio.Queue[Message | None] = asyncio.Queue()
        self._sender: asyncio.Task[None] | None = None
        self._holding = 0  # > 0 while a local description is being set and sent
        self._held: list[Message] = []
        self._lock = asyncio.Lock()
        self._closed = False
        pc.on("negotiationneeded", self._on_negotiation_needed)
        pc.on("icecandidate", self._on_ice_candidate)

    # ---- outgoing ------------------------------------------------------------------------

    def _enqueue(self, message: Message) -> None:
        if self._closed:
            return
        if self._sender is None:
            self._sender = asyncio.get_running_loop().create_task(self._send_loop())
        self._outbox.put_nowait(message)

    async def _send_loop(self) -> None:
        while True:
            message = await self._outbox.get()
            if message is None:
                return
            try:
                await self._send(message)
            except Exception as exc:  # the transport is gone or refused: record, go on
                logger.warning("signaling send failed: %r", exc)
                self.errors.append(exc)

    def _on_ice_candidate(self, candidate: Any) -> None:
        if candidate is None or not getattr(candidate, "candidate", ""):
            message: Message = EndOfCandidates(to=self.to)
        else:
            message = Candidate(candidate=_candidate_json(candidate), to=self.to)
        if self._holding:
            self._held.append(message)
        else:
            self._enqueue(message)

    async def _describe_and_send(self) -> None:
        """``setLocalDescription()`` (implicit offer or answer), then send it, then any
        candidates gathered meanwhile."""
        self._holding += 1
        try:
            await self.pc.setLocalDescription()
            description = _description_json(self.pc.localDescription)
            if description["type"] == "offer":
                self._enqueue(Offer(description=description, to=self.to))
            else:
                self._enqueue(Answer(description=description, to=self.to))
        finally:
            self._holding -= 1
            if not self._holding:
                held, self._held = self._held, []
                for message in held:
                    self._enqueue(message)

    async def _on_negotiation_needed(self) -> None:
        async with self._lock:
            if self._closed or self.pc.signalingState != "stable":
                # An offer from the other side got in first; the connection fires
                # negotiationneeded again once back in stable if the need remains.
                return
            try:
                self.making_offer = True
                await self._describe_and_send()
            except Exception as exc:
                if self._closed or self.pc.signalingState == "closed":
                    return
                logger.warning("negotiationneeded: could not make an offer: %r", exc)
                self.errors.append(exc)
            finally:
                self.making_offer = False

    # ---- incoming ------------------------------------------------------------------------

    async def handle(self, message: Message) -> bool:
        """Apply one frame from the other peer. Returns ``True`` for the frames this class
        owns (offer, answer, candidate, end-of-candidates), ``False`` for any other frame,
        which is left to the caller. Errors of ``setRemoteDescription`` propagate (the other
        side sent something unusable); a candidate error is swallowed only for an ignored
        offer."""
        async with self._lock:
            if isinstance(message, Offer | Answer):
                await self._handle_description(dict(message.description))
                return True
            if isinstance(message, Candidate):
                await self._handle_candidate(dict(message.candidate))
                return True
            if isinstance(message, EndOfCandidates):
                await self._handle_candidate(None)
                return True
            return False

    async def _handle_description(self, description: dict[str, Any]) -> None:
        is_offer = description.get("type") == "offer"
        collision = is_offer and (self.making_offer or self.pc.signalingState != "stable")
        self.ignore_offer = not self.polite and collision
        if self.ignore_offer:
            logger.debug("impolite peer ignores a colliding offer")
            return
        # The polite peer in have-local-offer rolls back implicitly here (W3C §4.4.1.5).
        await self.pc.setRemoteDescription(description)
        if is_offer:
            await self._describe_and_send()

    async def _handle_candidate(self, candidate: dict[str, Any] | None) -> None:
        try:
            await self.pc.addIceCandidate(candidate)
        except Exception:
            if not self.ignore_offer:
                raise
            logger.debug("dropped a candidate that belongs to an ignored offer")

    # ---- lifetime ------------------------------------------------------------------------

    async def close(self) -> None:
        """Stop sending (frames still queued are sent first) and detach from ``pc``."""
        if self._closed:
            return
        self._closed = True
        remove = getattr(self.pc, "remove_listener", None)
        if callable(remove):
            remove("negotiationneeded", self._on_negotiation_needed)
            remove("icecandidate", self._on_ice_candidate)
        sender, self._sender = self._sender, None
        if sender is not None:
            self._outbox.put_nowait(None)
            try:
                await asyncio.wait_for(asyncio.shield(sender), CLOSE_FLUSH_TIMEOUT)
            except TimeoutError:
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sender

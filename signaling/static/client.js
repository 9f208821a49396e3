// Browser client of the rtcpeer room server (python -m signaling.server), an ES module.
//
//   import { connectRoom, PerfectNegotiation } from "/client.js";
//
//   const room = await connectRoom(null, { room: "lobby", name: "alice", token });
//   room.id; room.peers;                       // [{id, name}], kept up to date
//   room.on("peer-joined", (m) => ...);       // also peer-left, offer, answer, candidate,
//                                              // end-of-candidates, bye, error, "message"
//                                              // (every frame) and "close"
//   room.send({ type: "bye", to: someId });   // the server stamps "from"
//   for await (const msg of room) { ... }     // every frame after "joined", until close
//
//   const neg = new PerfectNegotiation(pc, (m) => room.send(m), { polite, to: peerId });
//   room.on("message", (m) => { if (m.from === peerId) neg.handle(m); });
//
// The wire format is the one of signaling/messages.py: JSON objects with a "type";
// "description" is RTCSessionDescription.toJSON(), "candidate" is RTCIceCandidate.toJSON().

const PEER_TYPES = new Set(["offer", "answer", "candidate", "end-of-candidates", "bye"]);

/** The room server's WebSocket URL for a page it served itself: ws(s)://<host>/ws. */
export function defaultUrl(loc = window.location) {
  return `${loc.protocol === "https:" ? "wss" : "ws"}://${loc.host}/ws`;
}

/** An error frame answering our join (code as sent by the server, e.g. "bad-token"). */
export class JoinRefused extends Error {
  constructor(code, message) {
    super(`join refused: ${code}: ${message}`);
    this.name = "JoinRefused";
    this.code = code;
  }
}

/**
 * Join `room` on the server at `url` (null: defaultUrl()). Resolves, once the server
 * answered "joined", to a Room; rejects with JoinRefused (error frame), or an Error if the
 * socket fails or nothing comes back within `joinTimeout` ms.
 */
export function connectRoom(url, { room, token = null, name = null, joinTimeout = 10000 } = {}) {
  if (!room) throw new TypeError("connectRoom needs a room");
  const ws = new WebSocket(url || defaultUrl());
  return new Promise((resolve, reject) => {
    const early = [];
    let settled = false;
    const fail = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.close();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error(`no "joined" within ${joinTimeout} ms`)),
                             joinTimeout);
    ws.onerror = () => fail(new Error(`cannot connect to ${ws.url}`));
    ws.onclose = (e) => fail(new Error(`connection closed before joining (code ${e.code})`));
    ws.onopen = () => {
      const join = { type: "join", room };
      if (token) join.token = token;
      if (name) join.name = name;
      ws.send(JSON.stringify(join));
    };
    ws.onmessage = (e) => {
      let msg;
      try {
        msg = JSON.parse(e.data);
      } catch {
        return; // not JSON: nothing a client can do about it
      }
      if (msg.type === "joined") {
        settled = true;
        clearTimeout(timer);
        resolve(new Room(ws, msg, early));
      } else if (msg.type === "error") {
        fail(new JoinRefused(msg.code, msg.message));
      } else {
        early.push(msg);
      }
    };
  });
}

/** A joined room (made by connectRoom). */
export class Room {
  constructor(ws, joined, early) {
    this.ws = ws;
    this.room = joined.room;
    this.id = joined.id;
    this.peers = (joined.peers || []).map((p) => ({ id: p.id, name: p.name ?? null }));
    this.closed = false;
    this._handlers = new Map();
    this._queue = [];
    this._waiters = [];
    ws.onerror = null;
    ws.onmessage = (e) => this._frame(e.data);
    ws.onclose = () => this._end();
    for (const msg of early) this._dispatch(msg);
  }

  /** Name of a participant (or null). */
  nameOf(id) {
    const peer = this.peers.find((p) => p.id === id);
    return peer ? peer.name : null;
  }

  /** Register `handler` for frames of `type` ("message": all). Returns an unsubscribe. */
  on(type, handler) {
    if (!this._handlers.has(type)) this._handlers.set(type, new Set());
    this._handlers.get(type).add(handler);
    return () => this._handlers.get(type).delete(handler);
  }

  /** Send one frame (an object with a "type"); peer frames may carry "to". */
  send(msg) {
    if (this.closed) throw new Error("the room connection is closed");
    if (!msg || typeof msg.type !== "string") throw new TypeError("a frame needs a type");
    this.ws.send(JSON.stringify(msg));
  }

  close() {
    if (!this.closed) this.ws.close();
    this._end();
  }

  /** Every frame after "joined", in order, until the connection closes. */
  async *[Symbol.asyncIterator]() {
    for (;;) {
      if (this._queue.length) {
        yield this._queue.shift();
        continue;
      }
      if (this.closed) return;
      await new Promise((wake) => this._waiters.push(wake));
    }
  }

  _frame(data) {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      console.warn("room: dropped a frame that is not JSON");
      return;
    }
    if (!msg || typeof msg.type !== "string") return;
    this._dispatch(msg);
  }

  _dispatch(msg) {
    if (msg.type === "peer-joined") {
      this.peers = this.peers.filter((p) => p.id !== msg.id);
      this.peers.push({ id: msg.id, name: msg.name ?? null });
    }
    // peer-left handlers still find the name with nameOf(); the peer goes afterwards.
    this._queue.push(msg);
    this._wake();
    this._emit(msg.type, msg);
    this._emit("message", msg);
    if (msg.type === "peer-left") this.peers = this.peers.filter((p) => p.id !== msg.id);
  }

  _emit(type, msg) {
    for (const handler of this._handlers.get(type) || []) {
      try {
        handler(msg);
      } catch (err) {
        console.error(`room: ${type} handler failed`, err);
      }
    }
  }

  _wake() {
    const waiters = this._waiters;
    this._waiters = [];
    for (const wake of waiters) wake();
  }

  _end() {
    if (this.closed) return;
    this.closed = true;
    this._wake();
    this._emit("close", { type: "close" });
  }
}

/** Whether a frame is one a PerfectNegotiation handles. */
export function isNegotiationMessage(msg) {
  return PEER_TYPES.has(msg.type) && msg.type !== "bye";
}

/**
 * Perfect negotiation (W3C webrtc-pc §10) for a browser RTCPeerConnection; the same logic as
 * signaling/negotiation.py. `send(frame)` carries a frame to the other peer; with `to` every
 * frame is addressed to that participant. The two peers must get opposite `polite` values.
 *
 * - negotiationneeded: setLocalDescription() (implicit offer) and send it.
 * - icecandidate: send "candidate" / "end-of-candidates"; candidates that turn up while a
 *   local description is being set wait until that description has been sent.
 * - handle(offer): a collision (making an offer, or not stable) is ignored by the impolite
 *   peer (and the candidates that follow it, silently); the polite one applies it (implicit
 *   rollback), answers and sends the answer. handle(answer | candidate | end-of-candidates).
 *
 * handle() and offers run one at a time through a promise chain, in arrival order.
 */
export class PerfectNegotiation {
  constructor(pc, send, { polite, to = null } = {}) {
    if (typeof polite !== "boolean") throw new TypeError("polite must be true or false");
    this.pc = pc;
    this.polite = polite;
    this.to = to;
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.errors = [];
    this._send = send;
    this._holding = 0;
    this._held = [];
    this._chain = Promise.resolve();
    this._closed = false;
    this._onNeeded = () => this._serialize(() => this._offer());
    this._onCandidate = (e) => this._candidate(e.candidate);
    pc.addEventListener("negotiationneeded", this._onNeeded);
    pc.addEventListener("icecandidate", this._onCandidate);
  }

  /** Apply a frame from the other peer; resolves true if it was a negotiation frame. */
  handle(msg) {
    if (!isNegotiationMessage(msg)) return Promise.resolve(false);
    return this._serialize(() => this._apply(msg)).then(() => true);
  }

  close() {
    this._closed = true;
    this.pc.removeEventListener("negotiationneeded", this._onNeeded);
    this.pc.removeEventListener("icecandidate", this._onCandidate);
  }

  _serialize(step) {
    const run = this._chain.then(step);
    this._chain = run.catch(() => {});
    return run;
  }

  _out(frame) {
    if (this._closed) return;
    if (this.to !== null) frame.to = this.to;
    try {
      this._send(frame);
    } catch (err) {
      this.errors.push(err);
      console.warn("negotiation: send failed", err);
    }
  }

  _candidate(candidate) {
    const frame = candidate && candidate.candidate
      ? { type: "candidate", candidate: candidate.toJSON() }
      : { type: "end-of-candidates" };
    if (this._holding) this._held.push(frame);
    else this._out(frame);
  }

  async _describeAndSend() {
    this._holding++;
    try {
      await this.pc.setLocalDescription();
      const { type, sdp } = this.pc.localDescription;
      this._out({ type: type === "offer" ? "offer" : "answer", description: { type, sdp } });
    } finally {
      if (--this._holding === 0) {
        const held = this._held;
        this._held = [];
        for (const frame of held) this._out(frame);
      }
    }
  }

  async _offer() {
    // Another offer got in first: the browser fires negotiationneeded again if still needed.
    if (this._closed || this.pc.signalingState !== "stable") return;
    try {
      this.makingOffer = true;
      await this._describeAndSend();
    } catch (err) {
      if (this.pc.signalingState !== "closed") {
        this.errors.push(err);
        console.warn("negotiation: could not make an offer", err);
      }
    } finally {
      this.makingOffer = false;
    }
  }

  async _apply(msg) {
    if (msg.type === "offer" || msg.type === "answer") {
      const description = msg.description;
      const isOffer = description.type === "offer";
      const collision = isOffer && (this.makingOffer || this.pc.signalingState !== "stable");
      this.ignoreOffer = !this.polite && collision;
      if (this.ignoreOffer) return;
      await this.pc.setRemoteDescription(description); // polite: implicit rollback
      if (isOffer) await this._describeAndSend();
      return;
    }
    try {
      if (msg.type === "candidate") await this.pc.addIceCandidate(msg.candidate);
      else await this.pc.addIceCandidate();
    } catch (err) {
      if (!this.ignoreOffer) throw err;
    }
  }
}

// The chat page: a mesh of RTCPeerConnections, one per other participant in the room.
//
// Query: ?room=NAME (default "lobby") &name=YOU &token=JOIN_TOKEN (omit with a dev-mode
// server) &ws=WEBSOCKET_URL (default: /ws on this host) &stun=stun:HOST:PORT (optional).
//
// Each pair of participants shares one peer connection and one data channel, created on
// both sides as a negotiated channel (label "chat", id 0). The newcomer makes the first
// offer: on joining it opens a connection to everyone already there; the others create
// theirs when that offer arrives (not on peer-joined). Perfect negotiation runs on every
// connection, with the smaller participant id polite (examples/chat/bot.py uses the same
// rules), so either side may renegotiate later. Why not let both sides start at once and let
// perfect negotiation settle the glare: it does settle it, but Chromium, when its offer is
// rolled back before it gathered its first candidate, never gathers for the answer that
// follows (seen with Debian's Chromium in tests/interop/test_chat_browser.py), so the first
// contact avoids the glare by construction.
// Chat messages on the channel are JSON: {"type": "chat", "name": "...", "text": "..."}.
//
// window.chat is a small hook for tests and the console: messages, participants(),
// links(), send(text).

import { connectRoom, defaultUrl, PerfectNegotiation } from "./client.js";

const params = new URLSearchParams(location.search);
const roomName = params.get("room") || "lobby";
const myName = params.get("name") || `guest-${Math.random().toString(36).slice(2, 6)}`;
const token = params.get("token");
const wsUrl = params.get("ws") || defaultUrl();
const iceServers = params.get("stun") ? [{ urls: params.get("stun") }] : [];

const $ = (sel) => document.querySelector(sel);
const links = new Map(); // peer id -> PeerLink
const messages = []; // {from, name, text, mine}
let room = null;

function setStatus(text, isError = false) {
  const el = $("#status");
  el.textContent = text;
  el.classList.toggle("error", isError);
}

function showMessage(entry) {
  messages.push(entry);
  const li = document.createElement("li");
  if (entry.mine) li.classList.add("mine");
  if (entry.system) li.classList.add("system");
  if (entry.name !== null) {
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = entry.name;
    li.append(name);
  }
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = entry.text;
  li.append(text);
  const log = $("#log");
  log.append(li);
  log.scrollTop = log.scrollHeight;
}

function systemLine(text) {
  showMessage({ from: null, name: null, text, mine: false, system: true });
}

function renderParticipants() {
  const ul = $("#participants");
  ul.replaceChildren();
  if (!room) return;
  const me = document.createElement("li");
  me.className = "me";
  me.textContent = `${myName} (you)`;
  ul.append(me);
  for (const peer of room.peers) {
    const li = document.createElement("li");
    li.dataset.id = peer.id;
    li.textContent = peer.name || peer.id;
    const state = document.createElement("span");
    state.className = "state";
    const link = links.get(peer.id);
    state.textContent = link ? link.describe() : "";
    li.append(state);
    ul.append(li);
  }
}

class PeerLink {
  constructor(peerId) {
    this.peerId = peerId;
    this.pc = new RTCPeerConnection({ iceServers });
    this.trace = []; // what happened on this link, for window.chat.links() and debugging
    const note = (what) => this.trace.push(`${Math.round(performance.now())} ${what}`);
    this.note = note;
    const sendFrame = (frame) => {
      note(`sent ${frame.type}`);
      room.send(frame);
    };
    this.pc.addEventListener("signalingstatechange", () => note(this.pc.signalingState));
    this.pc.addEventListener("negotiationneeded", () => note("negotiationneeded"));
    this.pc.addEventListener("iceconnectionstatechange", () =>
      note(`ice ${this.pc.iceConnectionState}`));
    this.negotiation = new PerfectNegotiation(this.pc, sendFrame, {
      polite: room.id < peerId,
      to: peerId,
    });
    this.channel = this.pc.createDataChannel("chat", { negotiated: true, id: 0 });
    this.channel.onopen = () => renderParticipants();
    this.channel.onclose = () => renderParticipants();
    this.channel.onmessage = (e) => this.receive(e.data);
    this.pc.onconnectionstatechange = () => renderParticipants();
  }

  name() {
    return room.nameOf(this.peerId) || this.peerId;
  }

  describe() {
    const open = this.channel.readyState === "open";
    return open ? "· connected" : `· ${this.pc.connectionState}`;
  }

  receive(data) {
    let text = typeof data === "string" ? data : "(binary message)";
    let name = this.name();
    try {
      const msg = JSON.parse(text);
      if (msg && typeof msg.text === "string") {
        text = msg.text;
        if (typeof msg.name === "string" && msg.name) name = msg.name;
      }
    } catch {
      // plain text from a simpler client: shown as is
    }
    showMessage({ from: this.peerId, name, text, mine: false });
  }

  send(text) {
    if (this.channel.readyState !== "open") return false;
    this.channel.send(JSON.stringify({ type: "chat", name: myName, text }));
    return true;
  }

  close() {
    this.negotiation.close();
    this.pc.close();
  }
}

function linkFor(peerId) {
  let link = links.get(peerId);
  if (!link) {
    link = new PeerLink(peerId);
    links.set(peerId, link);
    renderParticipants();
  }
  return link;
}

function dropLink(peerId) {
  const link = links.get(peerId);
  if (link) {
    link.close();
    links.delete(peerId);
  }
}

function send(text) {
  text = text.trim();
  if (!text) return 0;
  let sent = 0;
  for (const link of links.values()) if (link.send(text)) sent++;
  showMessage({ from: room ? room.id : null, name: myName, text, mine: true });
  return sent;
}

async function main() {
  window.chat = {
    ready: false,
    error: null,
    messages,
    send,
    id: () => (room ? room.id : null),
    participants: () => (room ? room.peers.map((p) => ({ ...p })) : []),
    links: () =>
      Object.fromEntries(
        [...links].map(([id, l]) => [
          id,
          {
            connectionState: l.pc.connectionState,
            signalingState: l.pc.signalingState,
            channel: l.channel.readyState,
            polite: l.negotiation.polite,
            errors: l.negotiation.errors.map(String),
            trace: l.trace,
          },
        ]),
      ),
  };
  try {
    room = await connectRoom(wsUrl, { room: roomName, token, name: myName });
  } catch (err) {
    window.chat.error = String(err.message || err);
    const hint = err.code === "bad-token" || err.code === "expired-token"
      ? " (this server needs a valid join token: add &token=… to the URL)"
      : "";
    setStatus(`could not join room ${roomName}: ${err.message}${hint}`, true);
    return;
  }
  setStatus(`room ${room.room} · you are ${myName}`);
  room.on("peer-joined", (m) => {
    renderParticipants(); // the newcomer will offer: its link is created by that offer
    systemLine(`${m.name || m.id} joined`);
  });
  room.on("peer-left", (m) => {
    systemLine(`${room.nameOf(m.id) || m.id} left`);
    dropLink(m.id);
    queueMicrotask(renderParticipants); // the room drops the peer after the handlers
  });
  room.on("bye", (m) => dropLink(m.from));
  room.on("error", (m) => console.warn(`room server: ${m.code}: ${m.message}`));
  room.on("close", () => setStatus("disconnected from the room server", true));
  room.on("message", (m) => {
    if (!m.from || m.type === "bye") return;
    const link = linkFor(m.from);
    link.note(`received ${m.type}`);
    link.negotiation
      .handle(m)
      .catch((err) => console.warn(`negotiation with ${m.from} failed`, err));
  });
  for (const peer of room.peers) linkFor(peer.id);
  renderParticipants();

  const input = $("#text");
  const button = $("#composer button");
  input.disabled = button.disabled = false;
  $("#composer").addEventListener("submit", (e) => {
    e.preventDefault();
    send(input.value);
    input.value = "";
  });
  window.addEventListener("pagehide", () => room.close());
  window.chat.ready = true;
}

main();

// Browser side of the rtcpeer interop harness (tests/interop/browser.py).
//
// One RTCPeerConnection per page, reachable as window.rtc.*. Every asynchronous
// event (ICE candidate, channel open/close/message, state change) is pushed to
// Python through the exposed binding window.__rtcpeerEvent with a sequence
// number, so Python can restore the exact order. Binary payloads cross the
// bridge as base64 strings in both directions.
"use strict";

const state = { pc: null, channels: new Map(), seq: 0, log: [] };

function emit(ev) {
  ev.seq = state.seq++;
  ev.t = performance.now();
  // Fire and forget: the binding returns a promise we do not need.
  window.__rtcpeerEvent(ev).catch((e) => state.log.push("emit failed: " + e));
}

function b64encode(bytes) {
  if (typeof bytes.toBase64 === "function") return bytes.toBase64();
  let bin = "";
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) {
    bin += String.fromCharCode.apply(null, bytes.subarray(i, i + step));
  }
  return btoa(bin);
}

function b64decode(s) {
  if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(s);
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function wireChannel(ch, origin) {
  ch.binaryType = "arraybuffer";
  if (state.channels.has(ch.label)) {
    emit({ type: "error", where: "channel", message: "duplicate channel label " + ch.label });
  }
  state.channels.set(ch.label, ch);
  const label = ch.label;
  ch.onopen = () => emit({ type: "channelopen", label, id: ch.id, protocol: ch.protocol,
                           ordered: ch.ordered, negotiated: ch.negotiated });
  ch.onclose = () => emit({ type: "channelclose", label });
  ch.onclosing = () => emit({ type: "channelclosing", label });
  ch.onerror = (e) => emit({ type: "channelerror", label,
                             message: e && e.error ? String(e.error.message || e.error) : "error" });
  ch.onbufferedamountlow = () => emit({ type: "bufferedamountlow", label });
  ch.onmessage = (e) => {
    if (typeof e.data === "string") {
      emit({ type: "message", label, binary: false, data: e.data });
    } else {
      emit({ type: "message", label, binary: true, data: b64encode(new Uint8Array(e.data)) });
    }
  };
  emit({ type: "channel", label, origin, id: ch.id, readyState: ch.readyState });
  if (ch.readyState === "open") ch.onopen();
}

function descToJson(d) {
  return d ? { type: d.type, sdp: d.sdp } : null;
}

function requirePc() {
  if (!state.pc) throw new Error("rtc.create() has not been called");
  return state.pc;
}

window.rtc = {
  ready: true,

  info() {
    return { isSecureContext: window.isSecureContext, userAgent: navigator.userAgent,
             origin: location.origin, log: state.log };
  },

  create(config) {
    if (state.pc) throw new Error("peer connection already created");
    const pc = new RTCPeerConnection(config || {});
    state.pc = pc;
    pc.onicecandidate = (e) => {
      // e.candidate === null is end-of-candidates; an empty candidate string
      // (end-of-candidates for one generation) is reported as-is.
      emit({ type: "icecandidate", candidate: e.candidate ? e.candidate.toJSON() : null });
    };
    pc.onicecandidateerror = (e) => emit({ type: "icecandidateerror", url: e.url,
                                           errorCode: e.errorCode, errorText: e.errorText });
    pc.onicegatheringstatechange = () => emit({ type: "icegatheringstatechange",
                                                state: pc.iceGatheringState });
    pc.oniceconnectionstatechange = () => emit({ type: "iceconnectionstatechange",
                                                 state: pc.iceConnectionState });
    pc.onconnectionstatechange = () => emit({ type: "connectionstatechange",
                                              state: pc.connectionState });
    pc.onsignalingstatechange = () => emit({ type: "signalingstatechange",
                                             state: pc.signalingState });
    pc.ondatachannel = (e) => wireChannel(e.channel, "remote");
    return true;
  },

  createDataChannel(label, init) {
    const ch = requirePc().createDataChannel(label, init || {});
    wireChannel(ch, "local");
    return { label: ch.label, id: ch.id, readyState: ch.readyState };
  },

  async createOffer(options) {
    return descToJson(await requirePc().createOffer(options || {}));
  },

  async createAnswer(options) {
    return descToJson(await requirePc().createAnswer(options || {}));
  },

  async setLocalDescription(desc) {
    const pc = requirePc();
    if (desc) await pc.setLocalDescription(desc); else await pc.setLocalDescription();
    return descToJson(pc.localDescription);
  },

  async setRemoteDescription(desc) {
    await requirePc().setRemoteDescription(desc);
    return true;
  },

  async addIceCandidate(cand) {
    // null/undefined means end-of-candidates.
    await requirePc().addIceCandidate(cand === null || cand === undefined ? undefined : cand);
    return true;
  },

  localDescription() { return descToJson(requirePc().localDescription); },
  remoteDescription() { return descToJson(requirePc().remoteDescription); },

  send(label, data, isBinary) {
    const ch = state.channels.get(label);
    if (!ch) throw new Error("no channel labelled " + label);
    if (isBinary) ch.send(b64decode(data)); else ch.send(data);
    return ch.bufferedAmount;
  },

  channelInfo(label) {
    const ch = state.channels.get(label);
    if (!ch) return null;
    return { label: ch.label, id: ch.id, readyState: ch.readyState, ordered: ch.ordered,
             protocol: ch.protocol, negotiated: ch.negotiated,
             bufferedAmount: ch.bufferedAmount, maxRetransmits: ch.maxRetransmits,
             maxPacketLifeTime: ch.maxPacketLifeTime };
  },

  closeChannel(label) {
    const ch = state.channels.get(label);
    if (!ch) throw new Error("no channel labelled " + label);
    ch.close();
    return true;
  },

  states() {
    const pc = requirePc();
    return { connectionState: pc.connectionState, iceConnectionState: pc.iceConnectionState,
             iceGatheringState: pc.iceGatheringState, signalingState: pc.signalingState,
             sctpMaxMessageSize: pc.sctp ? pc.sctp.maxMessageSize : null };
  },

  async getStats() {
    const report = await requirePc().getStats();
    const out = [];
    report.forEach((v) => out.push(Object.assign({}, v)));
    return out;
  },

  close() {
    if (state.pc) state.pc.close();
    return true;
  },
};

// Browser side of the rtcpeer interop harness (tests/interop/browser.py).
//
// One RTCPeerConnection per page, reachable as window.rtc.*. Every asynchronous
// event (ICE candidate, channel open/close/message, state change) is pushed to
// Python through the exposed binding window.__rtcpeerEvent with a sequence
// number, so Python can restore the exact order. Binary payloads cross the
// bridge as base64 strings in both directions.
"use strict";

const state = { pc: null, channels: new Map(), seq: 0, log: [], counters: new Map(),
                tickers: new Map() };

// Counting mode (rtc.countMessages): messages on a counted channel are tallied in JS and
// not pushed through the Python bridge (bulk transfers of megabytes stay in the page).
function counterFor(label) {
  let c = state.counters.get(label);
  if (!c) {
    c = { bytes: 0, messages: 0, texts: [], keepTexts: false, waiters: [] };
    state.counters.set(label, c);
  }
  return c;
}

function countMessage(c, data) {
  c.messages += 1;
  if (typeof data === "string") {
    c.bytes += new TextEncoder().encode(data).length;
    if (c.keepTexts) c.texts.push(data);
  } else {
    c.bytes += data.byteLength;
  }
  c.waiters = c.waiters.filter((w) => !w(c));
}

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
                           ordered: ch.ordered, negotiated: ch.negotiated,
                           maxRetransmits: ch.maxRetransmits,
                           maxPacketLifeTime: ch.maxPacketLifeTime });
  ch.onclose = () => emit({ type: "channelclose", label });
  ch.onclosing = () => emit({ type: "channelclosing", label });
  ch.onerror = (e) => emit({ type: "channelerror", label,
                             message: e && e.error ? String(e.error.message || e.error) : "error" });
  ch.onbufferedamountlow = () => emit({ type: "bufferedamountlow", label });
  ch.onmessage = (e) => {
    const counter = state.counters.get(label);
    if (counter) { countMessage(counter, e.data); return; }
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

  // -- additions for scenario tests (bulk data, many channels, ICE restart) ----------

  restartIce() { requirePc().restartIce(); return true; },

  getConfiguration() { return requirePc().getConfiguration(); },

  createDataChannels(labels, init) {
    // All in one task: the channels are created "at once".
    const pc = requirePc();
    return labels.map((label) => {
      const ch = pc.createDataChannel(label, init || {});
      wireChannel(ch, "local");
      return ch.id;
    });
  },

  countMessages(label, keepTexts) {
    // (Re)starts counting from zero.
    state.counters.delete(label);
    const c = counterFor(label);
    c.keepTexts = !!keepTexts;
    return true;
  },

  counter(label) {
    const c = state.counters.get(label);
    return c ? { bytes: c.bytes, messages: c.messages, texts: c.texts } : null;
  },

  waitCounted(label, bytes, timeoutMs) {
    // Resolves with the counter once `bytes` bytes arrived; rejects after timeoutMs.
    const c = counterFor(label);
    return new Promise((resolve, reject) => {
      const done = () => ({ bytes: c.bytes, messages: c.messages });
      if (c.bytes >= bytes) { resolve(done()); return; }
      const timer = setTimeout(() => {
        reject(new Error(`only ${c.bytes} of ${bytes} bytes arrived on ${label} ` +
                         `(${c.messages} messages) within ${timeoutMs} ms`));
      }, timeoutMs);
      c.waiters.push((cc) => {
        if (cc.bytes < bytes) return false;
        clearTimeout(timer);
        resolve(done());
        return true;
      });
    });
  },

  sendBulk(label, total, chunk, lowThreshold, timeoutMs) {
    // Send `total` bytes as `chunk`-byte binary messages, filling the send buffer up to
    // 4 * lowThreshold and refilling on bufferedamountlow. Resolves when every message is
    // handed to the channel (the caller waits for the peer to count them).
    const ch = state.channels.get(label);
    if (!ch) throw new Error("no channel labelled " + label);
    const payload = new Uint8Array(chunk);
    for (let i = 0; i < chunk; i++) payload[i] = i & 0xff;
    ch.bufferedAmountLowThreshold = lowThreshold;
    let sent = 0;
    let lowEvents = 0;
    let maxBuffered = 0;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        ch.removeEventListener("bufferedamountlow", pump);
        reject(new Error(`sendBulk: ${sent} of ${total} bytes sent within ${timeoutMs} ms ` +
                         `(bufferedAmount ${ch.bufferedAmount}, readyState ${ch.readyState})`));
      }, timeoutMs);
      function pump(ev) {
        if (ev) lowEvents += 1;
        try {
          while (sent < total && ch.bufferedAmount <= 4 * lowThreshold) {
            const n = Math.min(chunk, total - sent);
            ch.send(n === chunk ? payload : payload.subarray(0, n));
            sent += n;
            maxBuffered = Math.max(maxBuffered, ch.bufferedAmount);
          }
        } catch (e) {
          clearTimeout(timer);
          ch.removeEventListener("bufferedamountlow", pump);
          reject(e);
          return;
        }
        if (sent >= total) {
          clearTimeout(timer);
          ch.removeEventListener("bufferedamountlow", pump);
          resolve({ sent, lowEvents, maxBuffered });
        }
      }
      ch.addEventListener("bufferedamountlow", pump);
      pump(null);
    });
  },

  startTicker(label, intervalMs, prefix) {
    // Send "<prefix><n>" every intervalMs (n = 0, 1, ...) until stopTicker.
    const ch = state.channels.get(label);
    if (!ch) throw new Error("no channel labelled " + label);
    const t = { n: 0, errors: [] };
    t.handle = setInterval(() => {
      try {
        if (ch.readyState !== "open") { t.errors.push("readyState " + ch.readyState); return; }
        ch.send(prefix + t.n);
        t.n += 1;
      } catch (e) { t.errors.push(String(e)); }
    }, intervalMs);
    state.tickers.set(label, t);
    return true;
  },

  stopTicker(label) {
    const t = state.tickers.get(label);
    if (!t) throw new Error("no ticker on " + label);
    clearInterval(t.handle);
    state.tickers.delete(label);
    return { sent: t.n, errors: t.errors };
  },
};

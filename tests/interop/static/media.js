// Media side of the rtcpeer interop harness (tests/interop/browser_media.py), loaded after
// peer.js: it adds media methods to window.rtc and reuses peer.js's state/emit/requirePc.
//
// Sends: a 640x480 canvas (canvas.captureStream(30)) on which the frame number n is drawn
// each frame as 16 black/white blocks in the top row (block i = bit 15 - i, 40x40 px; the
// rest mid gray), and an 880 Hz OscillatorNode through createMediaStreamDestination().
// Receives: remote video in a muted <video>; each presented frame (requestVideoFrameCallback)
// is drawn to a canvas and its blocks read back with getImageData (the same rule as
// rtcpeer/testing/media_pattern.py: mean luma of each block's inner 60 %, > 128 is a 1, a
// mean within 40..215 makes the frame unreadable). Remote audio plays in an <audio>.
"use strict";

const PATTERN = { bits: 16, rows: 12, inner: 0.6, low: 40, high: 215, width: 640, height: 480,
                  fps: 30 };
const MAX_RECORDED = 4096;

const media = {
  canvas: null, ctx: null, stream: null, counter: 0, timer: null,
  audioCtx: null, oscillator: null, audioStream: null,
  received: [], unreadable: 0, presented: 0, lastSize: null, waiters: [], tracks: [],
};

function drawPattern(ctx, n, w, h) {
  ctx.fillStyle = "rgb(128,128,128)";
  ctx.fillRect(0, 0, w, h);
  const bw = w / PATTERN.bits;
  const bh = h / PATTERN.rows;
  for (let i = 0; i < PATTERN.bits; i++) {
    const on = (n >> (PATTERN.bits - 1 - i)) & 1;
    ctx.fillStyle = on ? "rgb(255,255,255)" : "rgb(0,0,0)";
    ctx.fillRect(Math.round(i * bw), 0, Math.round((i + 1) * bw) - Math.round(i * bw), bh);
  }
}

// The frame number in an ImageData strip holding the top row of blocks, or null.
function readPattern(img) {
  const bw = img.width / PATTERN.bits;
  const mx = bw * (1 - PATTERN.inner) / 2;
  const my = img.height * (1 - PATTERN.inner) / 2;
  const y0 = Math.round(my);
  const y1 = Math.round(img.height - my);
  let n = 0;
  for (let i = 0; i < PATTERN.bits; i++) {
    const x0 = Math.round(i * bw + mx);
    const x1 = Math.round((i + 1) * bw - mx);
    let sum = 0;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const p = (y * img.width + x) * 4;
        sum += 0.299 * img.data[p] + 0.587 * img.data[p + 1] + 0.114 * img.data[p + 2];
      }
    }
    const mean = sum / ((y1 - y0) * (x1 - x0));
    if (mean >= PATTERN.low && mean <= PATTERN.high) return null;
    n = (n << 1) | (mean > 128 ? 1 : 0);
  }
  return n;
}

function videoSource() {
  if (media.stream) return media.stream;
  const canvas = document.createElement("canvas");
  canvas.width = PATTERN.width;
  canvas.height = PATTERN.height;
  document.getElementById("media").appendChild(canvas);
  media.canvas = canvas;
  media.ctx = canvas.getContext("2d");
  const draw = () => {
    drawPattern(media.ctx, media.counter & 0xffff, canvas.width, canvas.height);
    media.counter += 1;
  };
  draw();
  media.stream = canvas.captureStream(PATTERN.fps);
  media.timer = setInterval(draw, 1000 / PATTERN.fps);
  return media.stream;
}

function audioSource(freq) {
  if (media.audioStream) return media.audioStream;
  const ctx = new AudioContext({ sampleRate: 48000 });
  const osc = new OscillatorNode(ctx, { type: "sine", frequency: freq || 880 });
  const gain = new GainNode(ctx, { gain: 0.5 });
  const dest = ctx.createMediaStreamDestination();
  osc.connect(gain).connect(dest);
  osc.start();
  ctx.resume().catch((e) => state.log.push("AudioContext.resume: " + e));
  media.audioCtx = ctx;
  media.oscillator = osc;
  media.audioStream = dest.stream;
  return media.audioStream;
}

function trackFor(kind, opts) {
  const stream = kind === "video" ? videoSource() : audioSource(opts.toneHz);
  return { stream, track: kind === "video" ? stream.getVideoTracks()[0]
                                           : stream.getAudioTracks()[0] };
}

// Capability entries for the requested codec names, in that order (video adds RTX).
// "H264" means Chromium's OpenH264 constrained baseline (profile-level-id=42e01f,
// packetization-mode=1); "VP9" means profile 0.
function codecsFor(kind, names) {
  const caps = RTCRtpReceiver.getCapabilities(kind).codecs;
  const chosen = [];
  for (const name of names) {
    const mime = (kind + "/" + name).toLowerCase();
    let found = caps.filter((c) => c.mimeType.toLowerCase() === mime);
    const fmtp = (c) => c.sdpFmtpLine || "";
    if (name.toUpperCase() === "H264") {
      found = found.filter((c) => /profile-level-id=42e01f/i.test(fmtp(c)) &&
                                  /packetization-mode=1/.test(fmtp(c)));
    } else if (name.toUpperCase() === "VP9") {
      found = found.filter((c) => !/profile-id=[1-9]/.test(fmtp(c)));
    }
    if (!found.length) {
      throw new Error(`codec ${name} not offered by this Chromium for ${kind}: ` +
                      caps.map((c) => c.mimeType + " " + fmtp(c)).join(", "));
    }
    chosen.push(...found);
  }
  if (kind === "video") chosen.push(...caps.filter((c) => c.mimeType.toLowerCase() === "video/rtx"));
  return chosen;
}

function watchVideo(video) {
  const strip = document.createElement("canvas");
  strip.width = PATTERN.width;
  strip.height = PATTERN.height / PATTERN.rows;
  const ctx = strip.getContext("2d", { willReadFrequently: true });
  const onFrame = (now, meta) => {
    const vw = meta.width || video.videoWidth;
    const vh = meta.height || video.videoHeight;
    if (vw && vh) {
      ctx.drawImage(video, 0, 0, vw, vh / PATTERN.rows, 0, 0, strip.width, strip.height);
      const n = readPattern(ctx.getImageData(0, 0, strip.width, strip.height));
      media.presented += 1;
      media.lastSize = [vw, vh];
      if (n === null) {
        media.unreadable += 1;
      } else {
        media.received.push(n);
        if (media.received.length > MAX_RECORDED) media.received.shift();
      }
      media.waiters = media.waiters.filter((w) => !w());
    }
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
}

function onTrack(e) {
  const track = e.track;
  const box = document.getElementById("media");
  const el = document.createElement(track.kind === "video" ? "video" : "audio");
  el.autoplay = true;
  el.muted = track.kind === "video";
  el.playsInline = true;
  el.srcObject = new MediaStream([track]);
  box.appendChild(el);
  el.play().catch((err) => state.log.push(`${track.kind}.play(): ${err}`));
  if (track.kind === "video") watchVideo(el);
  media.tracks.push({ kind: track.kind, id: track.id, mid: e.transceiver.mid });
  emit({ type: "track", kind: track.kind, id: track.id, mid: e.transceiver.mid });
}

const STAT_FIELDS = [
  "ssrc", "mid", "packetsReceived", "packetsSent", "bytesReceived", "bytesSent",
  "packetsLost", "jitter", "framesDecoded", "framesReceived", "framesDropped", "keyFramesDecoded",
  "framesSent", "framesEncoded", "keyFramesEncoded", "frameWidth", "frameHeight",
  "framesPerSecond", "freezeCount", "totalFreezesDuration", "nackCount", "pliCount", "firCount",
  "totalAudioEnergy", "audioLevel", "totalSamplesReceived", "concealedSamples",
  "decoderImplementation", "encoderImplementation", "retransmittedPacketsSent",
  "qualityLimitationReason",
];

const basePeerCreate = window.rtc.create;

Object.assign(window.rtc, {
  mediaReady: true,

  create(config) {
    const result = basePeerCreate.call(window.rtc, config);
    requirePc().ontrack = onTrack;
    return result;
  },

  // opts: { video, audio: "sendrecv" | "sendonly" | "recvonly" | null,
  //         videoCodecs, audioCodecs: ["VP8", ...] | null, toneHz }
  // Before an offer this adds transceivers; after a remote offer it takes the transceivers
  // that offer created (same kind, no track yet) and sets their track and direction.
  async addMedia(opts) {
    const pc = requirePc();
    const out = [];
    for (const kind of ["video", "audio"]) {
      const direction = opts[kind];
      if (!direction) continue;
      const sending = direction === "sendrecv" || direction === "sendonly";
      const src = sending ? trackFor(kind, opts) : null;
      let t = pc.getTransceivers().find((x) => x.receiver.track.kind === kind &&
                                               !x.sender.track && x.mid !== null &&
                                               x.currentDirection !== "stopped");
      if (t) {
        if (src) {
          await t.sender.replaceTrack(src.track);
          t.sender.setStreams(src.stream);
        }
        t.direction = direction;
      } else {
        t = pc.addTransceiver(src ? src.track : kind,
                              { direction, streams: src ? [src.stream] : [] });
      }
      const names = opts[kind + "Codecs"];
      if (names) t.setCodecPreferences(codecsFor(kind, names));
      out.push({ kind, mid: t.mid, direction: t.direction });
    }
    return out;
  },

  // Close and forget the peer connection so that create() can make a fresh one (offer-only
  // checks in one page; media sources keep running).
  discard() {
    if (state.pc) state.pc.close();
    state.pc = null;
    return true;
  },

  codecCapabilities(kind) {
    return RTCRtpReceiver.getCapabilities(kind).codecs.map((c) => Object.assign({}, c));
  },

  // inbound-rtp / outbound-rtp entries with their codec's mimeType resolved.
  async mediaStats() {
    const report = await requirePc().getStats();
    const out = [];
    report.forEach((s) => {
      if (s.type !== "inbound-rtp" && s.type !== "outbound-rtp") return;
      const codec = s.codecId ? report.get(s.codecId) : null;
      const row = { type: s.type, kind: s.kind, codec: codec ? codec.mimeType : null,
                    codecFmtp: codec ? codec.sdpFmtpLine || "" : null };
      for (const f of STAT_FIELDS) if (s[f] !== undefined) row[f] = s[f];
      out.push(row);
    });
    return out;
  },

  receivedVideo() {
    return { numbers: media.received.slice(), unreadable: media.unreadable,
             presented: media.presented, size: media.lastSize, tracks: media.tracks };
  },

  // Resolves once `count` readable frames were recorded; rejects after timeoutMs.
  waitReceivedFrames(count, timeoutMs) {
    return new Promise((resolve, reject) => {
      const done = () => media.received.length >= count;
      if (done()) { resolve(media.received.length); return; }
      const timer = setTimeout(() => {
        reject(new Error(`only ${media.received.length} of ${count} readable frames ` +
                         `(${media.unreadable} unreadable, ${media.presented} presented) ` +
                         `within ${timeoutMs} ms; tracks ${JSON.stringify(media.tracks)}`));
      }, timeoutMs);
      media.waiters.push(() => {
        if (!done()) return false;
        clearTimeout(timer);
        resolve(media.received.length);
        return true;
      });
    });
  },

  framesDrawn() { return media.counter; },

  stopSources() {
    if (media.timer) clearInterval(media.timer);
    media.timer = null;
    if (media.oscillator) media.oscillator.stop();
    if (media.stream) media.stream.getTracks().forEach((t) => t.stop());
    if (media.audioStream) media.audioStream.getTracks().forEach((t) => t.stop());
    return media.counter;
  },
});

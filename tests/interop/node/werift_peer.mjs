// werift (a TypeScript WebRTC stack) as a peer for tests/interop/test_node_peers.py.
// Protocol: protocol.mjs. Trickles its candidates; gathers on BIND_ADDRESS only.
import { RTCPeerConnection } from "werift";
import { BIND_ADDRESS, describe, emit, packageVersion, serve } from "./protocol.mjs";

const version = packageVersion("werift");

const pc = new RTCPeerConnection({
  iceServers: [],
  iceUseIpv6: false,
  iceInterfaceAddresses: { udp4: BIND_ADDRESS },
});

pc.onIceCandidate.subscribe((c) => {
  if (!c) {
    emit({ type: "candidate", candidate: null });
    return;
  }
  const j = c.toJSON ? c.toJSON() : c;
  emit({ type: "candidate", candidate: j.candidate, sdpMid: j.sdpMid, sdpMLineIndex: j.sdpMLineIndex });
});
pc.iceGatheringStateChange.subscribe((s) => {
  emit({ type: "state", what: "gathering", state: s });
  if (s === "complete") emit({ type: "candidate", candidate: null });
});
pc.iceConnectionStateChange.subscribe((s) => emit({ type: "state", what: "ice", state: s }));
pc.connectionStateChange.subscribe((s) => emit({ type: "state", what: "connection", state: s }));

function watch(dc) {
  const label = dc.label;
  const opened = () => emit({ type: "open", label });
  if (dc.readyState === "open") opened();
  else dc.stateChanged.subscribe((s) => s === "open" && opened());
  dc.onMessage.subscribe((data) => {
    emit(describe(label, data));
    // werift 0.24 cannot send an empty message: send("") makes no DATA chunk but still uses
    // up a stream sequence number, so every later ordered message on the channel waits
    // forever for the missing one. Empty messages are reported, not echoed.
    if (data.length > 0) dc.send(data);
  });
}

pc.onDataChannel.subscribe((dc) => {
  emit({ type: "datachannel", label: dc.label, protocol: dc.protocol });
  watch(dc);
});

serve(async (msg) => {
  switch (msg.type) {
    case "create-offer": {
      watch(pc.createDataChannel(msg.label, { protocol: msg.protocol || "" }));
      await pc.setLocalDescription(await pc.createOffer());
      emit({ type: "offer", sdp: pc.localDescription.sdp });
      break;
    }
    case "offer": {
      await pc.setRemoteDescription({ type: "offer", sdp: msg.sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      emit({ type: "answer", sdp: pc.localDescription.sdp });
      break;
    }
    case "answer":
      await pc.setRemoteDescription({ type: "answer", sdp: msg.sdp });
      break;
    case "candidate":
      if (msg.candidate) {
        await pc.addIceCandidate({
          candidate: msg.candidate,
          sdpMid: msg.sdpMid ?? "0",
          sdpMLineIndex: msg.sdpMLineIndex ?? 0,
        });
      }
      break;
    case "close":
      await pc.close();
      process.exit(0);
  }
});
emit({ type: "ready", stack: "werift", version });

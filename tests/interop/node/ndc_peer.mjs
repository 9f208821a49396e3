// node-datachannel (bindings to libdatachannel) as a peer for tests/interop/test_node_peers.py.
// Protocol: protocol.mjs. Trickles its candidates; binds ICE to BIND_ADDRESS.
import nodeDataChannel from "node-datachannel";
import { BIND_ADDRESS, describe, emit, packageVersion, serve } from "./protocol.mjs";

const version = packageVersion("node-datachannel");
const { PeerConnection } = nodeDataChannel;

const pc = new PeerConnection("ndc", { iceServers: [], bindAddress: BIND_ADDRESS });
const channels = []; // keep the JS wrappers alive

pc.onLocalDescription((sdp, type) => emit({ type: type.toLowerCase(), sdp }));
pc.onLocalCandidate((candidate, mid) =>
  emit({ type: "candidate", candidate: candidate.replace(/^a=/, ""), sdpMid: mid, sdpMLineIndex: 0 }),
);
pc.onGatheringStateChange((s) => {
  emit({ type: "state", what: "gathering", state: s });
  if (s === "complete") emit({ type: "candidate", candidate: null });
});
pc.onIceStateChange((s) => emit({ type: "state", what: "ice", state: s }));
pc.onStateChange((s) => emit({ type: "state", what: "connection", state: s }));

function watch(dc) {
  channels.push(dc);
  const label = dc.getLabel();
  if (dc.isOpen()) emit({ type: "open", label });
  else dc.onOpen(() => emit({ type: "open", label }));
  dc.onMessage((data) => {
    emit(describe(label, data));
    if (typeof data === "string") dc.sendMessage(data);
    else dc.sendMessageBinary(Buffer.from(data));
  });
}

pc.onDataChannel((dc) => {
  emit({ type: "datachannel", label: dc.getLabel(), protocol: dc.getProtocol() });
  watch(dc);
});

serve(async (msg) => {
  switch (msg.type) {
    case "create-offer":
      // libdatachannel negotiates by itself: the first channel makes the offer.
      watch(pc.createDataChannel(msg.label, { protocol: msg.protocol || "" }));
      break;
    case "offer":
    case "answer":
      pc.setRemoteDescription(msg.sdp, msg.type);
      break;
    case "candidate":
      if (msg.candidate) pc.addRemoteCandidate(msg.candidate, msg.sdpMid ?? "0");
      break;
    case "close":
      for (const dc of channels) dc.close();
      pc.close();
      nodeDataChannel.cleanup();
      process.exit(0);
  }
});
emit({ type: "ready", stack: "node-datachannel", version });

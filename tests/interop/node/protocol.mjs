// Newline-delimited JSON between a node WebRTC peer and the Python test (stdin -> peer,
// peer -> stdout). Shared by werift_peer.mjs and ndc_peer.mjs.
//
// From Python:  {"type":"offer"|"answer","sdp":...}
//               {"type":"candidate","candidate":"candidate:..."|null,"sdpMid":...,"sdpMLineIndex":...}
//               {"type":"create-offer","label":...,"protocol":...}   (the node peer offers)
//               {"type":"close"}
// To Python:    {"type":"ready","stack":...,"version":...}
//               {"type":"offer"|"answer","sdp":...}
//               {"type":"candidate",...} (trickled; candidate null = end of candidates)
//               {"type":"state","what":"ice"|"connection"|"gathering","state":...}
//               {"type":"datachannel","label":...,"protocol":...}   (the remote opened one)
//               {"type":"open","label":...}
//               {"type":"message","label":...,"binary":bool,"size":n,"sha256":hex}
//                 (and the message is echoed back unchanged on the same channel)
//               {"type":"error","error":...}
// Every message a channel receives is echoed back on it, text as text, binary as binary.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";

export function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

export function describe(label, data) {
  const binary = typeof data !== "string";
  const bytes = binary ? Buffer.from(data) : Buffer.from(data, "utf8");
  return {
    type: "message",
    label,
    binary,
    size: bytes.length,
    sha256: createHash("sha256").update(bytes).digest("hex"),
  };
}

// Runs handler(msg) for each JSON line on stdin, one at a time and in order.
export function serve(handler) {
  const rl = createInterface({ input: process.stdin });
  let chain = Promise.resolve();
  rl.on("line", (line) => {
    if (!line.trim()) return;
    const msg = JSON.parse(line);
    chain = chain
      .then(() => handler(msg))
      .catch((err) => emit({ type: "error", error: String(err && err.stack ? err.stack : err) }));
  });
  rl.on("close", () => {
    chain.then(() => process.exit(0));
  });
}

// The namespace address the tests run on (tools/netns-run exports it).
export const BIND_ADDRESS = process.env.RTCPEER_NETNS_ADDR || "10.99.0.1";

// The installed version of a package (read from its package.json, which "exports" may hide).
export function packageVersion(name) {
  const url = new URL(`./node_modules/${name}/package.json`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")).version;
}

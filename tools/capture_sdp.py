"""Re-capture the real SDP fixtures in ``tests/fixtures/sdp/``.

The fixtures are produced by independent implementations, never written by hand:

* aiortc (Python): a data-channel offer/answer pair and an audio+video offer/answer pair
  (``pc.addTransceiver("audio")`` / ``("video")``), taken after ICE gathering completes.
* Chromium (Debian's ``/usr/bin/chromium`` driven by Playwright): a data-channel offer and
  the answer to it, an audio+video offer (fake devices through getUserMedia) and the answer.
  The browser SDPs are read after ICE gathering completes or after a ~2 s cap, so they may
  carry host candidates with mDNS ``.local`` names.

Usage::

    /work/venv/bin/python tools/capture_sdp.py [--out tests/fixtures/sdp] [--skip-chromium]

Never run ``playwright install``: the script uses the system Chromium.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]

# Runs inside the page. Each scenario returns {offer, answer} as the browser produced them,
# read from localDescription after gathering (capped) so candidates are included.
BROWSER_SCRIPT = """
async (scenario) => {
  const gathered = (pc) => new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') { resolve(); return; }
    const timer = setTimeout(resolve, 2000);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') { clearTimeout(timer); resolve(); }
    });
  });
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  if (scenario === 'datachannel') {
    a.createDataChannel('chat');
  } else {
    const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
    for (const track of stream.getTracks()) { a.addTrack(track, stream); }
  }
  await a.setLocalDescription(await a.createOffer());
  await gathered(a);
  const offer = a.localDescription.sdp;
  await b.setRemoteDescription({type: 'offer', sdp: offer});
  if (scenario !== 'datachannel') {
    const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
    for (const track of stream.getTracks()) { b.addTrack(track, stream); }
  }
  await b.setLocalDescription(await b.createAnswer());
  await gathered(b);
  const answer = b.localDescription.sdp;
  a.close(); b.close();
  return {offer, answer};
}
"""


async def capture_aiortc(out: Path) -> None:
    from aiortc import RTCPeerConnection, RTCSessionDescription

    async def pair(name: str, setup: Any) -> None:
        offerer = RTCPeerConnection()
        answerer = RTCPeerConnection()
        setup(offerer)
        await offerer.setLocalDescription(await offerer.createOffer())
        offer = offerer.localDescription.sdp
        await answerer.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        await answerer.setLocalDescription(await answerer.createAnswer())
        answer = answerer.localDescription.sdp
        await offerer.close()
        await answerer.close()
        write(out / f"aiortc_{name}_offer.sdp", offer)
        write(out / f"aiortc_{name}_answer.sdp", answer)

    def datachannel(pc: Any) -> None:
        pc.createDataChannel("chat")

    def audio_video(pc: Any) -> None:
        pc.addTransceiver("audio")
        pc.addTransceiver("video")

    await pair("datachannel", datachannel)
    await pair("audio_video", audio_video)


async def capture_chromium(out: Path) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            # getUserMedia needs a secure context: about:blank is not one, http://localhost/
            # is. Playwright serves that page from memory; no server is started.
            await page.route(
                "http://localhost/**",
                lambda route: route.fulfill(status=200, content_type="text/html", body="<html/>"),
            )
            await page.goto("http://localhost/capture")
            for scenario, name in (("datachannel", "datachannel"), ("media", "audio_video")):
                result = await page.evaluate(BROWSER_SCRIPT, scenario)
                write(out / f"chromium_{name}_offer.sdp", result["offer"])
                write(out / f"chromium_{name}_answer.sdp", result["answer"])
            version = browser.version
        finally:
            await browser.close()
    write(out / "chromium_version.json", json.dumps({"chromium": version}) + "\n")


def write(path: Path, text: str) -> None:
    # newline="" keeps the CRLF line endings exactly as the implementation produced them.
    with path.open("w", newline="") as f:
        f.write(text)
    print(f"wrote {path} ({len(text)} bytes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("tests/fixtures/sdp"))
    parser.add_argument("--skip-chromium", action="store_true")
    parser.add_argument("--skip-aiortc", action="store_true")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.skip_aiortc:
        asyncio.run(capture_aiortc(args.out))
    if not args.skip_chromium:
        asyncio.run(capture_chromium(args.out))


if __name__ == "__main__":
    main()

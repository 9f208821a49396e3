"""The chat demo end to end: the real room server (join tokens on), the Python bot
(``python -m examples.chat.bot``, rtcpeer) and two Chromium pages on the served chat page
(``signaling/static/index.html``), all in one room.

Every participant connects to every other over its own RTCPeerConnection (mesh) with perfect
negotiation on both sides (Python ``PerfectNegotiator``, browser ``PerfectNegotiation``);
chat messages travel over the data channels only. Checked through each page's DOM (the chat
log) and its ``window.chat`` hook. Runs inside ``tools/netns-run``: the pages reach the server
at http://127.0.0.1 (a secure context), WebRTC uses 10.99.0.1.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

try:  # tests/ may or may not become a package
    from .browser import CHROMIUM_FLAGS, CHROMIUM_PATH, MDNS_OFF_FLAG, assert_private_netns
except ImportError:
    from browser import (  # type: ignore[no-redef]
        CHROMIUM_FLAGS,
        CHROMIUM_PATH,
        MDNS_OFF_FLAG,
        assert_private_netns,
    )

# The room-server fixture lives with the signaling tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "signaling"))
from server_fixtures import REPO, mint, running_server

pytestmark = [pytest.mark.interop, pytest.mark.chromium]

ROOM = "demo"
TIMEOUT_MS = 20_000
BOT_START_TIMEOUT = 15.0


@contextlib.contextmanager
def running_bot(ws_url: str, token: str, log_path: Path) -> Any:
    """``python -m examples.chat.bot`` as a subprocess; returns once it has joined."""
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "examples.chat.bot",
                "--url",
                ws_url,
                "--room",
                ROOM,
                "--name",
                "bot",
                "--token",
                token,
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
    try:
        deadline = time.monotonic() + BOT_START_TIMEOUT
        while "joined room" not in log_path.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the bot did not join:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.05)
        yield proc
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(5)


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    assert_private_netns()
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM_PATH,
            headless=True,
            args=[*CHROMIUM_FLAGS, MDNS_OFF_FLAG],
            timeout=TIMEOUT_MS,
        )
        try:
            yield browser
        finally:
            await browser.close()


async def open_chat(browser: Any, http_url: str, name: str, console: list[str]) -> Any:
    context = await browser.new_context()
    page = await context.new_page()
    page.on("console", lambda msg: console.append(f"{name} {msg.type}: {msg.text}"))
    page.on("pageerror", lambda err: console.append(f"{name} pageerror: {err}"))
    token = mint(ROOM, name=name)
    await page.goto(f"{http_url}/?room={ROOM}&name={name}&token={token}", timeout=TIMEOUT_MS)
    await page.wait_for_function(
        "window.chat && (window.chat.ready || window.chat.error)", timeout=TIMEOUT_MS
    )
    error = await page.evaluate("window.chat.error")
    assert error is None, f"{name} could not join: {error}"
    return page


async def wait_js(page: Any, expression: str, arg: Any, what: str, console: list[str]) -> None:
    try:
        await page.wait_for_function(expression, arg=arg, timeout=TIMEOUT_MS)
    except Exception as exc:
        state = []
        for other in page.context.browser.contexts:
            for p in other.pages:
                state.append(
                    await p.evaluate(
                        "({me: window.chat.id(), links: window.chat.links(),"
                        " messages: window.chat.messages})"
                    )
                )
        raise AssertionError(
            f"timed out waiting for {what}: pages={state} console={console}"
        ) from exc


OPEN_LINKS = (
    "(n) => Object.values(window.chat.links()).filter((l) => l.channel === 'open').length >= n"
)
HAS_MESSAGE = (
    "([name, text]) => window.chat.messages.some((m) => !m.mine && m.name === name"
    " && m.text === text)"
)


async def log_lines(page: Any) -> list[str]:
    """The chat log as shown: each entry's name and text, from the DOM."""
    lines: list[str] = await page.eval_on_selector_all(
        "#log li:not(.system)",
        "(items) => items.map((li) => li.querySelector('.name').textContent + ': '"
        " + li.querySelector('.text').textContent)",
    )
    return lines


async def test_two_pages_and_the_bot_chat_over_data_channels(tmp_path: Path) -> None:
    try:
        await _chat(tmp_path)
    except AssertionError as exc:
        bot_log = (tmp_path / "bot.log").read_text(errors="replace")[-4000:]
        raise AssertionError(f"{exc}\n--- bot log (tail):\n{bot_log}") from None


async def _chat(tmp_path: Path) -> None:
    console: list[str] = []
    with (
        running_server(tmp_path) as server,
        running_bot(server.ws_url, mint(ROOM, name="bot"), tmp_path / "bot.log"),
    ):
        async with chromium() as browser:
            alice = await open_chat(browser, server.http_url, "alice", console)
            bob = await open_chat(browser, server.http_url, "bob", console)
            pages = {"alice": alice, "bob": bob}

            # Mesh: each page has an open channel to the bot and to the other page.
            for name, page in pages.items():
                await wait_js(page, OPEN_LINKS, 2, f"{name}'s two open channels", console)
                participants = await page.evaluate("window.chat.participants()")
                assert sorted(p["name"] for p in participants) == sorted(
                    {"alice", "bob", "bot"} - {name}
                )

            # The bot greeted both newcomers over their data channels.
            for name, page in pages.items():
                greeting = (
                    f"Welcome, {name}! I am bot. commands: /echo TEXT · /time · /stats · /help"
                )
                await wait_js(page, HAS_MESSAGE, ["bot", greeting], f"{name}'s greeting", console)

            # Every participant receives every other's chat messages.
            assert await alice.evaluate("window.chat.send('hello from alice')") == 2
            assert await bob.evaluate("window.chat.send('hello from bob')") == 2
            await wait_js(bob, HAS_MESSAGE, ["alice", "hello from alice"], "alice's line", console)
            await wait_js(alice, HAS_MESSAGE, ["bob", "hello from bob"], "bob's line", console)

            # The bot's reply to a command reaches both pages.
            await alice.evaluate("window.chat.send('/echo hi')")
            for name, page in pages.items():
                await wait_js(page, HAS_MESSAGE, ["bot", "@alice hi"], f"echo in {name}", console)
            await bob.evaluate("window.chat.send('/stats')")
            for name, page in pages.items():
                await wait_js(
                    page,
                    "() => window.chat.messages.some((m) => m.name === 'bot'"
                    " && m.text.startsWith('@bob connection connected · pair '))",
                    None,
                    f"/stats reply in {name}",
                    console,
                )

            # And the DOM shows it all, with sender names.
            alice_log, bob_log = await log_lines(alice), await log_lines(bob)
            assert "bob: hello from bob" in alice_log and "alice: hello from alice" in alice_log
            assert "alice: hello from alice" in bob_log and "bob: hello from bob" in bob_log
            assert "bot: @alice hi" in alice_log and "bot: @alice hi" in bob_log
            stats = next(line for line in bob_log if line.startswith("bot: @bob connection"))
            assert "10.99.0.1" in stats and "msgs" in stats, stats
            assert not [line for line in console if "pageerror" in line], console

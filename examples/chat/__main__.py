"""The chat demo in one command: room server (dev mode) + the Python bot.

From the repository root, after ``pip install -e '.[signaling]'``::

    python -m examples.chat                 # http://127.0.0.1:8765/?room=lobby
    python -m examples.chat --port 9000 --room friends --host 0.0.0.0

It starts ``python -m signaling.server --insecure-dev-mode`` (no join tokens: for trying the
demo on your own machine only), waits until it listens, joins the bot to the room and prints
the URL to open. Open it in two browser tabs (add ``&name=alice`` / ``&name=bob``) and chat;
type ``/help`` to talk to the bot. Ctrl-C stops everything. ``--port 0`` picks a free port.
The server's JSON logs go to stderr with ``--server-logs``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys

from .bot import run_bot

START_TIMEOUT = 15.0


async def _start_server(host: str, port: int) -> tuple[asyncio.subprocess.Process, int]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "signaling.server",
        "--host",
        host,
        "--port",
        str(port),
        "--insecure-dev-mode",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    seen: list[str] = []

    async def listening() -> int:
        assert proc.stdout is not None
        while line := await proc.stdout.readline():
            text = line.decode(errors="replace").rstrip()
            seen.append(text)
            with contextlib.suppress(ValueError):
                record = json.loads(text)
                if isinstance(record, dict) and record.get("event") == "listening":
                    return int(record["port"])
        raise RuntimeError("the server exited:\n" + "\n".join(seen))

    try:
        return proc, await asyncio.wait_for(listening(), START_TIMEOUT)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        raise


async def _relay_logs(proc: asyncio.subprocess.Process, show: bool) -> None:
    """Keep reading the server's output (a full pipe would block it)."""
    assert proc.stdout is not None
    while line := await proc.stdout.readline():
        if show:
            sys.stderr.write(line.decode(errors="replace"))


async def demo(host: str, port: int, room: str, bot_name: str, server_logs: bool) -> None:
    main_task = asyncio.current_task()
    assert main_task is not None
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):  # stop the server too, whichever arrives
        loop.add_signal_handler(signum, main_task.cancel)
    proc, port = await _start_server(host, port)
    relay = asyncio.create_task(_relay_logs(proc, server_logs))
    page_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    print("room server (insecure dev mode: no join tokens) on port", port, flush=True)
    print(f"open: http://{page_host}:{port}/?room={room}&name=alice", flush=True)
    print(f"  and http://{page_host}:{port}/?room={room}&name=bob", flush=True)
    print(
        f"the bot {bot_name!r} is in room {room!r}; type /help in the chat. Ctrl-C stops.",
        flush=True,
    )
    bot = asyncio.create_task(run_bot(f"ws://127.0.0.1:{port}/ws", room, name=bot_name))
    server_done = asyncio.create_task(proc.wait())
    try:
        await asyncio.wait({bot, server_done}, return_when=asyncio.FIRST_COMPLETED)
        if server_done.done():
            print("the room server exited", file=sys.stderr)
        elif (error := bot.exception()) is not None:
            raise error
    finally:
        bot.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await bot
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 5.0)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        relay.cancel()
        server_done.cancel()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m examples.chat",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="server address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--room", default="lobby")
    parser.add_argument("--bot-name", default="bot")
    parser.add_argument("--server-logs", action="store_true", help="show the server's logs")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        asyncio.run(demo(args.host, args.port, args.room, args.bot_name, args.server_logs))


if __name__ == "__main__":
    main()

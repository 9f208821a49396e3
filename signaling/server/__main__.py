"""Command line: ``python -m signaling.server [serve options]`` or ``... mint-token ...``.

Serve::

    python -m signaling.server --host 127.0.0.1 --port 8765
        [--redis redis://127.0.0.1:6379/0] [--presence-interval 1] [--presence-ttl 5]
        [--secret-file F | env SIGNALING_SECRET | --insecure-dev-mode]
        [--max-message-bytes 65536] [--max-frame-bytes N] [--rate 50/s] [--burst N]
        [--max-participants 50] [--join-timeout 5] [--max-queued-bytes N]
        [--max-connections-per-address 50] [--static-dir DIR] [--log-level INFO]

Mint a join token (prints it on stdout)::

    python -m signaling.server mint-token --room R [--ttl 3600] [--name NAME]
        [--secret-file F]    (else env SIGNALING_SECRET)

Exit status 2 with a message on stderr for bad arguments or a missing secret.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from . import logs
from .app import ServerConfig, run
from .limits import Limits, parse_rate
from .static import DEFAULT_STATIC_DIR
from .tokens import SecretError, load_secret, mint_token


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return value


def _rate(text: str) -> float:
    try:
        return parse_rate(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def serve_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m signaling.server",
        description="WebSocket room server for WebRTC signaling (endpoint /ws) that also "
        "serves the browser client. Subcommand: mint-token (see mint-token --help).",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765, help="0 picks a free port (logged)")
    p.add_argument("--redis", metavar="URL", help="share rooms with other nodes via Redis")
    p.add_argument(
        "--presence-interval",
        type=_positive_float,
        default=1.0,
        metavar="S",
        help="seconds between presence heartbeats with --redis (default 1)",
    )
    p.add_argument(
        "--presence-ttl",
        type=_positive_float,
        default=5.0,
        metavar="S",
        help="a node's participants expire S seconds after its last heartbeat",
    )
    p.add_argument("--secret-file", metavar="F", help="HMAC secret (else $SIGNALING_SECRET)")
    p.add_argument(
        "--insecure-dev-mode",
        action="store_true",
        help="accept joins without tokens (logged loudly; never in production)",
    )
    p.add_argument(
        "--max-message-bytes",
        type=_positive_int,
        default=65536,
        metavar="N",
        help="larger frames get a too-large error (default 65536)",
    )
    p.add_argument(
        "--max-frame-bytes",
        type=_positive_int,
        metavar="N",
        help="frames over N close the connection with 1009 "
        "(default max(16 x max-message-bytes, 1 MiB))",
    )
    p.add_argument(
        "--rate",
        type=_rate,
        default=50.0,
        metavar="N/s",
        help="frames per second per connection (default 50/s)",
    )
    p.add_argument(
        "--burst",
        type=_positive_int,
        metavar="N",
        help="frames allowed back to back (default: the rate, at least 1)",
    )
    p.add_argument(
        "--max-participants",
        type=_positive_int,
        default=50,
        metavar="N",
        help="per room, across all nodes (default 50)",
    )
    p.add_argument(
        "--join-timeout",
        type=_positive_float,
        default=5.0,
        metavar="S",
        help="close a connection that has not joined S seconds after connecting (default 5)",
    )
    p.add_argument(
        "--max-queued-bytes",
        type=_positive_int,
        metavar="N",
        help="bytes queued for a reader before it is disconnected as too slow (1013) "
        "(default max(1 MiB, 4 x max-message-bytes))",
    )
    p.add_argument(
        "--max-connections-per-address",
        type=_positive_int,
        default=50,
        metavar="N",
        help="concurrent connections from one IP address; more are reset (default 50)",
    )
    p.add_argument("--static-dir", type=Path, default=DEFAULT_STATIC_DIR, metavar="DIR")
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return p


def mint_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m signaling.server mint-token",
        description="Print a join token for one room, signed with the server secret.",
    )
    p.add_argument("--room", required=True)
    p.add_argument("--ttl", type=_positive_float, default=3600.0, metavar="SECONDS")
    p.add_argument("--name", help="fix the participant's name")
    p.add_argument("--secret-file", metavar="F", help="HMAC secret (else $SIGNALING_SECRET)")
    return p


def mint_main(argv: list[str]) -> int:
    args = mint_parser().parse_args(argv)
    try:
        secret = load_secret(args.secret_file)
    except SecretError as exc:
        print(f"mint-token: {exc}", file=sys.stderr)
        return 2
    print(mint_token(secret, args.room, ttl=args.ttl, name=args.name))
    return 0


def serve_main(argv: list[str]) -> int:
    parser = serve_parser()
    args = parser.parse_args(argv)
    if args.presence_ttl <= args.presence_interval:
        parser.error("--presence-ttl must be longer than --presence-interval")
    secret: bytes | None = None
    if not args.insecure_dev_mode:
        try:
            secret = load_secret(args.secret_file)
        except SecretError as exc:
            print(f"signaling.server: refusing to start: {exc}", file=sys.stderr)
            return 2
    burst = args.burst if args.burst is not None else max(1, int(args.rate))
    config = ServerConfig(
        host=args.host,
        port=args.port,
        secret=secret,
        insecure_dev_mode=args.insecure_dev_mode,
        limits=Limits(
            max_message_bytes=args.max_message_bytes,
            rate=args.rate,
            burst=burst,
            max_participants=args.max_participants,
            hard_max_bytes=args.max_frame_bytes,
            join_timeout=args.join_timeout,
            max_queued_bytes=args.max_queued_bytes,
            max_connections_per_address=args.max_connections_per_address,
        ),
        static_dir=args.static_dir,
        redis_url=args.redis,
        heartbeat_interval=args.presence_interval,
        presence_ttl=args.presence_ttl,
    )
    logs.configure(args.log_level)
    try:
        asyncio.run(run(config))
    except OSError as exc:  # e.g. the port is taken, Redis unreachable
        print(f"signaling.server: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "mint-token":
        return mint_main(args[1:])
    if args and args[0] == "serve":
        args = args[1:]
    return serve_main(args)


if __name__ == "__main__":
    sys.exit(main())

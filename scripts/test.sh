#!/usr/bin/env bash
# Set up everything and run the whole test suite (lint, types, every tier).
# Fresh Debian 12 + Python 3.11, as root. Real peers (aiortc, Chromium, coturn, node peers) are installed
# here; the tests run inside a private network namespace (tools/netns-run) so that no test
# traffic reaches a real interface.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }

log "system packages (chromium, coturn, redis-server, janus, iproute2)"
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium chromium-driver)
command -v turnserver >/dev/null 2>&1 || need+=(coturn)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v janus >/dev/null 2>&1 || need+=(janus)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v unshare >/dev/null 2>&1 || need+=(util-linux)
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
if ((${#need[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need[@]}" >/dev/null
fi
# coturn's package may start a system service; the tests start their own servers.
systemctl stop coturn redis-server janus >/dev/null 2>&1 || true

log "python environment (.venv)"
python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip >/dev/null
.venv/bin/pip install -q -e '.[dev]'

log "node peers (werift, node-datachannel) for tests/interop/test_node_peers.py"
# npm ci from the committed lock file; node-datachannel's native addon comes prebuilt inside
# its npm package (@node-datachannel/linux-x64-gnu), so nothing is downloaded from elsewhere.
(cd tests/interop/node && npm ci --no-audit --no-fund --loglevel=error)

log "ruff"
.venv/bin/ruff check .

log "mypy --strict"
.venv/bin/mypy

log "pytest (all tiers, inside a private network namespace)"
set +e
tools/netns-run .venv/bin/pytest -n 2 --dist loadfile -p no:cacheprovider -q -ra "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
    echo "pytest collected no tests: that is a failure for this project" >&2
    exit 1
fi
exit "$rc"

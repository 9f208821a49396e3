"""Static files over plain HTTP GET on the WebSocket port (``process_request``).

``/`` is ``index.html``; any other path names a file inside the static directory. Paths are
percent-decoded once, then refused (404) if any segment is empty-dot, ``..``, hidden (starts
with a dot), or holds a backslash or NUL, and the resolved file must still lie inside the
directory (symlinks pointing out are refused too). Only regular files are served.
"""

from __future__ import annotations

import http
from pathlib import Path
from urllib.parse import unquote

from websockets.datastructures import Headers
from websockets.http11 import Response

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".ico": "image/x-icon",
    ".wasm": "application/wasm",
}
DEFAULT_STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
MAX_FILE_BYTES = 8 << 20


def _response(status: http.HTTPStatus, body: bytes, content_type: str) -> Response:
    headers = Headers(
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-cache"),
            ("X-Content-Type-Options", "nosniff"),
        ]
    )
    return Response(status.value, status.phrase, headers, body)


def not_found() -> Response:
    return _response(http.HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")


class StaticFiles:
    def __init__(self, directory: Path = DEFAULT_STATIC_DIR) -> None:
        self.directory = directory.resolve()

    def resolve(self, url_path: str) -> Path | None:
        """The file ``url_path`` names inside the directory, or None."""
        try:
            path = unquote(url_path.split("?", 1)[0].split("#", 1)[0], errors="strict")
        except UnicodeDecodeError:
            return None
        if not path.startswith("/") or "\\" in path or "\x00" in path:
            return None
        if path == "/":
            path = "/index.html"
        segments = path[1:].split("/")
        if any(not s or s.startswith(".") for s in segments):
            return None
        candidate = (self.directory / Path(*segments)).resolve()
        if not candidate.is_relative_to(self.directory) or not candidate.is_file():
            return None
        return candidate

    def respond(self, url_path: str) -> Response:
        try:
            target = self.resolve(url_path)
        except (UnicodeDecodeError, OSError, ValueError):
            target = None
        if target is None:
            return not_found()
        try:
            if target.stat().st_size > MAX_FILE_BYTES:
                return not_found()
            body = target.read_bytes()
        except OSError:
            return not_found()
        content_type = CONTENT_TYPES.get(target.suffix.lower(), "application/octet-stream")
        return _response(http.HTTPStatus.OK, body, content_type)

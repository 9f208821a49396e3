"""Join tokens: HMAC-SHA256 signed, expiring, scoped to one room.

Format: ``<payload>.<mac>`` where ``payload`` is the unpadded base64url encoding of a JSON
object ``{"room": str, "exp": int (unix seconds), "nonce": str, "name"?: str}`` and ``mac`` is
the unpadded base64url HMAC-SHA256 of the ASCII ``payload`` text under the server secret.

The MAC is checked (in constant time) before anything in the payload is believed, so a
tampered or forged token is ``bad-token`` whatever it claims; only an authentic token can be
``expired-token`` or ``wrong-room``.

A token is minted for one participant, so it admits one participant at a time (single
concurrent use): while a participant admitted with a token is in the room, a join with the
same token (same ``nonce``) is refused with ``token-in-use``, on every node (with Redis the
check and the add are one Lua script; the claim is the membership, so it ends when that
participant leaves or its presence expires). After that the token may join again until it
expires, so a client whose connection dropped can rejoin with the token it holds. Keep TTLs
short: a leaked token is usable by whoever presents it while its holder is not in the room.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

SECRET_ENV = "SIGNALING_SECRET"
MIN_SECRET_BYTES = 16
MAX_TOKEN_CHARS = 4096


class TokenError(Exception):
    """A token was refused; ``code`` is the wire error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class SecretError(Exception):
    """No usable secret (missing, empty or too short)."""


@dataclass(frozen=True)
class TokenClaims:
    room: str
    exp: int
    nonce: str
    name: str | None = None


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not text or any(c not in _B64_ALPHABET for c in text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_B64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _mac(secret: bytes, payload: str) -> bytes:
    return hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest()


def load_secret(secret_file: str | os.PathLike[str] | None = None) -> bytes:
    """The secret from ``secret_file`` if given, else from ``$SIGNALING_SECRET``.

    Raises ``SecretError`` with a message fit for the command line when there is none."""
    if secret_file is not None:
        try:
            secret = Path(secret_file).read_bytes().strip()
        except OSError as exc:
            raise SecretError(f"cannot read secret file {secret_file}: {exc.strerror}") from exc
        source = f"secret file {secret_file}"
    else:
        env = os.environ.get(SECRET_ENV)
        if env is None:
            raise SecretError(
                f"no secret: set ${SECRET_ENV} or pass --secret-file "
                "(or --insecure-dev-mode to run without join tokens)"
            )
        secret = env.strip().encode("utf-8")
        source = f"${SECRET_ENV}"
    if len(secret) < MIN_SECRET_BYTES:
        raise SecretError(f"{source} is shorter than {MIN_SECRET_BYTES} bytes")
    return secret


def mint_token(
    secret: bytes,
    room: str,
    *,
    ttl: float = 3600.0,
    name: str | None = None,
    now: float | None = None,
) -> str:
    """A token for ``room`` valid for ``ttl`` seconds from ``now`` (default: the wall clock)."""
    issued = time.time() if now is None else now
    claims: dict[str, object] = {
        "room": room,
        "exp": int(issued + ttl),
        "nonce": secrets.token_urlsafe(12),
    }
    if name is not None:
        claims["name"] = name
    payload = _b64encode(json.dumps(claims, separators=(",", ":")).encode("utf-8"))
    return f"{payload}.{_b64encode(_mac(secret, payload))}"


def verify_token(
    secret: bytes, token: object, room: str, *, now: float | None = None
) -> TokenClaims:
    """The claims of ``token`` if it is authentic, unexpired and for ``room``.

    Raises ``TokenError`` with code ``bad-token``, ``expired-token`` or ``wrong-room``."""
    if not isinstance(token, str) or not token:
        raise TokenError("bad-token", "a join token is required")
    if len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
        raise TokenError("bad-token", "token is not <payload>.<mac>")
    payload, mac_text = token.split(".")
    try:
        mac = _b64decode(mac_text)
        payload.encode("ascii")
    except (ValueError, binascii.Error, UnicodeEncodeError):
        raise TokenError("bad-token", "token is not base64url") from None
    if not hmac.compare_digest(mac, _mac(secret, payload)):
        raise TokenError("bad-token", "token signature does not verify")
    claims = _parse_claims(payload)
    current = time.time() if now is None else now
    if claims.exp <= current:
        raise TokenError("expired-token", "token has expired")
    if claims.room != room:
        raise TokenError("wrong-room", "token is for another room")
    return claims


def _parse_claims(payload: str) -> TokenClaims:
    # Authentic (the MAC verified), so a bad payload means a minting bug; still, no crash.
    try:
        data = json.loads(_b64decode(payload))
    except (ValueError, binascii.Error):
        raise TokenError("bad-token", "token payload is not JSON") from None
    if not isinstance(data, dict):
        raise TokenError("bad-token", "token payload is not an object")
    room, exp, nonce, name = data.get("room"), data.get("exp"), data.get("nonce"), data.get("name")
    if (
        not isinstance(room, str)
        or not isinstance(exp, int)
        or isinstance(exp, bool)
        or not isinstance(nonce, str)
        or not (name is None or isinstance(name, str))
    ):
        raise TokenError("bad-token", "token payload has missing or mistyped fields")
    return TokenClaims(room=room, exp=exp, nonce=nonce, name=name)

"""What the codec wrappers share: the encoded frame and the decode error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["DecodeError", "EncodedFrame", "check_options_used"]


@dataclass(frozen=True, slots=True)
class EncodedFrame:
    """One encoded frame; ``timestamp`` is in the RTP clock (90 kHz video, codec clock audio)."""

    data: bytes
    timestamp: int
    keyframe: bool


class DecodeError(Exception):
    """The decoder rejected a bitstream (remote input: drop it and ask for a keyframe)."""


def check_options_used(ctx: Any) -> None:
    """FFmpeg leaves the options a codec did not know in ctx.options: a misspelt setting."""
    unused = dict(ctx.options)
    if unused:
        raise ValueError(f"{ctx.codec.name} does not know the options {unused}")

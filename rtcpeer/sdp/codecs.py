"""Codec matching for offer/answer: which offered payload types we can accept, and what the
answer may claim for them.

RFC 9429 §5.3.1 (JSEP answer): the answerer keeps the offerer's payload type numbers for the
codecs it accepts, and lists only formats, ``a=rtcp-fb`` and ``a=fmtp`` values that it itself
supports. DESIGN rule 9: what we claim comes from the code that implements it, so the answer is
built from *our* codec (``ours``: its rtcp-fb list and fmtp are what rtcpeer implements) with
*their* payload type, never from a copy of the offer.

Format-specific matching (two codecs of the same name can still be incompatible):

* H.264 (RFC 6184 §8.1, §8.2.2): ``packetization-mode`` must be equal (absent means 0), and the
  profile named by ``profile-level-id`` must match (the level may differ). In the answer the level
  is ours when both sides allow ``level-asymmetry-allowed=1`` (RFC 6184 §8.1), else the lower of
  the two, so we never claim to receive more than the offerer said it sends.
* VP9 (RFC 9628 §6): ``profile-id`` must be equal (absent means 0).
* AV1 (AV1 RTP spec §7.2): ``profile`` must be equal (absent means 0).
* RTX (RFC 4588 §8.6): accepted when its ``apt`` names an accepted codec; the answer's ``apt``
  is the offerer's number for that codec.
* Opus, G.711, G.722: name, clock rate and channel count.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from .model import Codec, RtcpFeedback

__all__ = ["answer_codecs", "codecs_match", "h264_profile"]


def _name(c: Codec) -> str:
    return (c.name or "").lower()


def _fmtp_int(c: Codec, key: str, default: int) -> int:
    value = c.fmtp.get(key)
    try:
        return default if value is None else int(value)
    except ValueError:
        return -1  # unparseable: matches nothing


# RFC 6184 Table 5 / RFC 7742: profile_idc + the constraint bits that tell the profiles apart.
_H264_PROFILES: tuple[tuple[int, int, int, str], ...] = (
    # (profile_idc, mask over profile-iop, value under mask, profile)
    (0x42, 0x40, 0x40, "constrained-baseline"),
    (0x4D, 0x80, 0x80, "constrained-baseline"),
    (0x58, 0xC0, 0xC0, "constrained-baseline"),
    (0x42, 0x40, 0x00, "baseline"),
    (0x58, 0xC0, 0x80, "baseline"),
    (0x4D, 0x80, 0x00, "main"),
    (0x58, 0xC0, 0x00, "extended"),
    (0x64, 0x00, 0x00, "high"),
    (0x6E, 0x00, 0x00, "high-10"),
    (0x7A, 0x00, 0x00, "high-422"),
    (0xF4, 0x00, 0x00, "high-444"),
)


def h264_profile(profile_level_id: str | None) -> tuple[str, int] | None:
    """``(profile, level_idc)`` from a ``profile-level-id`` (default ``42000a``), else None."""
    text = profile_level_id or "42000a"
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        return None
    if len(raw) != 3:
        return None
    idc, iop, level = raw
    for profile_idc, mask, value, profile in _H264_PROFILES:
        if idc == profile_idc and iop & mask == value:
            return profile, level
    return None


def _h264_match(a: Codec, b: Codec) -> bool:
    if _fmtp_int(a, "packetization-mode", 0) != _fmtp_int(b, "packetization-mode", 0):
        return False
    pa = h264_profile(a.fmtp.get("profile-level-id"))
    pb = h264_profile(b.fmtp.get("profile-level-id"))
    return pa is not None and pb is not None and pa[0] == pb[0]


_Matcher = Callable[[Codec, Codec], bool]


def _same_param(key: str) -> _Matcher:
    def match(a: Codec, b: Codec) -> bool:
        return _fmtp_int(a, key, 0) == _fmtp_int(b, key, 0)

    return match


def _always(a: Codec, b: Codec) -> bool:
    return True


_FORMAT_MATCH: dict[str, _Matcher] = {
    "h264": _h264_match,
    "vp9": _same_param("profile-id"),
    "av1": _same_param("profile"),
}


def codecs_match(theirs: Codec, ours: Codec) -> bool:
    """Whether the offered ``theirs`` can be answered with our ``ours`` (see module doc)."""
    if not theirs.name or not ours.name or _name(theirs) != _name(ours):
        return False
    if theirs.clock_rate != ours.clock_rate or (theirs.channels or 1) != (ours.channels or 1):
        return False
    return _FORMAT_MATCH.get(_name(ours), _always)(theirs, ours)


def _answer_fmtp(theirs: Codec, ours: Codec) -> dict[str, str | None]:
    fmtp = dict(ours.fmtp)
    if _name(ours) == "h264":
        theirs_pl = h264_profile(theirs.fmtp.get("profile-level-id"))
        ours_pl = h264_profile(ours.fmtp.get("profile-level-id"))
        asymmetric = (
            theirs.fmtp.get("level-asymmetry-allowed") == "1"
            and ours.fmtp.get("level-asymmetry-allowed") == "1"
        )
        if theirs_pl and ours_pl and not asymmetric and theirs_pl[1] < ours_pl[1]:
            # Our profile bytes, their (lower) level: never claim more than offered.
            ours_hex = ours.fmtp.get("profile-level-id") or "42000a"
            fmtp["profile-level-id"] = ours_hex[:4] + f"{theirs_pl[1]:02x}"
    return fmtp


def _answer_feedback(theirs: Codec, ours: Codec) -> list[RtcpFeedback]:
    offered = {(f.type, f.parameter) for f in theirs.rtcp_fb}
    return [replace(f) for f in ours.rtcp_fb if (f.type, f.parameter) in offered]


def answer_codecs(offered: Sequence[Codec], ours: Sequence[Codec]) -> list[Codec]:
    """The answer's codecs for one m= section, in the offerer's order (RFC 9429 §5.3.1).

    Each accepted codec carries the offerer's payload type and our fmtp and rtcp-fb (only the
    feedback types both sides listed). RTX follows the codec it repairs.
    """
    accepted: list[Codec] = []
    accepted_pts: set[str] = set()
    local_rtx = next((c for c in ours if _name(c) == "rtx"), None)
    for theirs in offered:
        if _name(theirs) == "rtx":
            continue
        match = next((o for o in ours if _name(o) != "rtx" and codecs_match(theirs, o)), None)
        if match is None:
            continue
        accepted.append(
            replace(
                match,
                payload_type=theirs.payload_type,
                fmtp=_answer_fmtp(theirs, match),
                rtcp_fb=_answer_feedback(theirs, match),
                has_fmtp=bool(match.fmtp),
            )
        )
        accepted_pts.add(str(theirs.payload_type))
    if local_rtx is None:
        return accepted
    for theirs in offered:
        apt = theirs.fmtp.get("apt")
        rtx = _name(theirs) == "rtx" and theirs.clock_rate == local_rtx.clock_rate
        if rtx and apt in accepted_pts:
            accepted.append(
                Codec(
                    theirs.payload_type,
                    local_rtx.name,
                    local_rtx.clock_rate,
                    None,
                    {"apt": apt},
                    [],
                    True,
                )
            )
    return accepted

"""SDP text → :class:`~rtcpeer.sdp.model.SessionDescription` (RFC 8866 + WebRTC attributes).

Strict where a wrong value would mislead the stack (missing ``v=``, a line without ``=``,
malformed ``m=``/``o=``/``c=``/``t=`` lines, bad ports, non-numeric payload types, bad
candidates, non-numeric ids) — those raise :class:`~rtcpeer.errors.SdpParseError` with the
1-based line number and the line text. Lenient where being lenient loses nothing: unknown
attributes, and repeats of single-valued attributes, are kept verbatim in ``attributes``.
``\\r\\n`` and ``\\n`` line endings are both accepted.

Attribute handling is a table: attribute name → handler. A handler stores the value in the
section and returns the layout key of the line, or None to keep the line as an unknown
attribute.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rtcpeer.candidate import IceCandidateInfo
from rtcpeer.errors import SdpParseError
from rtcpeer.sdp.model import (
    DIRECTIONS,
    Attribute,
    Bandwidth,
    Codec,
    Connection,
    Extmap,
    Fingerprint,
    Group,
    LayoutSlot,
    MediaSection,
    MsidSemantic,
    Origin,
    Rid,
    RtcpAttribute,
    RtcpFeedback,
    SctpMap,
    SessionDescription,
    SsrcAttribute,
    SsrcGroup,
    Timing,
)
from rtcpeer.sdp.model import Msid as MsidAttr
from rtcpeer.sdp.serialize import media_lines, session_lines

__all__ = ["parse"]

Key = tuple[object, ...]
_DIGITS = re.compile(r"[0-9]{1,10}")
_TOKEN = re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+")
_PROTO = re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~/]+")


class _Bad(Exception):
    """A malformed value; turned into SdpParseError with the line number by the parser."""


def parse(text: str) -> SessionDescription:
    """Parse SDP text. Raises SdpParseError naming the line on malformed input."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    if not lines or not lines[0].startswith("v="):
        raise SdpParseError("SDP must start with a v= line", 1, lines[0] if lines else "")
    parser = _Parser()
    for number, line in enumerate(lines, start=1):
        if len(line) < 2 or line[1] != "=" or not line[0].isalpha():
            raise SdpParseError("SDP line must look like <letter>=<value>", number, line)
        try:
            parser.line(number, line)
        except _Bad as exc:
            raise SdpParseError(str(exc), number, line) from None
    return parser.finish(len(lines), lines[-1])


class _Parser:
    def __init__(self) -> None:
        self.desc = SessionDescription()
        self.media: MediaSection | None = None
        self.seen: set[str] = set()
        self.session_records: list[tuple[Key, str]] = []
        self.media_records: list[list[tuple[Key, str]]] = []

    def line(self, number: int, line: str) -> None:
        kind, value = line[0], line[2:]
        if kind == "m":
            self._check_session(number, line)
            self.media = _media_line(value)
            self.desc.media.append(self.media)
            self.media_records.append([(("m",), line)])
            return
        if self.media is None:
            key = self._session_line(kind, value, number)
            self.session_records.append((key, line))
        else:
            self.media_records[-1].append((_media_line_of(self.media, kind, value), line))

    def _session_line(self, kind: str, value: str, number: int) -> Key:
        if kind == "a":
            return _attribute(self.desc, value, _SESSION_ATTRS)
        if kind in "vostiuc" and kind in self.seen:
            raise _Bad(f"duplicate {kind}= line")
        self.seen.add(kind)
        d = self.desc
        if kind == "v":
            if number != 1 or value != "0":
                raise _Bad("v= must be the first line and be 0")
            return ("v",)
        if kind == "o":
            d.origin = _origin(value)
        elif kind == "s":
            d.session_name = value
        elif kind == "t":
            d.timing = _timing(value)
        elif kind == "i":
            d.information = value
        elif kind == "u":
            d.uri = value
        elif kind == "c":
            d.connection = _connection(value)
        elif kind == "e":
            d.emails.append(value)
            return ("e", len(d.emails) - 1)
        elif kind == "p":
            d.phones.append(value)
            return ("p", len(d.phones) - 1)
        elif kind == "b":
            d.bandwidths.append(_bandwidth(value))
            return ("b", len(d.bandwidths) - 1)
        elif kind in "rzk":
            d.extra_lines.append((kind, value))
            return ("extra", len(d.extra_lines) - 1)
        else:
            raise _Bad(f"unknown line type {kind}=")
        return (kind,)

    def _check_session(self, number: int, line: str) -> None:
        if self.media is None:
            for kind in "ost":
                if kind not in self.seen:
                    raise SdpParseError(
                        f"missing {kind}= line before the first m= line", number, line
                    )

    def finish(self, last_number: int, last_line: str) -> SessionDescription:
        self._check_session(last_number, last_line)
        self.desc.layout = _layout(self.session_records, session_lines(self.desc))
        for media, records in zip(self.desc.media, self.media_records, strict=True):
            media.layout = _layout(records, media_lines(media))
        return self.desc


def _layout(records: list[tuple[Key, str]], generated: list[tuple[Key, str]]) -> list[LayoutSlot]:
    canonical = dict(generated)
    return [LayoutSlot(key, raw, canonical.get(key, raw)) for key, raw in records]


# --- non-attribute lines ------------------------------------------------------------------


def _int(text: str, what: str, high: int = 2**32 - 1) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 20:
        raise _Bad(f"{what} is not a number: {text!r}")
    value = int(text)
    if value > high:
        raise _Bad(f"{what} out of range: {value}")
    return value


def _origin(value: str) -> Origin:
    parts = value.split(" ")
    if len(parts) != 6 or not all(parts):
        raise _Bad("o= needs 6 fields: username sess-id sess-version nettype addrtype address")
    sid = _int(parts[1], "session id", 2**64 - 1)
    version = _int(parts[2], "session version", 2**64 - 1)
    return Origin(parts[0], sid, version, parts[3], parts[4], parts[5])


def _timing(value: str) -> Timing:
    parts = value.split(" ")
    if len(parts) != 2:
        raise _Bad("t= needs start and stop times")
    return Timing(_int(parts[0], "start time"), _int(parts[1], "stop time"))


def _connection(value: str) -> Connection:
    parts = value.split(" ")
    if len(parts) != 3 or not all(parts):
        raise _Bad("c= needs nettype addrtype address")
    return Connection(*parts)


def _bandwidth(value: str) -> Bandwidth:
    bwtype, sep, amount = value.partition(":")
    if not sep or not _TOKEN.fullmatch(bwtype):
        raise _Bad("b= must be <type>:<bandwidth>")
    return Bandwidth(bwtype, _int(amount, "bandwidth"))


def _media_line(value: str) -> MediaSection:
    parts = value.split(" ")
    if len(parts) < 4 or not all(parts):
        raise _Bad("m= needs <media> <port> <proto> <fmt>...")
    kind, port_text, proto, fmt = parts[0], parts[1], parts[2], parts[3:]
    if not _TOKEN.fullmatch(kind) or not _PROTO.fullmatch(proto):
        raise _Bad("bad media type or protocol in m= line")
    port_text, slash, count = port_text.partition("/")
    port = _int(port_text, "port", 65535)
    port_count = _int(count, "port count", 65535) if slash else None
    if "RTP/" in proto:
        for pt in fmt:
            _int(pt, "payload type", 127)
    return MediaSection(kind=kind, port=port, proto=proto, fmt=fmt, port_count=port_count)


def _media_line_of(m: MediaSection, kind: str, value: str) -> Key:
    if kind == "a":
        return _attribute(m, value, _MEDIA_ATTRS)
    if kind == "i" and m.information is None:
        m.information = value
        return ("i",)
    if kind == "c" and m.connection is None:
        m.connection = _connection(value)
        return ("c",)
    if kind == "b":
        m.bandwidths.append(_bandwidth(value))
        return ("b", len(m.bandwidths) - 1)
    raise _Bad(f"unexpected {kind}= line in a media section")


# --- attributes --------------------------------------------------------------------------

Section = SessionDescription | MediaSection
Handler = Callable[[Section, str | None], Key | None]


def _attribute(target: Section, text: str, table: dict[str, Handler]) -> Key:
    name, sep, value = text.partition(":")
    if not name:
        raise _Bad("empty attribute name")
    handler = table.get(name)
    key = handler(target, value if sep else None) if handler is not None else None
    if key is None:
        target.attributes.append(Attribute(name, value if sep else None))
        key = ("other", len(target.attributes) - 1)
    return key


def _required(name: str, value: str | None) -> str:
    if not value:
        raise _Bad(f"a={name} needs a value")
    return value


def _single(field_name: str, attr: str) -> Handler:
    """A single-valued text attribute (first occurrence wins, repeats are kept verbatim)."""

    def handle(t: Section, value: str | None) -> Key | None:
        if getattr(t, field_name) is not None:
            return None
        setattr(t, field_name, _required(attr, value))
        return (attr,)

    return handle


def _flag(field_name: str, attr: str) -> Handler:
    def handle(t: Section, value: str | None) -> Key | None:
        if value is not None or getattr(t, field_name):
            return None
        setattr(t, field_name, True)
        return (attr,)

    return handle


def _direction(attr: str) -> Handler:
    def handle(t: Section, value: str | None) -> Key | None:
        if value is not None or t.direction is not None:
            return None
        t.direction = attr
        return ("direction",)

    return handle


def _ice_options(t: Section, value: str | None) -> Key | None:
    if t.ice_options is not None:
        return None
    t.ice_options = _required("ice-options", value).split()
    return ("ice-options",)


def _fingerprint(t: Section, value: str | None) -> Key | None:
    algorithm, _, fp = _required("fingerprint", value).partition(" ")
    if not algorithm or not fp or " " in fp:
        raise _Bad("a=fingerprint needs <hash-function> <fingerprint>")
    t.fingerprints.append(Fingerprint(algorithm, fp))
    return ("fingerprint", len(t.fingerprints) - 1)


def _extmap(t: Section, value: str | None) -> Key | None:
    parts = _required("extmap", value).split(" ", 2)
    if len(parts) < 2 or not parts[1]:
        raise _Bad("a=extmap needs <id>[/<direction>] <uri>")
    ident, slash, direction = parts[0].partition("/")
    ext = Extmap(
        id=_int(ident, "extmap id", 4096),
        uri=parts[1],
        direction=direction if slash else None,
        attributes=parts[2] if len(parts) == 3 else None,
    )
    t.extmaps.append(ext)
    return ("extmap", len(t.extmaps) - 1)


def _group(t: Section, value: str | None) -> Key | None:
    assert isinstance(t, SessionDescription)
    semantics, *mids = _required("group", value).split(" ")
    if not semantics:
        raise _Bad("a=group needs semantics")
    t.groups.append(Group(semantics, mids))
    return ("group", len(t.groups) - 1)


def _msid_semantic(t: Section, value: str | None) -> Key | None:
    assert isinstance(t, SessionDescription)
    words = _required("msid-semantic", value).split()
    if t.msid_semantic is not None or not words:
        return None
    t.msid_semantic = MsidSemantic(words[0], words[1:])
    return ("msid-semantic",)


def _media(handler: Callable[[MediaSection, str], Key | None], attr: str) -> Handler:
    def handle(t: Section, value: str | None) -> Key | None:
        assert isinstance(t, MediaSection)
        return handler(t, _required(attr, value))

    return handle


def _is_rtp(m: MediaSection) -> bool:
    return "RTP/" in m.proto


def _codec_for(m: MediaSection, pt_text: str) -> Codec | None:
    if not _DIGITS.fullmatch(pt_text):
        if _is_rtp(m):
            raise _Bad(f"payload type is not a number: {pt_text!r}")
        return None
    pt = _int(pt_text, "payload type", 127)
    codec = m.codec(pt)
    if codec is None:
        codec = Codec(pt)
        m.codecs.append(codec)
    return codec


def _rtpmap(m: MediaSection, value: str) -> Key | None:
    pt_text, _, encoding = value.partition(" ")
    if not _DIGITS.fullmatch(pt_text):
        raise _Bad(f"rtpmap payload type is not a number: {pt_text!r}")
    pieces = encoding.split("/")
    if not pieces[0] or len(pieces) > 3 or len(pieces) < 2:
        raise _Bad("a=rtpmap needs <pt> <name>/<clock rate>[/<channels>]")
    clock = _int(pieces[1], "clock rate")
    channels = _int(pieces[2], "channels") if len(pieces) == 3 else None
    codec = _codec_for(m, pt_text)
    if codec is None or codec.name is not None:
        return None
    codec.name, codec.clock_rate, codec.channels = pieces[0], clock, channels
    return ("rtpmap", codec.payload_type)


def _fmtp(m: MediaSection, value: str) -> Key | None:
    pt_text, _, params = value.partition(" ")
    codec = _codec_for(m, pt_text)
    if codec is None or codec.has_fmtp:
        return None
    codec.has_fmtp = True
    for part in params.split(";"):
        name, eq, param = part.strip().partition("=")
        if name:
            codec.fmtp[name] = param if eq else None
    return ("fmtp", codec.payload_type)


def _rtcp_fb(m: MediaSection, value: str) -> Key | None:
    parts = value.split(" ", 2)
    if len(parts) < 2 or not parts[1]:
        raise _Bad("a=rtcp-fb needs <pt> <type>")
    fb = RtcpFeedback(parts[1], parts[2] if len(parts) == 3 else None)
    if parts[0] == "*":
        m.rtcp_fb_all.append(fb)
        return ("rtcp-fb-all", len(m.rtcp_fb_all) - 1)
    codec = _codec_for(m, parts[0])
    if codec is None:
        return None
    codec.rtcp_fb.append(fb)
    return ("rtcp-fb", codec.payload_type, len(codec.rtcp_fb) - 1)


def _candidate(m: MediaSection, value: str) -> Key | None:
    try:
        candidate = IceCandidateInfo.from_sdp("candidate:" + value)
    except SdpParseError as exc:
        raise _Bad(str(exc)) from None
    m.candidates.append(candidate)
    return ("candidate", len(m.candidates) - 1)


def _number(field_name: str, attr: str, high: int) -> Callable[[MediaSection, str], Key | None]:
    def handle(m: MediaSection, value: str) -> Key | None:
        number = _int(value, attr, high)
        if getattr(m, field_name) is not None:
            return None
        setattr(m, field_name, number)
        return (attr,)

    return handle


def _sctpmap(m: MediaSection, value: str) -> Key | None:
    parts = value.split(" ")
    if len(parts) not in (2, 3) or not parts[1]:
        raise _Bad("a=sctpmap needs <number> <app> [<streams>]")
    streams = _int(parts[2], "sctpmap streams") if len(parts) == 3 else None
    sctpmap = SctpMap(_int(parts[0], "sctpmap number", 65535), parts[1], streams)
    if m.sctpmap is not None:
        return None
    m.sctpmap = sctpmap
    return ("sctpmap",)


def _rtcp(m: MediaSection, value: str) -> Key | None:
    parts = value.split(" ")
    if len(parts) not in (1, 4) or not all(parts):
        raise _Bad("a=rtcp needs <port> [<nettype> <addrtype> <address>]")
    rtcp = RtcpAttribute(_int(parts[0], "rtcp port", 65535), *parts[1:])
    if m.rtcp is not None:
        return None
    m.rtcp = rtcp
    return ("rtcp",)


def _msid(m: MediaSection, value: str) -> Key | None:
    parts = value.split(" ")
    if len(parts) > 2 or not all(parts):
        raise _Bad("a=msid needs <stream id> [<track id>]")
    m.msids.append(MsidAttr(parts[0], parts[1] if len(parts) == 2 else None))
    return ("msid", len(m.msids) - 1)


def _ssrc(m: MediaSection, value: str) -> Key | None:
    ssrc_text, _, rest = value.partition(" ")
    ssrc = _int(ssrc_text, "ssrc")
    attribute, colon, attr_value = rest.partition(":")
    if not attribute:
        raise _Bad("a=ssrc needs <ssrc-id> <attribute>")
    m.ssrcs.append(SsrcAttribute(ssrc, attribute, attr_value if colon else None))
    return ("ssrc", len(m.ssrcs) - 1)


def _ssrc_group(m: MediaSection, value: str) -> Key | None:
    semantics, *ssrcs = value.split(" ")
    if not _TOKEN.fullmatch(semantics):
        raise _Bad("a=ssrc-group needs <semantics> <ssrc>...")
    m.ssrc_groups.append(SsrcGroup(semantics, [_int(s, "ssrc") for s in ssrcs]))
    return ("ssrc-group", len(m.ssrc_groups) - 1)


def _rid(m: MediaSection, value: str) -> Key | None:
    parts = value.split(" ", 2)
    if len(parts) < 2 or not parts[0] or parts[1] not in ("send", "recv"):
        raise _Bad("a=rid needs <id> send|recv [<params>]")
    m.rids.append(Rid(parts[0], parts[1], parts[2] if len(parts) == 3 else None))
    return ("rid", len(m.rids) - 1)


_COMMON_ATTRS: dict[str, Handler] = {
    "ice-ufrag": _single("ice_ufrag", "ice-ufrag"),
    "ice-pwd": _single("ice_pwd", "ice-pwd"),
    "ice-options": _ice_options,
    "fingerprint": _fingerprint,
    "setup": _single("setup", "setup"),
    "extmap": _extmap,
    "extmap-allow-mixed": _flag("extmap_allow_mixed", "extmap-allow-mixed"),
    **{d: _direction(d) for d in DIRECTIONS},
}

_SESSION_ATTRS: dict[str, Handler] = {
    **_COMMON_ATTRS,
    "group": _group,
    "msid-semantic": _msid_semantic,
    "ice-lite": _flag("ice_lite", "ice-lite"),
}

_MEDIA_ATTRS: dict[str, Handler] = {
    **_COMMON_ATTRS,
    "mid": _single("mid", "mid"),
    "candidate": _media(_candidate, "candidate"),
    "end-of-candidates": _flag("end_of_candidates", "end-of-candidates"),
    "sctp-port": _media(_number("sctp_port", "sctp-port", 65535), "sctp-port"),
    "max-message-size": _media(
        _number("max_message_size", "max-message-size", 2**64 - 1), "max-message-size"
    ),
    "sctpmap": _media(_sctpmap, "sctpmap"),
    "rtcp": _media(_rtcp, "rtcp"),
    "rtcp-mux": _flag("rtcp_mux", "rtcp-mux"),
    "rtcp-mux-only": _flag("rtcp_mux_only", "rtcp-mux-only"),
    "rtcp-rsize": _flag("rtcp_rsize", "rtcp-rsize"),
    "rtpmap": _media(_rtpmap, "rtpmap"),
    "fmtp": _media(_fmtp, "fmtp"),
    "rtcp-fb": _media(_rtcp_fb, "rtcp-fb"),
    "msid": _media(_msid, "msid"),
    "ssrc": _media(_ssrc, "ssrc"),
    "ssrc-group": _media(_ssrc_group, "ssrc-group"),
    "rid": _media(_rid, "rid"),
    "simulcast": _single("simulcast", "simulcast"),
    "bundle-only": _flag("bundle_only", "bundle-only"),
}

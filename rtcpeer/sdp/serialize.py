"""SessionDescription → SDP text (``\\r\\n`` line endings).

Each section is first rendered canonically as an ordered list of (key, line) pairs; the
section's parse layout then decides order and wording (see :mod:`rtcpeer.sdp.model`).
"""

from __future__ import annotations

from collections.abc import Iterator

from rtcpeer.sdp.model import (
    Codec,
    Connection,
    Extmap,
    LayoutSlot,
    MediaSection,
    SessionDescription,
)

__all__ = ["media_lines", "serialize", "session_lines"]

Key = tuple[object, ...]
Line = tuple[Key, str]


def serialize(desc: SessionDescription) -> str:
    """Return the SDP text of ``desc``; every line ends with ``\\r\\n``."""
    lines = _merge(desc.layout, session_lines(desc))
    for media in desc.media:
        lines += _merge(media.layout, media_lines(media))
    return "".join(line + "\r\n" for line in lines)


def _merge(layout: list[LayoutSlot], generated: list[Line]) -> list[str]:
    """Lay ``generated`` out in the parsed order, keeping original text where unchanged."""
    by_key = dict(generated)
    keys: list[Key] = []
    texts: list[str] = []
    placed: set[Key] = set()
    for slot in layout:
        text = by_key.get(slot.key)
        if text is None or slot.key in placed:
            continue
        keys.append(slot.key)
        texts.append(slot.raw if text == slot.canonical else text)
        placed.add(slot.key)
    if len(keys) == len(generated):
        return texts
    previous: Key | None = None
    for key, text in generated:
        if key not in placed:
            index = keys.index(previous) + 1 if previous is not None else 0
            keys.insert(index, key)
            texts.insert(index, text)
            placed.add(key)
        previous = key
    return texts


def _connection(c: Connection) -> str:
    return f"c={c.nettype} {c.addrtype} {c.address}"


def _extmap(e: Extmap) -> str:
    ident = str(e.id) if e.direction is None else f"{e.id}/{e.direction}"
    tail = "" if e.attributes is None else f" {e.attributes}"
    return f"a=extmap:{ident} {e.uri}{tail}"


def _attr(name: str, value: str | None) -> str:
    return f"a={name}" if value is None else f"a={name}:{value}"


def session_lines(desc: SessionDescription) -> list[Line]:
    """Canonical (key, line) pairs of the session level, in canonical order."""
    o = desc.origin
    out: list[Line] = [
        (("v",), f"v={desc.version}"),
        (
            ("o",),
            f"o={o.username} {o.session_id} {o.session_version} "
            f"{o.nettype} {o.addrtype} {o.address}",
        ),
        (("s",), f"s={desc.session_name}"),
    ]
    if desc.information is not None:
        out.append((("i",), f"i={desc.information}"))
    if desc.uri is not None:
        out.append((("u",), f"u={desc.uri}"))
    out += [(("e", i), f"e={v}") for i, v in enumerate(desc.emails)]
    out += [(("p", i), f"p={v}") for i, v in enumerate(desc.phones)]
    if desc.connection is not None:
        out.append((("c",), _connection(desc.connection)))
    out += [(("b", i), f"b={b.type}:{b.value}") for i, b in enumerate(desc.bandwidths)]
    out.append((("t",), f"t={desc.timing.start} {desc.timing.stop}"))
    out += [(("extra", i), f"{t}={v}") for i, (t, v) in enumerate(desc.extra_lines)]
    out += [
        (("group", i), _attr("group", " ".join([g.semantics, *g.mids])))
        for i, g in enumerate(desc.groups)
    ]
    if desc.extmap_allow_mixed:
        out.append((("extmap-allow-mixed",), "a=extmap-allow-mixed"))
    if desc.msid_semantic is not None:
        ms = desc.msid_semantic
        # Browsers write "a=msid-semantic: WMS ..." (a space after the colon); so do we.
        words = " ".join([ms.semantic, *ms.identifiers])
        out.append((("msid-semantic",), f"a=msid-semantic: {words}"))
    if desc.ice_lite:
        out.append((("ice-lite",), "a=ice-lite"))
    out += list(_ice_lines(desc.ice_ufrag, desc.ice_pwd, desc.ice_options))
    out += [
        (("fingerprint", i), f"a=fingerprint:{f.algorithm} {f.value}")
        for i, f in enumerate(desc.fingerprints)
    ]
    if desc.setup is not None:
        out.append((("setup",), f"a=setup:{desc.setup}"))
    if desc.direction is not None:
        out.append((("direction",), f"a={desc.direction}"))
    out += [(("extmap", i), _extmap(e)) for i, e in enumerate(desc.extmaps)]
    out += [(("other", i), _attr(a.name, a.value)) for i, a in enumerate(desc.attributes)]
    return out


def _ice_lines(ufrag: str | None, pwd: str | None, options: list[str] | None) -> Iterator[Line]:
    if ufrag is not None:
        yield ("ice-ufrag",), f"a=ice-ufrag:{ufrag}"
    if pwd is not None:
        yield ("ice-pwd",), f"a=ice-pwd:{pwd}"
    if options is not None:
        yield ("ice-options",), f"a=ice-options:{' '.join(options)}"


def media_lines(m: MediaSection) -> list[Line]:
    """Canonical (key, line) pairs of one media section, ``m=`` first."""
    port = str(m.port) if m.port_count is None else f"{m.port}/{m.port_count}"
    out: list[Line] = [(("m",), f"m={' '.join([m.kind, port, m.proto, *m.fmt])}")]
    if m.information is not None:
        out.append((("i",), f"i={m.information}"))
    if m.connection is not None:
        out.append((("c",), _connection(m.connection)))
    out += [(("b", i), f"b={b.type}:{b.value}") for i, b in enumerate(m.bandwidths)]
    if m.rtcp is not None:
        r = m.rtcp
        addr = "" if r.nettype is None else f" {r.nettype} {r.addrtype} {r.address}"
        out.append((("rtcp",), f"a=rtcp:{r.port}{addr}"))
    out += list(_ice_lines(m.ice_ufrag, m.ice_pwd, m.ice_options))
    out += [
        (("fingerprint", i), f"a=fingerprint:{f.algorithm} {f.value}")
        for i, f in enumerate(m.fingerprints)
    ]
    if m.setup is not None:
        out.append((("setup",), f"a=setup:{m.setup}"))
    if m.mid is not None:
        out.append((("mid",), f"a=mid:{m.mid}"))
    if m.bundle_only:
        out.append((("bundle-only",), "a=bundle-only"))
    out += [(("extmap", i), _extmap(e)) for i, e in enumerate(m.extmaps)]
    if m.extmap_allow_mixed:
        out.append((("extmap-allow-mixed",), "a=extmap-allow-mixed"))
    if m.direction is not None:
        out.append((("direction",), f"a={m.direction}"))
    out += [
        (
            ("msid", i),
            _attr("msid", s.stream_id if s.track_id is None else f"{s.stream_id} {s.track_id}"),
        )
        for i, s in enumerate(m.msids)
    ]
    for flag, name in (
        (m.rtcp_mux, "rtcp-mux"),
        (m.rtcp_mux_only, "rtcp-mux-only"),
        (m.rtcp_rsize, "rtcp-rsize"),
    ):
        if flag:
            out.append(((name,), f"a={name}"))
    out += [
        (("rtcp-fb-all", i), _rtcp_fb("*", fb.type, fb.parameter))
        for i, fb in enumerate(m.rtcp_fb_all)
    ]
    for codec in m.codecs:
        out += _codec_lines(codec)
    out += list(_sctp_lines(m))
    out += [
        (("ssrc-group", i), _attr("ssrc-group", " ".join([g.semantics, *map(str, g.ssrcs)])))
        for i, g in enumerate(m.ssrc_groups)
    ]
    out += [
        (("ssrc", i), f"a=ssrc:{s.ssrc} {s.attribute}" + ("" if s.value is None else f":{s.value}"))
        for i, s in enumerate(m.ssrcs)
    ]
    out += [
        (("rid", i), f"a=rid:{r.id} {r.direction}" + ("" if r.params is None else f" {r.params}"))
        for i, r in enumerate(m.rids)
    ]
    if m.simulcast is not None:
        out.append((("simulcast",), f"a=simulcast:{m.simulcast}"))
    out += [(("candidate", i), f"a={c.to_candidate_string()}") for i, c in enumerate(m.candidates)]
    if m.end_of_candidates:
        out.append((("end-of-candidates",), "a=end-of-candidates"))
    out += [(("other", i), _attr(a.name, a.value)) for i, a in enumerate(m.attributes)]
    return out


def _rtcp_fb(pt: str, fb_type: str, parameter: str | None) -> str:
    return f"a=rtcp-fb:{pt} {fb_type}" + ("" if parameter is None else f" {parameter}")


def _codec_lines(c: Codec) -> list[Line]:
    pt = c.payload_type
    out: list[Line] = []
    if c.name is not None:
        rate = "" if c.clock_rate is None else f"/{c.clock_rate}"
        channels = "" if c.channels is None else f"/{c.channels}"
        out.append((("rtpmap", pt), f"a=rtpmap:{pt} {c.name}{rate}{channels}"))
    out += [
        (("rtcp-fb", pt, i), _rtcp_fb(str(pt), fb.type, fb.parameter))
        for i, fb in enumerate(c.rtcp_fb)
    ]
    if c.fmtp or c.has_fmtp:
        params = ";".join(k if v is None else f"{k}={v}" for k, v in c.fmtp.items())
        out.append((("fmtp", pt), f"a=fmtp:{pt} {params}"))
    return out


def _sctp_lines(m: MediaSection) -> Iterator[Line]:
    if m.sctp_port is not None:
        yield ("sctp-port",), f"a=sctp-port:{m.sctp_port}"
    if m.max_message_size is not None:
        yield ("max-message-size",), f"a=max-message-size:{m.max_message_size}"
    if m.sctpmap is not None:
        s = m.sctpmap
        streams = "" if s.streams is None else f" {s.streams}"
        yield ("sctpmap",), f"a=sctpmap:{s.number} {s.app}{streams}"

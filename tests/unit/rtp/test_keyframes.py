"""Keyframe requests: PLI rate limiting and retry, FIR fallback with sequence numbers,
sender-side coalescing."""

from __future__ import annotations

from rtcpeer.rtp.keyframes import TIMER_KEYFRAME, KeyframeRequestCoalescer, KeyframeRequester
from rtcpeer.rtp.rtcp import Fir, Pli


def test_pli_is_rate_limited_and_a_pending_request_goes_out_when_the_window_ends() -> None:
    r = KeyframeRequester(1, 2, pli=True, fir=True)
    r.request(0.0)
    assert r.take_feedback() == [Pli(1, 2)]
    for t in (0.05, 0.1, 0.2):
        r.request(t)
    assert r.take_feedback() == [] and r.stats["requests_rate_limited"] == 3
    assert r.get_timer() == 0.3 and r.timer_reason == TIMER_KEYFRAME
    r.handle_timer(0.3)
    assert r.take_feedback() == [Pli(1, 2)]
    assert r.stats["pli_count"] == 2


def test_the_rate_limit_follows_a_long_rtt() -> None:
    r = KeyframeRequester(1, 2, pli=True, fir=False)
    r.set_rtt(0.5)
    r.request(0.0)
    r.take_feedback()
    r.request(0.4)
    assert r.take_feedback() == [] and r.get_timer() == 0.5


def test_an_unanswered_request_is_repeated_until_a_keyframe_arrives() -> None:
    r = KeyframeRequester(1, 2, pli=True, fir=False)
    r.request(0.0)
    r.take_feedback()
    assert r.get_timer() == 1.0
    r.handle_timer(1.0)
    assert r.take_feedback() == [Pli(1, 2)]
    r.keyframe_received(1.5)
    assert r.get_timer() is None
    r.handle_timer(3.0)
    assert r.take_feedback() == []


def test_fir_when_pli_is_not_negotiated_with_a_seq_per_request() -> None:
    r = KeyframeRequester(1, 2, pli=False, fir=True)
    r.request(0.0)
    r.handle_timer(1.0)  # repetition of the same request: same seq
    r.keyframe_received(1.1)
    r.request(2.0)  # a new request: next seq
    assert r.take_feedback() == [Fir(1, ((2, 0),)), Fir(1, ((2, 0),)), Fir(1, ((2, 1),))]
    assert r.stats["fir_count"] == 3 and r.stats["pli_count"] == 0


def test_no_feedback_negotiated_means_no_request() -> None:
    r = KeyframeRequester(1, 2, pli=False, fir=False)
    r.request(0.0)
    assert r.take_feedback() == [] and r.get_timer() is None
    assert r.stats["requests_unsupported"] == 1


def test_sender_coalesces_a_burst_of_requests_into_one_keyframe() -> None:
    c = KeyframeRequestCoalescer(window=0.3)
    decisions = [c.on_pli(t) for t in (0.0, 0.01, 0.1, 0.29)]
    decisions.append(c.on_fir(9, 0, 0.2))
    assert decisions == [True, False, False, False, False]
    assert c.on_pli(0.31) is True
    assert c.on_fir(9, 0, 1.0) is False  # FIR seq 0 from 9 already seen (0.2)
    assert c.on_fir(9, 1, 1.0) is True
    assert c.stats == {"keyframes_wanted": 3, "requests_coalesced": 4, "fir_repeated": 1}

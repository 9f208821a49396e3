"""Audio codecs end to end: an 880 Hz tone through encode, packetize, decode; FFT peak."""

from __future__ import annotations

import pytest

from rtcpeer.media import G722Payload, OpusPayload, PcmaPayload, PcmuPayload
from rtcpeer.media.audio import SingleFramePayload
from rtcpeer.media.codecs import (
    AudioDecoder,
    AudioEncoder,
    DecodeError,
    G722Decoder,
    G722Encoder,
    OpusDecoder,
    OpusEncoder,
    PcmaDecoder,
    PcmaEncoder,
    PcmuDecoder,
    PcmuEncoder,
)
from rtcpeer.testing.media import dominant_frequency, tone

CODECS = {
    "opus": (OpusEncoder, OpusPayload, OpusDecoder, 960, 48000),
    "pcmu": (PcmuEncoder, PcmuPayload, PcmuDecoder, 160, 8000),
    "pcma": (PcmaEncoder, PcmaPayload, PcmaDecoder, 160, 8000),
    "g722": (G722Encoder, G722Payload, G722Decoder, 160, 16000),  # 8 kHz RTP clock
}


@pytest.mark.parametrize("name", list(CODECS))
@pytest.mark.parametrize("source", [(44100, "stereo"), (16000, "mono")])
def test_880_hz_tone_round_trip(name: str, source: tuple[int, str]) -> None:
    enc_cls, payload_cls, dec_cls, ts_step, out_rate = CODECS[name]
    encoder: AudioEncoder = enc_cls()
    payload: SingleFramePayload = payload_cls()
    decoder: AudioDecoder = dec_cls()
    rate, layout = source
    encoded = []
    for i in range(10):  # 1 s in 100 ms pieces of an odd size for the resampler
        encoded += encoder.encode(tone(880, 0.1, rate, layout, start_sample=i * rate // 10))
    assert len(encoded) >= 45  # 20 ms frames (the resampler keeps a remainder)
    assert [e.timestamp for e in encoded[:3]] == [0, ts_step, 2 * ts_step]
    decoded = []
    for e in encoded:
        (data,) = payload.packetize(e.data, 1200)
        decoded += decoder.decode(payload.depacketize([data]), e.timestamp)
    assert decoded[0].sample_rate == out_rate
    assert abs(dominant_frequency(decoded[5:]) - 880) < 5


def test_opus_missing_packet_is_concealed_and_fades() -> None:
    encoder, decoder = OpusEncoder(), OpusDecoder()
    encoded = encoder.encode(tone(880, 0.2, 48000))
    for e in encoded[:5]:
        decoder.decode(e.data, e.timestamp)
    levels = []
    for _ in range(4):
        (frame,) = decoder.decode_missing()
        assert frame.samples == 960
        levels.append(abs(frame.to_ndarray()).max())
    assert levels[0] > levels[1] > levels[2] > 0 == levels[3]
    assert decoder.decode(encoded[6].data, encoded[6].timestamp)


def test_opus_garbage_is_a_decode_error() -> None:
    with pytest.raises(DecodeError):
        OpusDecoder().decode(b"\xff\xff\xff", 0)

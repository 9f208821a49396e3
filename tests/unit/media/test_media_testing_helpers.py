"""rtcpeer.testing.media: frame numbers and tones read back exactly."""

from __future__ import annotations

import pytest

from rtcpeer.testing.media import dominant_frequency, numbered_frame, read_frame_number, tone


@pytest.mark.parametrize("number", [0, 1, 0x8000, 0xFFFF, 12345])
def test_frame_number_round_trip_also_after_scaling(number: int) -> None:
    frame = numbered_frame(number)
    assert (frame.width, frame.height, frame.format.name) == (640, 480, "yuv420p")
    assert read_frame_number(frame) == number
    assert read_frame_number(frame.reformat(320, 240)) == number


def test_tone_frequency() -> None:
    assert abs(dominant_frequency([tone(880, 1.0, 48000, "stereo")]) - 880) < 2
    assert abs(dominant_frequency([tone(440, 0.5, 8000)]) - 440) < 3

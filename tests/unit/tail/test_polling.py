from __future__ import annotations

import pytest

from jobstream.settings import Settings
from jobstream.tail.polling import PollSchedule


def test_backs_off_when_idle_up_to_the_ceiling() -> None:
    schedule = PollSchedule(min_interval=0.025, max_interval=1.5)
    delays = [schedule.record(found_events=False) for _ in range(10)]
    assert delays[:6] == [0.05, 0.1, 0.2, 0.4, 0.8, 1.5]
    assert delays[6:] == [1.5] * 4
    assert delays == sorted(delays)


def test_snaps_back_to_fast_polling_when_events_arrive() -> None:
    schedule = PollSchedule(min_interval=0.025, max_interval=1.5)
    for _ in range(10):
        schedule.record(found_events=False)
    assert schedule.record(found_events=True) == 0.025
    assert schedule.delay == 0.025
    assert schedule.record(found_events=False) == 0.05


def test_from_settings_uses_milliseconds() -> None:
    schedule = PollSchedule.from_settings(Settings(stream_poll_min_ms=20, stream_poll_max_ms=2000))
    assert (schedule.min_interval, schedule.max_interval) == (0.02, 2.0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_interval": 0, "max_interval": 1},
        {"min_interval": 2, "max_interval": 1},
        {"min_interval": 0.1, "max_interval": 1, "backoff": 1},
    ],
)
def test_rejects_schedules_that_never_back_off_or_spin(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message is not the point
        PollSchedule(**kwargs)

"""The cadence a stream learned, handed to the next window's stream of the same job."""

from __future__ import annotations

from jobstream.tail.cadence_memory import CadenceMemory
from jobstream.tail.polling import Learned, PollSchedule
from tests.clock import FakeClock


def learned(newest: float = 10.0) -> Learned:
    return Learned(gaps=(1.0, 1.0), lags=(0.05,), newest_created=newest)


def test_recalls_what_was_remembered_until_it_is_too_old() -> None:
    clock = FakeClock(0.0)
    memory = CadenceMemory(clock, max_age_s=60)
    memory.remember("job", learned())
    assert memory.recall("job") == learned()
    assert memory.recall("other") is None
    clock.advance(61)
    assert memory.recall("job") is None


def test_keeps_at_most_max_jobs_dropping_the_least_recently_remembered() -> None:
    memory = CadenceMemory(FakeClock(0.0), max_jobs=2)
    for job in ("a", "b", "c"):
        memory.remember(job, learned())
    assert memory.recall("a") is None
    assert memory.recall("b") is not None
    assert memory.recall("c") is not None


def test_a_resumed_schedule_polls_when_the_next_event_is_due() -> None:
    first = PollSchedule(min_interval=0.025, max_interval=3.0, busy_interval=0.075)
    for n in range(1, 5):
        first.record(float(n) + 0.05, events=1, created=[float(n)])
    state = first.learned()
    assert state is not None
    # A new connection opened right after event 4 (at 4.1): fresh, it knows no cadence...
    fresh = PollSchedule(min_interval=0.025, max_interval=3.0, started_at=4.1)
    assert fresh.quiet_ahead(4.1) == float("inf")
    # ...resumed, it expects event 5 at 5.05 and waits until just before it.
    resumed = PollSchedule(min_interval=0.025, max_interval=3.0, started_at=4.1)
    resumed.resume(state)
    assert abs(resumed.quiet_ahead(4.1) - 0.95) < 1e-9
    assert abs(resumed.record(4.1, events=0) - (5.05 - 0.0125 - 4.1)) < 1e-9

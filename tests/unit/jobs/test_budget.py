"""Chunk planning: a step starts only if it should end before the safety margin."""

from __future__ import annotations

import threading

from jobstream.jobs import ChunkBudget, remaining_from_context, remaining_until
from tests.unit.jobs.fakes import FakeClock, FakeInvocation


def test_the_slowest_recent_step_is_the_expected_one() -> None:
    clock = FakeClock()
    invocation = FakeInvocation(clock, timeout_s=20)
    budget = ChunkBudget(invocation.remaining_s, margin_s=10)
    assert budget.fits()  # 20 s left, nothing known about steps yet
    budget.record(3)
    budget.record(1)
    assert budget.expected_step_s == 3
    clock.advance(6.5)  # 13.5 left: 13.5 - 3 > 10
    assert budget.fits()
    clock.advance(1)  # 12.5 left: 12.5 - 3 < 10
    assert not budget.fits()


def test_the_window_forgets_old_steps() -> None:
    budget = ChunkBudget(lambda: 100.0, margin_s=0, window=3)
    for duration in (50, 1, 1, 1):
        budget.record(duration)
    assert budget.expected_step_s == 1


def test_a_planned_wait_counts_too() -> None:
    budget = ChunkBudget(lambda: 15.0, margin_s=10)
    assert budget.fits(extra_s=4)
    assert not budget.fits(extra_s=5)


def test_stop_ends_the_chunk_whatever_time_is_left() -> None:
    stop = threading.Event()
    budget = ChunkBudget(lambda: 1_000.0, margin_s=0, stop=stop)
    assert budget.fits()
    stop.set()
    assert not budget.fits()
    assert budget.stopped


def test_time_sources() -> None:
    clock = FakeClock()
    invocation = FakeInvocation(clock, timeout_s=30)
    clock.advance(10)
    assert remaining_from_context(invocation)() == 20
    assert remaining_until(clock.now + 7, clock)() == 7

"""The tail's poll schedule on a fake clock: latency that follows the job, bounded reads."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from jobstream.settings import Settings
from jobstream.tail.polling import PollSchedule

EVENT_BYTES = 100
# The writer's wall clock is nowhere near the stream's monotonic one; only differences count.
WRITER_CLOCK = 1_764_000_000.0
WRITE_S = 0.02


@dataclass
class Run:
    """Polls of one simulated stream: when each commit became visible and when a poll found it."""

    polls: list[float] = field(default_factory=list)
    empty_polls: list[float] = field(default_factory=list)
    found: list[tuple[float, float]] = field(default_factory=list)
    consistent: list[bool] = field(default_factory=list)

    def latencies(self) -> list[float]:
        return [found - committed for committed, found in self.found]

    def polls_between(self, start: float, end: float, *, empty_only: bool = False) -> int:
        times = self.empty_polls if empty_only else self.polls
        return sum(1 for t in times if start <= t < end)


def simulate(schedule: PollSchedule, commits: list[float], *, until: float, batch: int = 1) -> Run:
    """Polls as the stream does: poll at t, tell the schedule what it found, wait its delay.
    ``commits``: times at which a commit of ``batch`` events became visible in the table."""
    run = Run()
    pending = sorted(commits)
    now = 0.0
    while now < until:
        run.polls.append(now)
        run.consistent.append(schedule.consistent)
        visible = [c for c in pending if c <= now]
        pending = pending[len(visible) :]
        run.found.extend((c, now) for c in visible)
        if not visible:
            run.empty_polls.append(now)
        created = [
            # The writer stamps its events before the commit lands (WRITE_S), on its own clock.
            WRITER_CLOCK + c - WRITE_S - (batch - 1 - i) * 0.001
            for c in visible
            for i in range(batch)
        ]
        delay = schedule.record(
            now, events=len(visible) * batch, size=len(visible) * batch * 100, created=created
        )
        assert delay > 0
        now += delay
    return run


def schedule(**overrides: float) -> PollSchedule:
    params: dict[str, float] = {
        "min_interval": 0.025,
        "max_interval": 3.0,
        "busy_interval": 0.075,
        "started_at": 0.0,
    }
    params.update(overrides)
    return PollSchedule(**params)  # type: ignore[arg-type]


def test_an_idle_stream_reads_at_most_60_times_in_every_minute_and_settles_lower() -> None:
    run = simulate(schedule(), [], until=600)
    per_minute = [run.polls_between(60 * m, 60 * (m + 1)) for m in range(10)]
    assert max(per_minute) <= 60, per_minute
    # After backing off: one Query per idle ceiling (3 s), half the old 40 a minute.
    assert per_minute[1:] == [20] * 9, per_minute
    # No sliding minute holds more than 60 either (not just the aligned ones).
    for start in run.polls:
        assert run.polls_between(start, start + 60) <= 60


def test_the_idle_budget_holds_even_when_the_ceiling_would_allow_more() -> None:
    # A ceiling of 0.5 s alone would mean 120 Queries a minute: the budget caps them at 60.
    run = simulate(schedule(max_interval=0.5, busy_interval=0.1), [], until=300)
    for start in run.polls:
        assert run.polls_between(start, start + 60) <= 60


@pytest.mark.parametrize("silence", [0.5, 1.0, 2.0, 2.9, 5.0])
def test_the_first_event_after_a_silence_waits_about_a_tenth_of_it(silence: float) -> None:
    run = simulate(schedule(), [silence], until=silence + 5)
    (latency,) = run.latencies()
    share = 0.1 if silence <= 3 else 0.25
    assert latency <= max(0.025, share * silence) + 0.001, latency


@pytest.mark.parametrize("rate", [1.0, 2.0, 10.0])
def test_a_steady_job_is_found_soon_after_each_commit_with_few_reads(rate: float) -> None:
    interval = 1 / rate
    commits = [1.0 + i * interval for i in range(int(30 * rate))]
    run = simulate(schedule(), commits, until=commits[-1] + 0.5)
    # Once the cadence is learned (a few commits in), each event is found within about one
    # probe (25 ms) of landing, at 10/s as at 1/s: the cadence comes from the events' own
    # timestamps, so a late poll does not teach the schedule to poll late.
    steady = run.latencies()[5:]
    assert max(steady) <= 0.025 + 0.001, max(steady)
    # And it costs a couple of reads per event, not the 25 ms poll of a tight loop.
    reads_per_event = run.polls_between(commits[5], commits[-1]) / (len(commits) - 6)
    assert reads_per_event <= 2.5, reads_per_event


def test_a_late_start_is_caught_up_not_learned() -> None:
    # The stream opens 0.25 s into a 10/s job: its first poll finds three events at once (a
    # replay), which must not teach it a cadence of one poll per three events.
    commits = [-0.25 + 0.1 * i for i in range(100)]
    run = simulate(schedule(), commits, until=commits[-1] + 0.5)
    assert run.found[2] == (commits[2], 0.0)
    assert max(run.latencies()[10:]) <= 0.025 + 0.001


def test_the_cadence_is_the_median_gap_so_one_pause_does_not_move_it() -> None:
    commits = [0.5 * i for i in range(1, 11)] + [20.0] + [20.0 + 0.5 * i for i in range(1, 11)]
    run = simulate(schedule(), commits, until=26)
    after_pause = run.latencies()[13:]
    assert max(after_pause) <= 0.05 + 0.001, after_pause


def test_a_busy_job_is_read_at_most_once_per_busy_interval_eventually_consistently() -> None:
    # 1,000 events/s committed every 50 ms (the flush interval) in batches of 50.
    commits = [0.05 * i for i in range(1, 1201)]
    run = simulate(schedule(), commits, until=60, batch=50)
    reads_per_second = run.polls_between(10, 60) / 50
    assert reads_per_second <= 1 / 0.075 + 0.01, reads_per_second
    assert max(run.latencies()) <= 0.075 + 0.001
    late = [c for t, c in zip(run.polls, run.consistent, strict=True) if t >= 10]
    assert not any(late)


def test_large_batches_make_the_next_read_eventually_consistent_small_ones_do_not() -> None:
    polls = schedule()
    polls.record(0.0, events=100, size=10_000)
    assert not polls.consistent
    polls.record(0.1, events=1, size=100)
    assert polls.consistent
    polls.record(0.2, events=10, size=1_000)
    assert not polls.consistent
    polls.record(0.3, events=100, size=10_000)
    polls.record(0.4, events=0)
    # An empty poll may have met a lagging replica: the next read is consistent again.
    assert polls.consistent


def test_from_settings_uses_milliseconds() -> None:
    polls = PollSchedule.from_settings(
        Settings(stream_poll_min_ms=20, stream_poll_max_ms=2000, stream_poll_busy_ms=80)
    )
    assert (polls.min_interval, polls.max_interval, polls.busy_interval) == (0.02, 2.0, 0.08)


def test_from_settings_keeps_the_busy_interval_between_min_and_max() -> None:
    polls = PollSchedule.from_settings(
        Settings(stream_poll_min_ms=20, stream_poll_max_ms=50, stream_poll_busy_ms=500)
    )
    assert polls.busy_interval == 0.05


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_interval": 0, "max_interval": 1},
        {"min_interval": 2, "max_interval": 1},
        {"min_interval": 0.1, "max_interval": 1, "busy_interval": 2},
        {"min_interval": 0.1, "max_interval": 1, "idle_budget": 0},
    ],
)
def test_rejects_schedules_that_spin_or_never_poll(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message is not the point
        PollSchedule(**kwargs)  # type: ignore[arg-type]


def test_quiet_ahead_is_the_time_to_the_next_expected_event_or_infinite() -> None:
    poll = schedule()
    # Nothing learned: no prediction.
    assert poll.quiet_ahead(0.0) == float("inf")
    # A steady job, one event every 2 s, each seen 0.1 s after it was written.
    for n in range(1, 5):
        poll.record(2.0 * n + 0.1, events=1, created=[2.0 * n])
    assert poll.quiet_ahead(8.1) == pytest.approx(2.0)
    assert poll.quiet_ahead(9.6) == pytest.approx(0.5)
    # Due now, or a little late: imminent.
    assert poll.quiet_ahead(10.1) == 0.0
    assert poll.quiet_ahead(11.0) == 0.0
    # Late by more than a whole interval: a pause, nothing is predicted.
    assert poll.quiet_ahead(12.5) == float("inf")

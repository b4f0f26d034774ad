"""The bench's "streams nobody watches" section: its figures and verdicts from measured values."""

from __future__ import annotations

from jobstream_bench.abandoned import (
    AfterLeave,
    Attack,
    Reload,
    StreamsResult,
    ViewerHour,
    WindowLatency,
    render,
    verdicts,
)


def result(*, after_max: float = 44.0, reload_max: float = 2.5, running: int = 0) -> StreamsResult:
    return StreamsResult(
        after_leave=[
            AfterLeave("idle job", [30.1, after_max], ["window", "window"]),
            AfterLeave("10 events/s", [40.0, 41.0], ["window", "window"]),
        ],
        reloads=[Reload("idle job", [1.0, reload_max], ["superseded", "superseded"])],
        viewer_hour=ViewerHour(
            minutes=3,
            connections=5,
            events=180,
            duplicates=0,
            windows=[31.0, 33.0, 32.0, 30.0],
            dynamodb_calls={"GetItem": 5, "Query": 70, "PutItem": 5, "DeleteItem": 4},
        ),
        attacks=[
            Attack(
                cap=10,
                opens=200,
                statuses={200: 10, 429: 190},
                running_after_60s=running,
                durations=[44.0] * 10,
                dynamodb_calls={"Query": 400, "PutItem": 12},
            )
        ],
        latency=[
            WindowLatency(10.0, 0.0, [100.0, 110.0, 90.0], [40.0] * 3, [1] * 3, []),
            WindowLatency(10.0, 6.0, [120.0, 115.0, 130.0], [41.0] * 3, [4] * 3, [12.0, 30.0]),
        ],
        latency_window_s=6.0,
        cap=10,
        window_s=45.0,
    )


def test_every_target_is_judged_from_its_figure() -> None:
    judged = {target: (figure, met) for target, figure, met in verdicts(result())}
    after = judged["function duration after the viewer leaves, template defaults: <= 60 s (max)"]
    assert after == ("44.0 s", True)
    reload = judged["reload: the older stream of the same viewer ends within 5 s"]
    assert reload == ("2.50 s", True)
    latency = judged["p99 at 10 events/s with windows on: <= 1.2x without"]
    # Medians of the runs: 120 / 100.
    assert latency == ("120 / 100 ms = 1.20x", True)


def test_a_target_missed_is_reported_as_missed() -> None:
    missed = {t: met for t, _, met in verdicts(result(after_max=75.0, reload_max=6.0, running=11))}
    assert not missed["function duration after the viewer leaves, template defaults: <= 60 s (max)"]
    assert not missed["reload: the older stream of the same viewer ends within 5 s"]
    assert not any(met for t, met in missed.items() if t.startswith("200 dropped opens"))


def test_the_section_shows_the_measured_figures() -> None:
    text = "\n".join(render(result()))
    assert "| idle job | 2 | 37.0 s | 44.0 s | window | up to 895 s |" in text
    assert "| 10 | 200 | 10 x 200, 190 x 429 | 0 | 44.0 s |" in text
    assert "| 10 | 100 ms | 120 ms | 1.20x | 4 | 21 / 30 ms |" in text
    assert "5 connections in 3 min" in text


def test_the_latency_tables_say_their_window_and_what_a_reconnect_did() -> None:
    measured = result()
    stressed = StreamsResult(
        **{
            **{name: getattr(measured, name) for name in StreamsResult.__dataclass_fields__},
            "latency": [
                WindowLatency(10.0, 0.0, [50.0] * 3, [30.0] * 3, [1] * 3, []),
                WindowLatency(
                    10.0, 45.0, [52.0, 60.0, 55.0], [31.0] * 3, [4] * 3, [3.0, 9.0], [20.0, 70.0]
                ),
            ],
            "latency_window_s": 45.0,
            "stress_latency": measured.latency,
            "stress_window_s": 6.0,
        }
    )
    text = "\n".join(render(stressed))
    assert "at the default window, 45 s" in text
    assert "| 10 | 50 ms | 55 ms | 1.10x | 4 | 6 / 9 ms | 45 / 70 ms |" in text
    # The shortened window's run has its own table, said to be shortened.
    assert "windows shortened to 6 s" in text
    assert "| 10 | 100 ms | 120 ms | 1.20x | 4 | 21 / 30 ms | - |" in text
    judged = {target: figure for target, figure, _ in verdicts(stressed)}
    assert judged["p99 at 10 events/s with windows on: <= 1.2x without"] == "55 / 50 ms = 1.10x"

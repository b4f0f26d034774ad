"""The cold-start lab's verdicts, table and plot from its measurements (no process started)."""

from __future__ import annotations

from jobstream_bench.cold_lab import (
    BYTECODE,
    FUNCTIONS,
    INIT_MODELS,
    MEMORY_SIZES,
    Case,
    ColdLabResult,
    ColdStart,
)
from jobstream_bench.cold_lab_report import first_bytes, plot, section, verdicts


def _lab(stream_256_throttled_s: float) -> ColdLabResult:
    lab = ColdLabResult(runs=2, python="python3.11")
    for function in FUNCTIONS:
        for memory in MEMORY_SIZES:
            for init in INIT_MODELS:
                for bytecode in BYTECODE:
                    answer = 1769 / memory * (2.0 if bytecode == "none" else 1.0)
                    if (function, memory, init, bytecode) == (
                        "stream",
                        256,
                        "throttled",
                        "bytecode",
                    ):
                        answer = stream_256_throttled_s
                    lab.cases[Case(function, memory, init, bytecode)] = [
                        ColdStart(init_s=answer / 2, answer_s=answer),
                        ColdStart(init_s=answer / 2, answer_s=answer + 1.0),
                    ]
    lab.compiled = {
        (function, kind): 0 if kind == "bytecode" else 300
        for function in ("stream", "api", "worker")
        for kind in BYTECODE
    }
    return lab


def test_the_targets_take_the_median_of_the_cold_starts() -> None:
    met = {v.target: v for v in verdicts(_lab(2.0))}
    missed = {v.target: v for v in verdicts(_lab(3.0))}
    throttled = "cold stream first byte at 256 MB, init throttled: <= 2.5 s"
    # Median of 2.0 and 3.0 is 2.5: met; of 3.0 and 4.0, 3.5: not.
    assert met[throttled].met
    assert not missed[throttled].met
    assert "max 3.00" in met[throttled].figure
    assert met["sources compiled during a cold import of each built handler: 0"].met


def test_a_compiled_source_misses_the_bytecode_target() -> None:
    lab = _lab(2.0)
    lab.compiled[("api", "bytecode")] = 3
    [bytecode] = [v for v in verdicts(lab) if v.target.startswith("sources compiled")]
    assert not bytecode.met
    assert "api 3" in bytecode.figure


def test_a_skipped_lab_says_why_and_judges_nothing() -> None:
    lab = ColdLabResult(runs=3, skipped="not root: a CPU cgroup needs root")
    assert verdicts(lab) == []
    assert "Skipped: not root: a CPU cgroup needs root." in section(lab)


def test_the_plot_draws_every_series_and_the_table_every_size() -> None:
    lab = _lab(2.0)
    svg = plot(lab)
    assert svg.startswith("<svg")
    assert svg.count("<polyline") == len(FUNCTIONS) * len(INIT_MODELS) * len(BYTECODE)
    text = "\n".join(section(lab))
    assert all(f"| {mb} MB" in text or f" {mb} MB |" in text for mb in MEMORY_SIZES)
    assert first_bytes(lab, 192) == "not measured"
    assert first_bytes(lab, 256).startswith("2.50 s / ")

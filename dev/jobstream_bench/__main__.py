"""``python -m jobstream_bench`` (what `make bench` runs): measure, write docs/benchmarks.md."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from jobstream.settings import Settings
from jobstream_bench import (
    abandoned,
    cold_lab,
    cold_lab_report,
    dynamo_cost,
    end_to_end,
    imports,
    sse_codec,
    stream_cpu,
    stream_reads,
    viewer_cost,
)
from jobstream_bench.machine import Machine, load_average
from jobstream_bench.report import Run, now, render
from jobstream_bench.targets import check
from jobstream_local.repo import RepoNotFound, find_repo_root
from jobstream_local.template_table import load_template

T = TypeVar("T")
# throughput, latency, reads: end to end on the local stack and a stream's reads; cold: the
# handlers' cold imports against `import boto3`; cost: the stream function's CPU time, cold first
# byte and viewer-hour cost at each memory size.
# lab: the built functions started cold in a sandbox shaped like Lambda's, at each memory's CPU
# share (root only; SAM CLI from SAM_CLI).
# streams: what streams nobody watches cost (abandoned, reloaded, attacked) and windows' latency.
SECTIONS = (
    "codec",
    "throughput",
    "latency",
    "reads",
    "dynamodb",
    "cold",
    "cost",
    "lab",
    "streams",
)
# Other names still accepted by --only: "e2e" is throughput and latency together.
ALIASES = {"e2e": ("throughput", "latency"), "imports": ("cold",)}


def _sections(value: str) -> list[str]:
    """``--only latency,reads``: comma-separated section names (repeatable)."""
    names: list[str] = []
    for name in (part.strip() for part in value.split(",") if part.strip()):
        if name in ALIASES:
            names.extend(ALIASES[name])
        elif name in SECTIONS:
            names.append(name)
        else:
            choices = ", ".join([*SECTIONS, *ALIASES])
            raise argparse.ArgumentTypeError(f"unknown section {name!r} (choose from {choices})")
    return names


def _progress(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def _timed(name: str, work: Callable[[], T]) -> T:
    _progress(f"bench: {name} ...")
    started = time.perf_counter()
    result = work()
    _progress(f"bench: {name} done in {time.perf_counter() - started:.0f} s")
    return result


def _command(argv: Sequence[str] | None) -> str:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments:
        return "make bench  (python -m jobstream_bench)"
    return " ".join(["python -m jobstream_bench", *arguments])


def _viewer_cost(repo: Path, *, quick: bool) -> viewer_cost.ViewerCost:
    """The stream function measured, then priced at the template's memory sizes."""
    parameters = load_template(repo / "template.yaml")["Parameters"]
    cpu = stream_cpu.run(repo / "functions", runs=1 if quick else 3, seconds=5 if quick else 60)
    template = load_template(repo / "template.yaml")
    stream_timeout = float(parameters["StreamTimeout"]["Default"])
    return viewer_cost.evaluate(
        cpu,
        chosen_mb=int(parameters["StreamMemorySize"]["Default"]),
        api_memory_mb=int(template["Globals"]["Function"]["MemorySize"]),
        api_billed_ms=cpu.api_status_ms,
        # A connection lives one window (StreamWindowSeconds), or without windows until the
        # function's timeout minus the deadline margin (Settings).
        stream_max_seconds=min(
            stream_timeout - Settings(api_auth="none").stream_deadline_margin_seconds,
            float(parameters["StreamWindowSeconds"]["Default"]) or stream_timeout,
        ),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobstream_bench", description=__doc__)
    parser.add_argument(
        "--output",
        type=Path,
        help="where to write the report (default: docs/benchmarks.md of the repository)",
    )
    parser.add_argument(
        "--repo",
        type=Path,
        help="the jobstream repository, whose functions/ are measured (JOBSTREAM_REPO; default: "
        "the folder at or above the current one that holds template.yaml)",
    )
    parser.add_argument(
        "--only",
        type=_sections,
        action="append",
        help="run only these sections, comma-separated or repeated: " + ", ".join(SECTIONS),
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer rounds and events: a smoke run, not figures"
    )
    args = parser.parse_args(argv)
    try:
        repo = find_repo_root(args.repo)
    except RepoNotFound as missing:
        parser.error(str(missing))
    output: Path = args.output or repo / "docs" / "benchmarks.md"
    sections = {name for names in args.only or [SECTIONS] for name in names}
    quick: bool = args.quick
    started_at = now()
    started = time.perf_counter()
    load_before = load_average()

    codec = (
        _timed(
            "SSE encode/parse",
            lambda: sse_codec.run(events=2_000 if quick else 20_000, rounds=3 if quick else 9),
        )
        if "codec" in sections
        else None
    )
    e2e_parts = frozenset(sections & {"throughput", "latency"})
    e2e = (
        _timed(
            "end to end on the local stack",
            lambda: end_to_end.run(
                throughput_events=1_000 if quick else 5_000,
                throughput_runs=1 if quick else 3,
                latency_plan=(
                    ((10.0, 20), (2.0, 4), (1.0, 3))
                    if quick
                    else ((10.0, 100), (2.0, 12), (1.0, 10))
                ),
                latency_runs=1 if quick else 3,
                parts=e2e_parts,
            ),
        )
        if e2e_parts
        else None
    )
    reads = (
        _timed(
            "stream reads (busy and idle)",
            lambda: stream_reads.run(seconds=5 if quick else 20, idle_minutes=2 if quick else 5),
        )
        if "reads" in sections
        else None
    )
    dynamo = (
        _timed(
            "DynamoDB cost",
            lambda: dynamo_cost.run(
                emit_runs=((10, 50), (1_000, 500)) if quick else dynamo_cost.EMIT_RUNS,
                log_lengths=(1_200, 2_400) if quick else (12_000, 24_000),
                missed=(10, 1_000) if quick else (10, 100, 1_000, 10_000),
                idle_minutes=2 if quick else 5,
            ),
        )
        if "dynamodb" in sections
        else None
    )
    import_times = (
        _timed(
            "handler import times",
            lambda: imports.measure(repo / "functions", runs=3 if quick else 9),
        )
        if "cold" in sections
        else None
    )
    viewer = (
        _timed(
            "stream function CPU time and viewer-hour cost", lambda: _viewer_cost(repo, quick=quick)
        )
        if "cost" in sections
        else None
    )
    streams = (
        _timed("streams nobody watches", lambda: abandoned.run(quick=quick))
        if "streams" in sections
        else None
    )
    lab = (
        _timed(
            "cold-start lab",
            lambda: cold_lab.run(repo, sam=os.environ.get("SAM_CLI"), runs=1 if quick else 3),
        )
        if "lab" in sections
        else None
    )
    verdicts = check(
        end_to_end=e2e,
        dynamo=dynamo,
        imports=import_times,
        reads=reads,
        viewer=viewer,
        streams=streams,
        cold_estimate=lab is None or lab.skipped is not None,
    )
    if lab is not None:
        verdicts += cold_lab_report.verdicts(lab)
    run = Run(
        machine=Machine.describe(repo),
        command=_command(argv),
        started=started_at,
        seconds=time.perf_counter() - started,
        load_before=load_before,
        load_after=load_average(),
        codec=codec,
        end_to_end=e2e,
        dynamo=dynamo,
        imports=import_times,
        reads=reads,
        viewer=viewer,
        streams=streams,
        verdicts=verdicts,
        lab=lab,
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(run), encoding="utf-8")
    if lab is not None and lab.skipped is None:
        plot = output.parent / cold_lab_report.PLOT
        plot.write_text(cold_lab_report.plot(lab), encoding="utf-8")
        _progress(f"bench: wrote {plot}")
    for verdict in run.verdicts:
        _progress(f"{'met    ' if verdict.met else 'NOT MET'}  {verdict.target}: {verdict.figure}")
    _progress(f"bench: wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

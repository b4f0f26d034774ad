"""The bench's targets, each checked against the figure that decides it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Final

from jobstream_bench.abandoned import StreamsResult
from jobstream_bench.abandoned import verdicts as stream_verdicts
from jobstream_bench.dynamo_cost import DynamoCostResult, IdleCost
from jobstream_bench.end_to_end import EndToEndResult, LatencyResult
from jobstream_bench.imports import ImportTimes
from jobstream_bench.stream_reads import PARTITION_READ_UNITS, StreamReadsResult
from jobstream_bench.viewer_cost import ViewerCost

MIN_EVENTS_PER_S: Final = 2_000
MAX_P99_BACKGROUND_MS: Final = 150
MAX_P99_INLINE_MS: Final = 30
MAX_WRITES_PER_EVENT: Final = 0.1
FAST_RATE_PER_S: Final = 1_000
MAX_IDLE_READS_PER_MINUTE: Final = 60
MIN_VIEWERS_PER_PARTITION: Final = 200
# Cold import of each handler over a bare `import boto3` in the same rounds (medians).
MAX_IMPORT_RATIO: Final = {"stream": 1.5, "worker": 2.0, "api": 2.0}
MAX_VIEWER_HOUR_USD: Final = 0.01
MAX_COLD_FIRST_BYTE_S: Final = 1.0


@dataclass(frozen=True, slots=True)
class Verdict:
    target: str
    figure: str
    met: bool


def check(
    *,
    end_to_end: EndToEndResult | None,
    dynamo: DynamoCostResult | None,
    imports: ImportTimes | None,
    reads: StreamReadsResult | None = None,
    viewer: ViewerCost | None = None,
    streams: StreamsResult | None = None,
    cold_estimate: bool = True,
) -> list[Verdict]:
    """``cold_estimate=False``: the cold-start lab measured the cold first byte, so the estimate
    (CPU time here divided by the share) is left out."""
    verdicts: list[Verdict] = []
    if streams is not None:
        verdicts += [Verdict(t, f, met) for t, f, met in stream_verdicts(streams)]
    if end_to_end is not None and end_to_end.throughput is not None:
        rate = end_to_end.throughput.rate["background"]
        verdicts.append(
            Verdict(
                f">= {MIN_EVENTS_PER_S:,} events/s for one job on the local stack",
                f"{rate.median:,.0f} events/s (background, median of {rate.count}; "
                f"inline {end_to_end.throughput.rate['inline'].median:,.0f})",
                rate.median >= MIN_EVENTS_PER_S,
            )
        )
    if end_to_end is not None:
        verdicts += _latency_verdicts(end_to_end.latency)
    if dynamo is not None:
        fast = [e for e in dynamo.emit if e.rate_per_s >= FAST_RATE_PER_S]
        if fast:
            worst = max(fast, key=lambda e: e.writes_per_event)
            verdicts.append(
                Verdict(
                    f"<= {MAX_WRITES_PER_EVENT} write requests per event at "
                    f">= {FAST_RATE_PER_S:,} events/s",
                    ", ".join(f"{e.writes_per_event:.4f} at {e.rate_per_s:,.0f}/s" for e in fast),
                    worst.writes_per_event <= MAX_WRITES_PER_EVENT,
                )
            )
        verdicts.append(_replay_verdict(dynamo))
        if reads is None:
            verdicts.append(_idle_verdict(dynamo.idle))
    if reads is not None:
        verdicts += _reads_verdicts(reads)
    if imports is not None:
        for handler, max_ratio in MAX_IMPORT_RATIO.items():
            found = next(i for i in imports.handlers if i.handler == handler)
            ratio = imports.ratio(handler)
            verdicts.append(
                Verdict(
                    f"{handler} handler cold import <= {max_ratio}x a bare `import boto3`",
                    f"{ratio:.2f}x: {found.summary.median:.0f} ms / "
                    f"{imports.baseline.median:.0f} ms (medians of {found.summary.count}, "
                    "alternating)",
                    ratio <= max_ratio,
                )
            )
    if viewer is not None:
        verdicts += _viewer_verdicts(viewer, cold_estimate=cold_estimate)
    return verdicts


def _latency_verdicts(results: list[LatencyResult]) -> list[Verdict]:
    """One verdict per mode and rate: each rate measured must meet the target on its own."""
    verdicts: list[Verdict] = []
    for mode, limit in (("background", MAX_P99_BACKGROUND_MS), ("inline", MAX_P99_INLINE_MS)):
        for low in sorted(results, key=lambda r: r.rate_per_s):
            p99 = low.p99_ms[mode]
            steady = low.p99_steady_ms[mode]
            verdicts.append(
                Verdict(
                    f"p99 emit-to-client < {limit} ms, {mode} mode, at {low.rate_per_s:g} events/s",
                    f"{p99.median:.0f} ms (runs {p99.low:.0f}-{p99.high:.0f}; p50 "
                    f"{low.p50_ms[mode].median:.0f} ms); {steady.median:.0f} ms leaving out "
                    "the job's first second",
                    p99.median < limit,
                )
            )
    return verdicts


def _idle_verdict(idle: IdleCost) -> Verdict:
    worst_minute = max(idle.queries_first_minute, idle.queries_per_minute_after)
    return Verdict(
        f"<= {MAX_IDLE_READS_PER_MINUTE} reads per idle stream-minute",
        f"{idle.queries_per_minute_after:g} Queries/min steady "
        f"({idle.queries_first_minute} in the first minute)",
        worst_minute <= MAX_IDLE_READS_PER_MINUTE,
    )


def _reads_verdicts(reads: StreamReadsResult) -> list[Verdict]:
    shipped = reads.busy[0]
    return [
        Verdict(
            f">= {MIN_VIEWERS_PER_PARTITION} viewers of one job at "
            f"{shipped.rate_per_s:,.0f} events/s within one partition's "
            f"{PARTITION_READ_UNITS:,} RCU/s",
            f"{shipped.viewers_per_partition:,} viewers: {shipped.reads_per_viewer_second:.1f} "
            f"reads and {shipped.rcu_per_viewer_second:.1f} RCU per viewer-second",
            shipped.viewers_per_partition >= MIN_VIEWERS_PER_PARTITION,
        ),
        _idle_verdict(reads.idle),
    ]


def _viewer_verdicts(viewer: ViewerCost, *, cold_estimate: bool) -> list[Verdict]:
    chosen = viewer.chosen
    idle, busy = chosen.idle_hour.total, chosen.busy_hour.total
    verdicts = [
        Verdict(
            f"one viewer-hour <= ${MAX_VIEWER_HOUR_USD} (stream function at its memory, arm64)",
            f"${idle:.4f} idle, ${busy:.4f} busy ({viewer.cpu.busy_rate:g} events/s) at "
            f"{chosen.memory_mb} MB; a 1 s polling client: ${viewer.polling.total:.4f} "
            f"(prices as of {viewer.prices.as_of})",
            max(idle, busy) <= MAX_VIEWER_HOUR_USD,
        ),
        Verdict(
            f"first byte of a cold stream within {MAX_COLD_FIRST_BYTE_S:g} s on Lambda (estimate)",
            f"{chosen.cold_first_byte_s:.2f} s at {chosen.memory_mb} MB: "
            f"{viewer.cpu.cold_cpu_s():.2f} s of CPU here / {chosen.share:.3f} vCPU",
            chosen.cold_first_byte_s <= MAX_COLD_FIRST_BYTE_S,
        ),
    ]
    return verdicts if cold_estimate else verdicts[:1]


def _replay_verdict(dynamo: DynamoCostResult) -> Verdict:
    """Proportional to the events missed: the same reads for the same gap on logs of different
    lengths (their events are the same size), and capacity growing with the gap."""
    by_missed: dict[int, set[tuple[int, float]]] = {}
    for cost in dynamo.replay:
        by_missed.setdefault(cost.missed, set()).add((cost.requests, cost.rcu))
    same_for_any_length = all(len(costs) == 1 for costs in by_missed.values())
    ordered = sorted(by_missed)
    units = [max(rcu for _, rcu in by_missed[m]) for m in ordered]
    grows_with_gap = all(a <= b for a, b in itertools.pairwise(units))
    lengths = sorted({c.log_length for c in dynamo.replay})
    figure = (
        "; ".join(f"{m:,} missed: {units[i]:g} RCU" for i, m in enumerate(ordered))
        + f" (identical on logs of {' and '.join(f'{n:,}' for n in lengths)} events)"
    )
    if not same_for_any_length:
        figure = figure.replace("identical", "NOT identical")
    return Verdict(
        "replay reads proportional to events missed, not to the log's length",
        figure,
        same_for_any_length and grows_with_gap,
    )

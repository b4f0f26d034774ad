"""From measured requests and durations to dollars per 1,000 jobs, as a Markdown table."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from jobstream_local.cost.prices import PriceList
from jobstream_local.cost.scenario import Invocations, Measurement
from jobstream_local.template_table import load_template

JOBS = 1_000
GB = 1024**3
STREAMING_FREE_BYTES = 6 * 1024**2
DAYS_PER_MONTH = 30


@dataclass(frozen=True, slots=True)
class Deployment:
    """What template.yaml configures that the bill depends on (its parameter defaults)."""

    memory_mb: int
    # The stream function's own (StreamMemorySize): it runs as long as a viewer watches.
    stream_memory_mb: int
    architecture: str
    retention_days: float

    @classmethod
    def from_template(cls, path: Path) -> Deployment:
        template = load_template(path)
        parameters = template["Parameters"]
        return cls(
            memory_mb=int(template["Globals"]["Function"]["MemorySize"]),
            stream_memory_mb=int(parameters["StreamMemorySize"]["Default"]),
            architecture=str(parameters["Architecture"]["Default"]),
            retention_days=float(parameters["EventRetentionDays"]["Default"]),
        )


@dataclass(frozen=True, slots=True)
class JobCost:
    """Dollars for ONE job; ``per_thousand`` scales every line."""

    lambda_requests: float
    lambda_compute: float
    lambda_streaming: float
    dynamodb_writes: float
    dynamodb_reads: float
    dynamodb_storage: float
    xray: float

    @property
    def total(self) -> float:
        return (
            self.lambda_requests
            + self.lambda_compute
            + self.lambda_streaming
            + self.dynamodb_writes
            + self.dynamodb_reads
            + self.dynamodb_storage
            + self.xray
        )


def gb_seconds(invocations: Invocations, memory_mb: int) -> float:
    # Lambda bills duration rounded up to the millisecond.
    billed = sum(math.ceil(d * 1000) / 1000 for d in invocations.durations)
    return billed * memory_mb / 1024


def _compute_gb_seconds(m: Measurement, deployment: Deployment) -> float:
    return (
        gb_seconds(m.api, deployment.memory_mb)
        + gb_seconds(m.worker, deployment.memory_mb)
        + gb_seconds(m.stream, deployment.stream_memory_mb)
    )


def invocation_count(m: Measurement) -> int:
    return m.api.count + m.worker.count + m.stream.count


def cost_of(m: Measurement, deployment: Deployment, prices: PriceList) -> JobCost:
    usage = m.total_dynamodb
    compute = _compute_gb_seconds(m, deployment)
    # Stored for the retention period, plus the job item (~1 KB); PITR bills the same size.
    stored_gb = (usage.event_bytes_written + 1024) / GB
    months = deployment.retention_days / DAYS_PER_MONTH
    streamed_over = max(0, m.streamed_bytes - STREAMING_FREE_BYTES * m.stream.count) / GB
    return JobCost(
        lambda_requests=invocation_count(m) * prices.lambda_per_request,
        lambda_compute=compute * prices.lambda_per_gb_second[deployment.architecture],
        lambda_streaming=streamed_over * prices.lambda_streamed_per_gb_over_6mb,
        dynamodb_writes=usage.write_units * prices.dynamodb_per_write_unit,
        dynamodb_reads=usage.read_units * prices.dynamodb_per_read_unit,
        dynamodb_storage=stored_gb
        * months
        * (prices.dynamodb_storage_per_gb_month + prices.dynamodb_pitr_per_gb_month),
        xray=invocation_count(m) * prices.xray_per_trace,
    )


def _latency(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f} ms"


def _requests(usage_requests: dict[str, int] | object, names: Sequence[str]) -> str:
    assert isinstance(usage_requests, dict)
    return " + ".join(f"{usage_requests[n]:,} {n}" for n in names if usage_requests.get(n))


def render(measurements: Sequence[Measurement], deployment: Deployment, prices: PriceList) -> str:
    """The Markdown table (one column per measured job) and the assumptions under it."""
    columns = [f"{m.events:,} events, 1 per {m.interval_ms} ms" for m in measurements]
    rows: list[tuple[str, list[str]]] = []

    def row(label: str, values: Sequence[str]) -> None:
        rows.append((label, list(values)))

    costs = [cost_of(m, deployment, prices) for m in measurements]
    row("Job duration (worker, measured)", [f"{m.worker.seconds:.1f} s" for m in measurements])
    row(
        "of which the job's own pauses",
        [f"{m.events * m.interval_ms / 1000:.1f} s" for m in measurements],
    )
    row(
        "Mean TransactWriteItems latency (local)",
        [_latency(m.dynamodb["worker"].mean_latency("TransactWriteItems")) for m in measurements],
    )
    row(
        "Events streamed to the client",
        [f"{m.streamed_events:,} ({m.streamed_bytes / 1024:.0f} KB)" for m in measurements],
    )
    for role in ("api", "worker", "stream"):
        row(
            f"DynamoDB requests, {role}",
            [
                _requests(dict(m.dynamodb[role].requests), sorted(m.dynamodb[role].requests))
                for m in measurements
            ],
        )
    row(
        "Write units / read units (modelled)",
        [
            f"{m.total_dynamodb.write_units:,} / {m.total_dynamodb.read_units:,}"
            for m in measurements
        ],
    )
    row(
        "Write units per event",
        [f"{m.total_dynamodb.write_units / m.events:.2f}" for m in measurements],
    )
    row(
        "Lambda invocations (api + worker + stream)",
        [f"{m.api.count} + {m.worker.count} + {m.stream.count}" for m in measurements],
    )
    row(
        f"Lambda GB-seconds ({deployment.memory_mb} MB; stream {deployment.stream_memory_mb} MB)",
        [f"{_compute_gb_seconds(m, deployment):.1f}" for m in measurements],
    )
    for label, attribute in (
        ("Lambda requests", "lambda_requests"),
        (f"Lambda compute ({deployment.architecture})", "lambda_compute"),
        ("Lambda streamed bytes over 6 MB", "lambda_streaming"),
        ("DynamoDB writes", "dynamodb_writes"),
        ("DynamoDB reads", "dynamodb_reads"),
        (f"DynamoDB storage + PITR ({deployment.retention_days:g} days)", "dynamodb_storage"),
        ("X-Ray traces (upper bound)", "xray"),
    ):
        row(
            f"$ per {JOBS:,} jobs: {label}", [f"${getattr(c, attribute) * JOBS:.4f}" for c in costs]
        )
    row(f"**$ per {JOBS:,} jobs: total**", [f"**${c.total * JOBS:.2f}**" for c in costs])

    lines = [
        "| | " + " | ".join(columns) + " |",
        "|---|" + "---|" * len(columns),
        *(f"| {label} | " + " | ".join(values) + " |" for label, values in rows),
        "",
        *(f"- {sentence}" for sentence in prices.describe()),
    ]
    return "\n".join(lines) + "\n"

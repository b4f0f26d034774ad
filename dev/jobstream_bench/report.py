"""docs/benchmarks.md from one bench run: machine, command, every figure, every target's verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from jobstream_bench import cold_lab_report
from jobstream_bench.abandoned import StreamsResult
from jobstream_bench.abandoned import render as render_streams
from jobstream_bench.cold_lab import ColdLabResult
from jobstream_bench.dynamo_cost import DynamoCostResult
from jobstream_bench.end_to_end import EndToEndResult, LatencyResult, ThroughputResult
from jobstream_bench.imports import ImportTimes
from jobstream_bench.machine import Machine
from jobstream_bench.sse_codec import CodecResult
from jobstream_bench.stats import Summary
from jobstream_bench.stream_reads import PARTITION_READ_UNITS, StreamReadsResult
from jobstream_bench.targets import Verdict
from jobstream_bench.viewer_cost import ONE_VCPU_MB, ViewerCost, connections_per_hour


@dataclass(frozen=True, slots=True)
class Run:
    machine: Machine
    command: str
    started: datetime
    seconds: float
    load_before: tuple[float, float, float] | None
    load_after: tuple[float, float, float] | None
    codec: CodecResult | None
    end_to_end: EndToEndResult | None
    dynamo: DynamoCostResult | None
    imports: ImportTimes | None
    viewer: ViewerCost | None
    verdicts: list[Verdict]
    reads: StreamReadsResult | None = None
    lab: ColdLabResult | None = None
    streams: StreamsResult | None = None


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def _spread(summary: Summary, fmt: str = ",.0f", unit: str = "") -> str:
    """Median (lowest-highest)."""
    return (
        f"{format(summary.median, fmt)}{unit} "
        f"({format(summary.low, fmt)}-{format(summary.high, fmt)})"
    )


def _load(load: tuple[float, float, float] | None) -> str:
    return "n/a" if load is None else " / ".join(f"{x:.2f}" for x in load)


def render(run: Run) -> str:
    m = run.machine
    out = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m jobstream_bench`); do not edit by hand, run it again.",
        "Every comparison below was measured side by side in this one run: contenders alternate",
        "within each round, in a shuffled order, and each figure is the median of the rounds with",
        "the lowest and highest round in brackets.",
        "",
        *_table(
            ["", ""],
            [
                ["command", f"`{run.command}`"],
                ["date", run.started.strftime("%Y-%m-%d %H:%M UTC")],
                ["commit", m.commit],
                ["CPU", f"{m.cpu}, {m.cores} cores"],
                ["Python", m.python],
                ["OS", m.system],
                [
                    "load average before / after (1, 5, 15 min)",
                    f"{_load(run.load_before)} / {_load(run.load_after)}",
                ],
                ["bench duration", f"{run.seconds:.0f} s"],
            ],
        ),
        "The machine is shared with other work (see the load average): wall-clock figures",
        "(throughput, latency, import time) move with it; the DynamoDB figures are deterministic.",
        "",
        "## Targets",
        "",
        *_table(
            ["target", "measured", "met"],
            [[v.target, v.figure, "met" if v.met else "**not met**"] for v in run.verdicts],
        ),
    ]
    out += _unmet_notes(
        run.verdicts, run.end_to_end.latency if run.end_to_end is not None else None
    )
    if run.codec is not None:
        out += _codec(run.codec)
    if run.end_to_end is not None:
        out += _end_to_end(run.end_to_end)
    if run.reads is not None:
        out += _stream_reads(run.reads)
    if run.dynamo is not None:
        out += _dynamo(run.dynamo)
    if run.imports is not None:
        out += _imports(run.imports)
    if run.lab is not None:
        out += cold_lab_report.section(run.lab)
    if run.viewer is not None:
        measured = run.lab if run.lab is not None and run.lab.skipped is None else None
        out += _viewer(run.viewer, measured)
    if run.streams is not None:
        out += render_streams(run.streams)
    return "\n".join(out).rstrip() + "\n"


# Why a target can miss, by the start of its text: the mechanism, not a figure (the figures are
# the run's own, in the tables below).
_WHY_NOT_MET = {
    "stream handler cold import": (
        "**Stream import.** The stream handler loads the read path only (no job engine, no "
        "pydantic, no tracing SDK; tests/integration/test_handler_imports.py); what remains above "
        "boto3 is Powertools' Logger and metrics and jobstream's own store, tail and SSE modules "
        "(the per-package breakdown below)."
    ),
    "worker handler cold import": (
        "**Worker import.** The worker runs jobs, whose parameters are pydantic models (the job "
        "registry validates them, and the worker request is one): pydantic and pydantic-core "
        "are most of what it adds to boto3 (breakdown below). Deferring them to the first "
        "invocation would move the cost, not remove it; a worker's cold start delays a job's "
        "next hop, not a viewer."
    ),
    "api handler cold import": (
        "**API import.** FastAPI (with Starlette, and the opentelemetry-api it imports for its "
        "own telemetry), pydantic for the request and response schemas, and cryptography for "
        "JWT callers (ApiAuth=jwt, the default): the framework the jobs API is written in. The "
        "breakdown below has the figures."
    ),
    "one viewer-hour": (
        "**Viewer-hour.** A stream holds its Lambda instance, billed by duration, for as long "
        "as the viewer watches, whatever it does: at the chosen memory the duration alone is "
        "most of the figure (the table below splits it), and a busy job's stream adds a "
        "strongly consistent Query per poll at any size. The sizes where an idle hour costs "
        "less open a cold stream in several seconds (the table of sizes). The 1 s polling client "
        "is cheaper per hour because it is billed only for the "
        "milliseconds of each request, at one-second resolution."
    ),
    "first byte of a cold stream": (
        "**Cold first byte.** It is CPU: starting the interpreter, importing the handler "
        "(mostly boto3) and the open (the store's boto3 client, the job read, the first frame), "
        "run at the memory's share of a vCPU. The sizes fast enough cost several times as much "
        "per viewer-hour (the table of sizes)."
    ),
    "cold stream first byte": (
        "**Cold stream (lab).** A cold first byte is CPU at the memory's share: the "
        "interpreter, the imports (boto3 and botocore about half) and the open (settings, the "
        "token check, the store's boto3 client, the job read). The lab's breakdown below gives "
        "each part and what a 1 s first byte at 256 MB would take."
    ),
    "cold `POST /jobs`": (
        "**Cold create (lab).** The API function imports FastAPI, Starlette, pydantic and "
        "cryptography on top of boto3 (the cold import section), all at the memory's share "
        "when init is throttled: see the lab's table for the figures at each size."
    ),
    ">= ": (
        "**Throughput.** moto copies the whole table for every transaction, so the local stack "
        "slows down as its table grows; the figure is for a fresh stack."
    ),
}


def _latency_note(latency: list[LatencyResult], modes: set[str]) -> str:
    """Why a latency target missed, with this run's own figures for the mechanism."""
    appends = ", ".join(
        f"{lat.write_ms[0]:.0f} / {lat.write_ms[1]:.0f} ms at {lat.rate_per_s:g}/s"
        for lat in latency
    )
    queries = ", ".join(
        f"{lat.query_ms[0]:.0f} / {lat.query_ms[1]:.0f} ms at {lat.rate_per_s:g}/s"
        for lat in latency
    )
    parts = [
        "**Latency.** An event is sent only once it is durable, so every event first waits for "
        "its append: one TransactWriteItems, which on the local stack's embedded moto server "
        f"took (p50 / p99) {appends} in these runs (moto copies the table for every "
        "transaction and shares two cores and one interpreter with the worker, the stream and "
        "the client, so its time follows the machine's load average, above)."
    ]
    if "inline" in modes:
        parts.append(
            "Inline jobs hand their committed events to their stream in-process (no read), so "
            "the append alone decides their latency: a p99 under 30 ms needs an append whose "
            "p99 is well under that, which this database does not give."
        )
    if "background" in modes:
        parts.append(
            "A background job's stream must also find the event with a Query "
            f"(p50 / p99 {queries}) on a schedule that learns the job's cadence; the first event "
            "after a silence waits about a tenth of the silence (the price of at most 60 reads "
            "per idle minute), which is the p99 when a run has few events (12 at 2/s, 10 at "
            "1/s: the p99 is then the slowest event)."
        )
    return " ".join(parts)


def _unmet_notes(verdicts: list[Verdict], latency: list[LatencyResult] | None = None) -> list[str]:
    notes = [
        text
        for start, text in _WHY_NOT_MET.items()
        if any(not v.met and v.target.startswith(start) for v in verdicts)
    ]
    missed = {
        mode
        for v in verdicts
        for mode in ("background", "inline")
        if not v.met and v.target.startswith("p99 emit-to-client") and f", {mode} mode" in v.target
    }
    if missed and latency:
        notes.insert(0, _latency_note(latency, missed))
    if not notes:
        return []
    return ["### Why some targets are not met", "", *[f"- {note}" for note in notes], ""]


def _codec(codec: CodecResult) -> list[str]:
    rows: list[list[str]] = []
    for operation, other in (
        ("encode", "sse-starlette"),
        ("parse", "httpx-sse"),
        ("round trip", "sse-starlette + httpx-sse"),
    ):
        ours = codec.figures[f"{operation}/ours"]
        theirs = codec.figures[f"{operation}/{other}"]
        rows.append(
            [
                operation,
                _spread(ours),
                f"{_spread(theirs)} ({other})",
                f"{codec.ratio(operation, other):.2f}x",
            ]
        )
    return [
        "## SSE encode and parse",
        "",
        f"{codec.events:,} events as a job's stream carries them (progress, log and item events,",
        f"compact JSON data, integer ids; {codec.payload_bytes:,} bytes on the wire), "
        f"{codec.rounds} rounds.",
        "Encoders get the same (id, type, data); parsers get the same bytes in 16 KiB chunks and",
        "must return the same events. httpx-sse is driven as its `EventSource.iter_sse` drives",
        "it (incremental UTF-8 decode, `SSELineDecoder`, `SSEDecoder` per line), without an HTTP",
        "response around it. Figures in events/s.",
        "",
        *_table(["operation", "jobstream.sse", "other", "ratio"], rows),
    ]


def _end_to_end(result: EndToEndResult) -> list[str]:
    out = [
        "## End to end on the local stack",
        "",
        f"`LocalStack` (what `make run` serves; DynamoDB: {result.database.split(';')[0]}), the",
        "`jobstream_client.EventStream` client over HTTP on loopback, job type `bench.ticks`",
        "(dev/jobstream_bench/jobs.py: one event per step, its emit time in the data).",
        "",
    ]
    if result.throughput is not None:
        out += _throughput(result.throughput)
    if result.latency:
        out += _latency(result.latency)
    return out


def _throughput(t: ThroughputResult) -> list[str]:
    return [
        f"### Throughput: one job of {t.events:,} events, emitted as fast as the driver goes",
        "",
        "events/s = events / (receipt of the last event - job created). DynamoDB requests are",
        "those the whole stack made during the job (job, worker, stream), on the wall clock.",
        "",
        *_table(
            ["mode", "events/s", "DynamoDB writes/event", "DynamoDB reads/event"],
            [
                [
                    mode,
                    _spread(t.rate[mode]),
                    _spread(t.writes_per_event[mode], ".4f"),
                    _spread(t.reads_per_event[mode], ".4f"),
                ]
                for mode in t.rate
            ],
        ),
    ]


def _latency(latency: list[LatencyResult]) -> list[str]:
    out = [
        "### Latency: emit to client receipt, at low rates",
        "",
        "Paced jobs whose first event comes one second after the client connected; p50 and p99",
        'per run (median over the runs, lowest-highest in brackets); "p99 steady" leaves out',
        "the events of the job's first second, which wait for a poll schedule that knows nothing",
        "yet of the job's pace. Background jobs reach the stream through the table (the poll",
        "schedule of jobstream.tail.polling); inline jobs through the in-process commit feed of",
        "the stream that drives them. The polling client asks `GET /jobs/{id}` once a second",
        "alongside the stream of the background runs; its latency is emit to the first poll that",
        "showed the event's id as stored.",
        "",
    ]
    rows: list[list[str]] = []
    for lat in latency:
        for client in ("background", "inline", "polling"):
            label = {
                "background": "stream, background job",
                "inline": "stream, inline job",
                "polling": "polling GET /jobs/{id} 1/s",
            }[client]
            requests = lat.requests_per_job["polling" if client == "polling" else "stream"]
            steady = lat.p99_steady_ms.get(client)
            rows.append(
                [
                    f"{lat.rate_per_s:g}/s x {lat.events}",
                    label,
                    _spread(lat.p50_ms[client], ".0f", " ms"),
                    _spread(lat.p99_ms[client], ".0f", " ms"),
                    "-" if steady is None else _spread(steady, ".0f", " ms"),
                    f"{requests.median:g}",
                ]
            )
    out += _table(
        ["rate x events", "client", "p50", "p99", "p99 steady", "HTTP requests/job"], rows
    )
    out += [
        "What every event waits for before anyone may see it, measured on the stack's client",
        "in the same runs: its append (one TransactWriteItems on the embedded moto server),",
        "and, for a stream that polls, the Query that finds it.",
        "",
        *_table(
            ["rate", "append p50 / p99", "Query p50 / p99"],
            [
                [
                    f"{lat.rate_per_s:g}/s",
                    f"{lat.write_ms[0]:.0f} / {lat.write_ms[1]:.0f} ms",
                    f"{lat.query_ms[0]:.0f} / {lat.query_ms[1]:.0f} ms",
                ]
                for lat in latency
            ],
        ),
    ]
    return out


def _dynamo(result: DynamoCostResult) -> list[str]:
    emit_rows = [
        [
            f"{e.rate_per_s:,.0f}",
            f"{e.events:,}",
            f"{e.writes} ({e.writes_per_event:.4f})",
            f"{e.reads} ({e.reads_per_event:.4f})",
            f"{e.wcu / e.events:.3f}",
            f"{e.rcu / e.events:.4f}",
        ]
        for e in result.emit
    ]
    replay_rows = [
        [f"{r.log_length:,}", f"{r.missed:,}", str(r.requests), str(r.queries), f"{r.rcu:g}"]
        for r in result.replay
    ]
    idle = result.idle
    return [
        "## DynamoDB cost",
        "",
        "Deterministic (simulated clocks; moto in-process; requests counted from botocore's",
        "events on the store's client by the cost model's meter,",
        "dev/jobstream_local/cost/capacity.py). Capacity units are modelled with DynamoDB's",
        "on-demand rules from the item sizes in the requests and",
        "responses (1 WCU per KB written, x2 in a transaction; 1 RCU per 4 KB read strongly",
        "consistently, summed per Query page, at least 1 per request): moto's own",
        "`ConsumedCapacity` is a flat 1 per call.",
        "",
        "### Per event emitted",
        "",
        "A `bench.ticks` job, one event per step, through the real driver (JobService.run_hop,",
        f"StepCommitter, JobStore; flush interval {result.flush_interval_ms} ms), everything",
        "from job creation to its terminal event counted (lease, hop counter, cancel checks once",
        "a second, renewals).",
        "",
        *_table(
            [
                "events/s",
                "events",
                "write requests (per event)",
                "read requests (per event)",
                "WCU/event",
                "RCU/event",
            ],
            emit_rows,
        ),
        "### Per reconnect, by events missed",
        "",
        "A finished job's log (items of 100 events, as written at >= 2,000 events/s); a stream",
        "opened with `Last-Event-ID: <length - missed>` replays to the end. Requests: the job",
        "item read at open plus the Query pages.",
        "",
        *_table(["log length", "events missed", "requests", "Query pages", "RCU"], replay_rows),
        "### Per idle stream-minute",
        "",
        f"A stream on a running job that emits nothing, over {idle.minutes} simulated minutes",
        f"(poll ceiling {result.poll_max_ms} ms; heartbeats cost nothing).",
        "",
        *_table(
            ["", "Queries", "RCU"],
            [
                ["first minute (the stream's first)", str(idle.queries_first_minute), "-"],
                [
                    "each later minute",
                    f"{idle.queries_per_minute_after:g}",
                    f"{idle.rcu_per_minute_after:g}",
                ],
            ],
        ),
    ]


def _stream_reads(result: StreamReadsResult) -> list[str]:
    idle = result.idle
    rows = [
        [
            b.schedule,
            f"{b.rate_per_s:,.0f}",
            f"{b.reads_per_viewer_second:.1f}",
            f"{b.eventual_queries / b.queries:.0%}" if b.queries else "-",
            f"{b.rcu_per_viewer_second:.1f}",
            f"{b.viewers_per_partition:,}",
        ]
        for b in result.busy
    ]
    return [
        "## Stream reads: busy and idle",
        "",
        "Deterministic (moto in-process, simulated clock; dev/jobstream_bench/stream_reads.py).",
        f"A job committing {result.busy[0].rate_per_s:,.0f} `bench.tick` events a second the",
        f"way the driver writes them (one append per {result.flush_interval_ms} ms flush",
        f"interval) and one stream reading it for {result.busy[0].seconds:g} s after a first",
        "second of warm-up. Read units as modelled for the DynamoDB figures below, an eventually",
        "consistent read at half price (safe here: an event item is written once and never",
        "changes, so a lagging replica can only lack the newest items, which the next poll",
        "brings; a gap is re-read strongly consistently, see JobStore.events_after). All",
        "viewers of one job read one partition key, whose",
        f"ceiling is {PARTITION_READ_UNITS:,} RCU/s: viewers that fit = that / RCU per",
        f"viewer-second. Schedule: probes every {result.poll_min_ms} ms around a commit's due",
        f"time, at least {result.poll_busy_ms} ms after a poll that found events, at most",
        f"{result.poll_max_ms} ms apart when idle.",
        "",
        *_table(
            [
                "schedule",
                "events/s",
                "reads per viewer-second",
                "eventually consistent",
                "RCU per viewer-second",
                "viewers per partition",
            ],
            rows,
        ),
        f"An idle stream (a running job that emits nothing, {idle.minutes} simulated minutes):",
        f"{idle.queries_first_minute} Queries in its first minute, then "
        f"{idle.queries_per_minute_after:g} a minute ({idle.rcu_per_minute_after:g} RCU); never",
        "more than 60 empty polls in any minute without events.",
        "",
    ]


def _imports(results: ImportTimes) -> list[str]:
    rows = [
        [
            f"`functions/{r.handler}/app.py`",
            _spread(r.summary, ".0f", " ms"),
            f"{results.ratio(r.handler):.2f}x",
            ", ".join(f"{pkg} {ms:.0f}" for pkg, ms in r.by_package),
        ]
        for r in results.handlers
    ]
    rows.append(["bare `import boto3`", _spread(results.baseline, ".0f", " ms"), "1x", ""])
    return [
        "## Cold import time of the handlers",
        "",
        "`python -X importtime -c 'import app'` in a fresh interpreter started in the function's",
        "folder (its task root), and `import boto3` in an empty folder, alternating by round;",
        "bytecode caches written on a first run and used after (as pip leaves them for",
        f"dependencies); cumulative time of the import, {results.baseline.count} rounds. The ratio",
        "is of the medians. The built layer and functions ship hash-based bytecode, which",
        'survives the zip (docs/deploy.md, "Bytecode"): on Lambda too the imports compile nothing.',
        "",
        *_table(["handler", "import", "/ boto3", "self time by package, ms (median run)"], rows),
    ]


def _money(value: float) -> str:
    return f"${value:.4f}"


def _viewer(result: ViewerCost, lab: ColdLabResult | None = None) -> list[str]:
    cpu = result.cpu
    runs = len(cpu.of("idle"))
    figures = [
        [
            mode,
            f"{cpu.median(mode, 'cpu_s_per_minute'):.3f} s",
            f"{cpu.median(mode, 'queries_per_minute'):.0f}",
            f"{cpu.median(mode, 'read_units_per_minute'):.0f}",
            f"{cpu.median(mode, 'startup_cpu_s') * 1000:.0f} + "
            f"{cpu.median(mode, 'import_cpu_s') * 1000:.0f} + "
            f"{cpu.median(mode, 'open_cpu_s') * 1000:.0f} ms",
        ]
        for mode in ("idle", "busy")
    ]
    sizes = [
        [
            f"**{s.memory_mb} MB**" if s.memory_mb == result.chosen_mb else f"{s.memory_mb} MB",
            f"{s.share:.3f}",
            f"{s.cold_first_byte_s:.2f} s"
            if lab is None
            else cold_lab_report.first_bytes(lab, s.memory_mb),
            f"{s.idle_utilisation:.0%} / {s.busy_utilisation:.0%}",
            f"{_money(s.idle_hour.total)} / {_money(s.busy_hour.total)}",
        ]
        for s in result.sizes
    ]
    chosen = result.chosen
    polling = result.polling
    split = [
        [
            "Lambda duration (GB-s, arm64)",
            _money(chosen.idle_hour.compute),
            _money(chosen.busy_hour.compute),
            _money(polling.compute),
        ],
        [
            "Lambda requests",
            _money(chosen.idle_hour.requests),
            _money(chosen.busy_hour.requests),
            _money(polling.requests),
        ],
        [
            "DynamoDB reads",
            _money(chosen.idle_hour.reads),
            _money(chosen.busy_hour.reads),
            _money(polling.reads),
        ],
        [
            "**total**",
            f"**{_money(chosen.idle_hour.total)}**",
            f"**{_money(chosen.busy_hour.total)}**",
            f"**{_money(polling.total)}**",
        ],
    ]
    return [
        "## Stream function: CPU time, memory and the cost of a viewer-hour",
        "",
        "The real stream handler started cold in a process of its own (dev/jobstream_bench/",
        "stream_cpu.py) against a DynamoDB server in another (moto on loopback), its process CPU",
        f"time read while one viewer watches for {cpu.window_s:g} s; {runs} runs a case, medians.",
        "Idle: a running job that emits nothing. Busy: a job emitting "
        f"{cpu.busy_rate:g} events/s (a batch per 50 ms flush, as the committer writes).",
        "",
        *_table(
            [
                "viewer",
                "CPU per viewer-minute",
                "Queries/min",
                "read units/min",
                "cold: start + import + open to first byte (CPU)",
            ],
            figures,
        ),
        f"Scaling to Lambda: CPU share = memory / {ONE_VCPU_MB:,} MB (one vCPU at "
        f"{ONE_VCPU_MB:,} MB, AWS Lambda",
        'Developer Guide, "Configuring Lambda function memory"); the stream path is one thread.',
        *(
            [
                "Cold first byte = cold CPU time / share (one of Lambda's cores assumed as fast as",
                "one of this machine's; network round trips not included). Utilisation = CPU per",
            ]
            if lab is None
            else [
                "Cold first byte: measured by the cold-start lab above, with bytecode, init",
                "throttled / at full CPU (the sizes it ran). Utilisation = CPU per",
            ]
        ),
        "viewer-minute / 60 s / share: how much of its share a watching viewer keeps busy.",
        f"Viewer-hour: 3,600 s x memory (arm64) + {connections_per_hour(result.stream_max_seconds)}"
        f" requests (a connection lasts STREAM_MAX_SECONDS = {result.stream_max_seconds:g} s)",
        "+ the reads measured per minute x 60.",
        "",
        *_table(
            [
                "memory",
                "vCPU share",
                "cold first byte (estimate)" if lab is None else "cold first byte (lab)",
                "CPU use idle / busy",
                "viewer-hour idle / busy",
            ],
            sizes,
        ),
        f"One viewer-hour at the chosen {result.chosen_mb} MB (template.yaml StreamMemorySize),",
        "beside a client polling GET /jobs/{id} once a second for the hour (3,600 API requests",
        f"at {polling.api_memory_mb} MB, each billed the measured {polling.billed_ms:.0f} ms of a",
        "warm request rounded up to the ms, and one strongly consistent GetItem, 1 read unit):",
        "",
        *_table(["", "stream, idle", f"stream, busy ({cpu.busy_rate:g}/s)", "1 s polling"], split),
        *[f"{line}" for line in result.prices.describe()[:3]],
        "",
    ]


def now() -> datetime:
    return datetime.now(UTC)

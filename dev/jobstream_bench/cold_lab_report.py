"""The cold-start lab's part of docs/benchmarks.md, its targets, its plot (docs/cold-start.svg)."""

from __future__ import annotations

from collections.abc import Sequence

from jobstream_bench.cold_lab import (
    BYTECODE,
    INIT_MODELS,
    MEMORY_SIZES,
    Case,
    ColdLabResult,
)
from jobstream_bench.stats import Summary
from jobstream_bench.svg_plot import Series, line_chart
from jobstream_bench.targets import Verdict
from jobstream_sandbox.cpu_share import FULL_VCPU_MB, share_of

STREAM_MB = 256
API_MB = 512
MAX_FIRST_BYTE_FULL_INIT_S = 1.0
MAX_FIRST_BYTE_THROTTLED_S = 2.5
MAX_CREATE_THROTTLED_S = 2.5
PLOT = "cold-start.svg"
INIT_WORDS = {"throttled": "init throttled", "full": "init at full CPU"}
BYTECODE_WORDS = {"bytecode": "with bytecode", "none": "no bytecode"}


def _s(summary: Summary) -> str:
    return f"{summary.median:.2f} s (max {summary.high:.2f})"


def verdicts(lab: ColdLabResult) -> list[Verdict]:
    if lab.skipped is not None or not lab.cases:
        return []
    compiled = ", ".join(
        f"{function} {count}"
        for (function, kind), count in lab.compiled.items()
        if kind == "bytecode"
    )
    stream_full = lab.answer(Case("stream", STREAM_MB, "full", "bytecode"))
    stream_throttled = lab.answer(Case("stream", STREAM_MB, "throttled", "bytecode"))
    create = lab.answer(Case("api", API_MB, "throttled", "bytecode"))
    return [
        Verdict(
            "sources compiled during a cold import of each built handler: 0",
            compiled or "not counted",
            bool(compiled)
            and all(count == 0 for (_, kind), count in lab.compiled.items() if kind == "bytecode"),
        ),
        Verdict(
            f"cold stream first byte at {STREAM_MB} MB, init at full CPU: "
            f"<= {MAX_FIRST_BYTE_FULL_INIT_S:g} s",
            f"{_s(stream_full)}, median of {stream_full.count} (lab)",
            stream_full.median <= MAX_FIRST_BYTE_FULL_INIT_S,
        ),
        Verdict(
            f"cold stream first byte at {STREAM_MB} MB, init throttled: "
            f"<= {MAX_FIRST_BYTE_THROTTLED_S:g} s",
            f"{_s(stream_throttled)}, median of {stream_throttled.count} (lab)",
            stream_throttled.median <= MAX_FIRST_BYTE_THROTTLED_S,
        ),
        Verdict(
            f"cold `POST /jobs` answer at {API_MB} MB, init throttled: "
            f"<= {MAX_CREATE_THROTTLED_S:g} s",
            f"{_s(create)}, median of {create.count} (lab)",
            create.median <= MAX_CREATE_THROTTLED_S,
        ),
    ]


def first_bytes(lab: ColdLabResult, memory_mb: int) -> str:
    """The stream's measured cold first byte at ``memory_mb`` (with bytecode), both init models."""
    if memory_mb not in MEMORY_SIZES:
        return "not measured"
    throttled = lab.answer(Case("stream", memory_mb, "throttled", "bytecode")).median
    full = lab.answer(Case("stream", memory_mb, "full", "bytecode")).median
    return f"{throttled:.2f} s / {full:.2f} s"


def plot(lab: ColdLabResult) -> str:
    series = []
    for function, what in (("stream", "stream first byte"), ("api", "POST /jobs")):
        for init in INIT_MODELS:
            for bytecode in BYTECODE:
                series.append(
                    Series(
                        f"{what}, {init}, {BYTECODE_WORDS[bytecode]}",
                        [
                            (mb, lab.answer(Case(function, mb, init, bytecode)).median)
                            for mb in MEMORY_SIZES
                        ],
                        dashed=bytecode == "none",
                    )
                )
    return line_chart(
        f"Cold start to answer (medians of {lab.runs}), {lab.python}, CPU share by cgroup",
        series,
        x_label="memory (MB); CPU share = memory / 1,769 MB",
        y_label="seconds from process start",
        x_ticks=MEMORY_SIZES,
    )


def section(lab: ColdLabResult) -> list[str]:
    out = ["## Cold-start lab: the built functions started cold as Lambda starts them", ""]
    if lab.skipped is not None:
        return [*out, f"Skipped: {lab.skipped}.", ""]
    out += [
        "The `sam build` output (as built, with hash-based bytecode, and the same build with",
        "every `__pycache__` removed: what the build shipped before it compiled any) copied with",
        "the zip's 1980 timestamps and mounted read-only at `/var/task` and `/opt` in a mount",
        "namespace of its own; the layer's exec wrapper starting jobstream's runtime loop in a",
        f"fresh {lab.python} with nothing installed, in a CPU cgroup whose quota is the memory's",
        f"share of one core (memory / {FULL_VCPU_MB:,} MB); the recording Runtime API and the",
        "embedded DynamoDB (moto) on loopback (dev/jobstream_bench/cold_lab.py,",
        "dev/jobstream_sandbox). Times are from the process's start to: the stream's first body",
        "byte (a finished job with 5 events; the first event arrives with it) and the whole",
        "answer to `POST /jobs` (201; the worker's start answered by a loopback double). *init",
        "throttled*: the quota from the start (CPU as Lambda documents it per memory size);",
        "*init at full CPU*: no quota until the runtime first asks for an invocation (as is",
        "widely reported for Lambda's init, not documented). Medians with the maximum, of",
        f"{lab.runs} cold starts each, all cases alternating round by round. What it cannot show:",
        "Lambda's own sandbox start (Firecracker, code download and unzip before the process),",
        "its network to DynamoDB (loopback here), and how fast its cores are against these.",
        "",
        f"![cold start against memory]({PLOT})",
        "",
    ]
    rows = []
    for function, what in (("stream", "stream first byte"), ("api", "`POST /jobs` answer")):
        for init in INIT_MODELS:
            for bytecode in BYTECODE:
                cells = [f"{what}, {INIT_WORDS[init]}, {BYTECODE_WORDS[bytecode]}"]
                for mb in MEMORY_SIZES:
                    case = Case(function, mb, init, bytecode)
                    cells.append(f"{_s(lab.answer(case))}; init {lab.init(case).median:.2f}")
                rows.append(cells)
    out += _table(["", *(f"{mb} MB" for mb in MEMORY_SIZES)], rows)
    out += [
        "Sources compiled during a cold import (runtime loop and handler) from the same copies,",
        "counted by wrapping `SourceLoader.source_to_code` (tests/integration/test_bytecode.py",
        "asserts the zero):",
        "",
        *_table(
            ["function", "with bytecode", "no bytecode"],
            [
                [
                    function,
                    str(lab.compiled.get((function, "bytecode"), "-")),
                    str(lab.compiled.get((function, "none"), "-")),
                ]
                for function in ("stream", "api", "worker")
            ],
        ),
    ]
    out += _breakdown(lab)
    return out


def _breakdown(lab: ColdLabResult) -> list[str]:
    """Where the stream's cold first byte goes, and what a 1 s first byte at 256 MB would take."""
    share = share_of(STREAM_MB)
    full = Case("stream", STREAM_MB, "full", "bytecode")
    throttled = Case("stream", STREAM_MB, "throttled", "bytecode")
    none = Case("stream", STREAM_MB, "throttled", "none")
    init_cpu = lab.init(full).median  # unthrottled: wall time ~ CPU time on an idle core
    invoke_wall = lab.answer(full).median - init_cpu
    invoke_cpu = invoke_wall * share
    total_cpu = init_cpu + invoke_cpu
    compile_cost = lab.init(none).median - lab.init(throttled).median
    return [
        "### Where a cold stream's first byte goes (256 MB, with bytecode)",
        "",
        *_table(
            ["part", "seconds", "how measured"],
            [
                [
                    "init at full CPU: interpreter, runtime loop, handler imports",
                    f"{init_cpu:.2f}",
                    "start to first `/next`, no quota",
                ],
                [
                    "init throttled",
                    f"{lab.init(throttled).median:.2f}",
                    f"the same at {share:.3f} of a core",
                ],
                [
                    "invoke: settings, token check, boto3 client, job read, first frame",
                    f"{invoke_wall:.2f} ({invoke_cpu:.2f} s of CPU)",
                    "first `/next` to first body byte, throttled; CPU = wall x share",
                ],
                [
                    "compiling sources, when the build had no bytecode",
                    f"{compile_cost:.2f}",
                    "init throttled without bytecode minus with",
                ],
            ],
        ),
        f"In all about {total_cpu:.2f} s of CPU from process start to the first byte. At "
        f"{STREAM_MB} MB ({share:.3f} of a core) a first byte within 1.0 s with init throttled "
        f"needs at most {share:.2f} s of CPU in all: {total_cpu / share:.1f}x less work than "
        "now. Init is most of it, and the imports most of init (the cold import section above "
        "splits them by package: boto3 and botocore alone are about the whole budget). It "
        "would take a stream read path without boto3 (a signed DynamoDB GetItem and Query over "
        "`http.client`, a few hundred lines of signing and parsing to own) and without "
        "Powertools at import; or SnapStart (template parameter `SnapStart`, python3.12 and "
        "later), which restores the initialised process instead of running init at all.",
        "",
    ]


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]

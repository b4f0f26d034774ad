"""The cold-start lab: the built functions started cold as Lambda starts them, timed to the answer.

Measured, not divided: the `sam build` output (bytecode as built, and the same build with every
``__pycache__`` removed, as the build was before it compiled any) is copied with the zip's 1980
timestamps and mounted read-only at ``/var/task`` and ``/opt`` in a mount namespace; the layer's
exec wrapper starts jobstream's runtime loop in a fresh interpreter with nothing installed, in a
CPU cgroup at the memory's share of a core (jobstream_sandbox), against the recording Runtime API
and the embedded DynamoDB. Timed from the process's start (monotonic clock, this process):

- stream: the first body byte (the chunk after the prelude and its delimiter) of a stream of a
  job that has events, and the first event;
- api: the whole buffered answer to ``POST /jobs`` (the worker's start answered by a double);
- init: when the runtime first asks for an invocation (imports and the handler's module done).

Two models of init, both reported: *throttled* (the quota from the start, as Lambda documents
CPU for a memory size) and *full CPU* (no quota until the runtime asks for its first
invocation, as is widely reported for Lambda's init phase, not documented).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobstream.settings import Settings
from jobstream_bench.stats import Summary
from jobstream_local.embedded_dynamodb import EmbeddedDynamoDB
from jobstream_local.invoke import fill_placeholders, seed_job
from jobstream_sandbox.compile_count import count_compiled
from jobstream_sandbox.cpu_share import CpuGroup, CpuShareUnavailable, share_of
from jobstream_sandbox.lambda_invoke_double import LambdaInvokeDouble
from jobstream_sandbox.lambda_process import sandbox_unavailable, start_function
from jobstream_sandbox.layout import copy_as_unzipped
from jobstream_sandbox.recording_runtime_api import RecordingRuntimeAPI, WireRequest
from jobstream_sandbox.sam_build import (
    SamBuildFailed,
    local_runtime,
    runtime_interpreter,
    sam_build,
)

MEMORY_SIZES = (128, 256, 512, 1024)
INIT_MODELS = ("throttled", "full")
BYTECODE = ("bytecode", "none")
FUNCTIONS = {"stream": "StreamFunction", "api": "ApiFunction"}
REGION = "us-east-1"
# Not a secret: it signs tokens for jobs in a throwaway embedded table.
TOKEN_KEY = "cold-start-lab-key-0123456789abcdef0123"  # noqa: S105
# A job with events, finished: the stream replays them (one read) and ends.
JOB_PARAMS = {"n": 5, "interval_ms": 0}
ANSWER_TIMEOUT_S = 180.0


@dataclass(frozen=True, slots=True)
class ColdStart:
    """One cold start, seconds from the process's start."""

    init_s: float
    answer_s: float
    first_event_s: float | None = None


@dataclass(frozen=True, slots=True)
class Case:
    function: str
    memory_mb: int
    init: str
    bytecode: str


@dataclass
class ColdLabResult:
    runs: int
    cases: dict[Case, list[ColdStart]] = field(default_factory=dict)
    skipped: str | None = None
    python: str = ""
    # Sources compiled by a cold import, by (function, "bytecode" or "none").
    compiled: dict[tuple[str, str], int] = field(default_factory=dict)

    def answer(self, case: Case) -> Summary:
        return Summary.of([start.answer_s for start in self.cases[case]])

    def init(self, case: Case) -> Summary:
        return Summary.of([start.init_s for start in self.cases[case]])


def _event(repo: Path, name: str, **values: str) -> Any:
    return fill_placeholders(json.loads((repo / "events" / name).read_text()), values)


@contextmanager
def _fake_credentials() -> Iterator[None]:
    """This process seeds the job through the embedded DynamoDB: fakes, never a real profile."""
    names = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.pop("AWS_PROFILE", None)
    for name in names[:3]:
        os.environ[name] = "testing"
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _bare_interpreter(where: Path) -> Path:
    """A venv of this machine's Python with nothing installed: only the layer provides imports."""
    subprocess.run(  # noqa: S603 - this machine's Python, fixed arguments
        [Path(sys.base_prefix) / "bin" / "python3", "-m", "venv", "--without-pip", str(where)],
        check=True,
        timeout=120,
    )
    return where / "bin" / local_runtime()


def _layouts(build: Path, root: Path) -> dict[str, Path]:
    """The build output as unzipped, with its bytecode and without any."""
    with_bytecode = copy_as_unzipped(build, root / "bytecode")
    without = copy_as_unzipped(build, root / "none")
    for cache in sorted(without.rglob("__pycache__"), reverse=True):
        shutil.rmtree(cache)
    return {"bytecode": with_bytecode, "none": without}


class _Lab:
    def __init__(self, repo: Path, work: Path, dynamodb: EmbeddedDynamoDB, table: str) -> None:
        self.repo = repo
        self.work = work
        self.interpreter = _bare_interpreter(work / "var-lang")
        self.dynamodb = dynamodb
        self.table = table
        self.settings = Settings(
            api_auth="none",
            table=table,
            region=REGION,
            dynamodb_endpoint_url=dynamodb.endpoint_url,
            token_key=TOKEN_KEY,
        )

    def environment(self, function: str, memory_mb: int, lambda_endpoint: str) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "_HANDLER": "app.handler",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{local_runtime()}",
            "AWS_LAMBDA_FUNCTION_NAME": f"lab-{function}",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/lab-{function}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "2026/12/03/[$LATEST]0123456789abcdef",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            # Never real AWS: every endpoint but DynamoDB's and Lambda's is a closed port.
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            "AWS_ENDPOINT_URL_LAMBDA": lambda_endpoint,
            "JOBSTREAM_TABLE": self.table,
            "JOBSTREAM_REGION": REGION,
            "JOBSTREAM_DYNAMODB_ENDPOINT_URL": self.dynamodb.endpoint_url,
            "JOBSTREAM_TOKEN_KEY": TOKEN_KEY,
            "JOBSTREAM_API_AUTH": "none",
            "JOBSTREAM_WORKER_FUNCTION": "lab-worker",
            "JOBSTREAM_JOB_REGISTRY": "jobstream.examples.demo:registry",
            "JOBSTREAM_STREAM_BASE_URL": "https://stream.lambda-url.us-east-1.on.aws/",
            "JOBSTREAM_STAGE": "lab",
            "POWERTOOLS_SERVICE_NAME": "jobstream",
            "POWERTOOLS_METRICS_NAMESPACE": "jobstream",
            "POWERTOOLS_LOGGER_LOG_EVENT": "false",
        }

    def finished_job(self) -> tuple[str, str]:
        """A job run to its end (events stored), and its token."""
        from jobstream.composition import job_service
        from jobstream_sandbox.invokers import RecordingInvoker

        seeded = seed_job(self.settings, type="demo.count", params=dict(JOB_PARAMS))
        job_service(self.settings, invoker=RecordingInvoker()).run_hop(
            seeded.job_id, hop=0, remaining_s=lambda: 900.0
        )
        return seeded.job_id, seeded.token

    def cold_start(self, case: Case, layout: Path, event: Any, lambda_endpoint: str) -> ColdStart:
        group = CpuGroup.create()
        api = RecordingRuntimeAPI().start()
        share = share_of(case.memory_mb)
        process = None
        try:
            group.limit(share if case.init == "throttled" else None)
            if case.init == "throttled":
                # Lambda's first invocation is waiting when the runtime first asks.
                request_id = api.invoke(event)
            started = time.monotonic()
            process = start_function(
                function_dir=layout / FUNCTIONS[case.function],
                layer_dir=layout / "SharedLayer",
                interpreter=self.interpreter,
                group=group,
                env={
                    **self.environment(case.function, case.memory_mb, lambda_endpoint),
                    "AWS_LAMBDA_RUNTIME_API": api.address,
                },
                log=self.work / f"{case.function}.log",
            )
            first_next = api.wait_for(
                lambda r: r.kind == "next", timeout=ANSWER_TIMEOUT_S, what="the first /next"
            )
            if case.init == "full":
                group.limit(share)
                request_id = api.invoke(event)
            answer = api.wait_for_answer(request_id, timeout=ANSWER_TIMEOUT_S)
            return _timed(case, answer, started, first_next.received_at)
        finally:
            api.close()
            if process is not None:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            group.remove()


def _timed(case: Case, answer: WireRequest, started: float, init_done: float) -> ColdStart:
    if answer.kind != "response":
        raise RuntimeError(f"{case}: the function failed: {answer.body[:500]!r}")
    if case.function == "api":
        status = answer.json()["statusCode"]
        if status != 201:
            raise RuntimeError(f"{case}: POST /jobs answered {status}: {answer.body[:500]!r}")
        return ColdStart(init_done - started, answer.completed_at - started)
    # Chunk 0 is the prelude, chunk 1 its delimiter: the body starts at chunk 2.
    body = answer.chunks[2:]
    if not body:
        raise RuntimeError(f"{case}: the stream sent no body")
    first_event = next((chunk for chunk in body if b"\nid:" in b"\n" + chunk.data), None)
    return ColdStart(
        init_done - started,
        body[0].arrived - started,
        None if first_event is None else first_event.arrived - started,
    )


def _compile_counts(layouts: dict[str, Path]) -> dict[tuple[str, str], int]:
    counts = {}
    for kind, layout in layouts.items():
        for function in ("stream", "api", "worker"):
            task = layout / f"{function.capitalize()}Function"
            counted = count_compiled(
                runtime_interpreter(),
                path=[task, layout / "SharedLayer" / "python"],
                modules=["jobstream.lambda_runtime.loop", "app"],
                cwd=task,
                env={"PATH": os.environ.get("PATH", ""), "AWS_DEFAULT_REGION": REGION},
            )
            counts[(function, kind)] = len(counted.compiled)
    return counts


def run(repo: Path, *, sam: str | None, runs: int = 3) -> ColdLabResult:
    result = ColdLabResult(runs=runs, python=local_runtime())
    reason = sandbox_unavailable()
    if reason is None and sam is None:
        reason = "no SAM CLI (make bench installs it in .venv-sam and passes SAM_CLI)"
    if reason is None:
        try:
            CpuGroup.create().remove()
        except CpuShareUnavailable as unavailable:
            reason = str(unavailable)
    if reason is not None or sam is None:
        result.skipped = reason
        return result
    with tempfile.TemporaryDirectory(prefix="jobstream-lab-") as scratch:
        work = Path(scratch)
        try:
            build = sam_build(sam, repo / "template.yaml", work)
        except SamBuildFailed as failed:
            result.skipped = str(failed)
            return result
        layouts = _layouts(build, work / "unzipped")
        result.compiled = _compile_counts(layouts)
        table = f"lab-{uuid.uuid4().hex[:8]}"
        with (
            _fake_credentials(),
            EmbeddedDynamoDB(table=table, region=REGION) as dynamodb,
            LambdaInvokeDouble() as lambda_double,
        ):
            lab = _Lab(repo, work, dynamodb, table)
            job_id, token = lab.finished_job()
            events = {
                "stream": _event(repo, "stream_from_start.json", job_id=job_id, token=token),
                "api": _event(repo, "api_create_job.json"),
            }
            cases = [
                Case(function, memory, init, bytecode)
                for function in FUNCTIONS
                for memory in MEMORY_SIZES
                for init in INIT_MODELS
                for bytecode in BYTECODE
            ]
            # Round by round, every case once per round: a machine that slows down mid-run slows
            # every case alike.
            for _ in range(runs):
                for case in cases:
                    start = lab.cold_start(
                        case,
                        layouts[case.bytecode],
                        events[case.function],
                        lambda_double.endpoint_url,
                    )
                    result.cases.setdefault(case, []).append(start)
    return result

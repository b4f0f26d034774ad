"""The stream function's CPU time: on a cold start (import, open up to the first byte) and per
viewer-minute while a viewer watches, idle and busy.

Each run starts the real stream handler (functions/stream/app.py) in a process of its own
(stream_child: a cold start), against a DynamoDB server in this process (moto on loopback), and
reads that process's CPU time (``time.process_time``): the server's work is not in it, so the
figures are the function's own. Idle: a running job that emits nothing (the stream polls and sends
heartbeats). Busy: a job emitting ``BUSY_RATE`` events/s, appended as the step committer appends
them (a batch per flush interval). The viewing window is wall-clock time on this machine; CPU time
per viewer-minute is the window's CPU time scaled to 60 s.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import boto3

from jobstream.auth.tokens import TokenSigner
from jobstream.settings import Settings
from jobstream.store import JobStore, NewEvent
from jobstream_bench.api_poll import status_request_ms
from jobstream_bench.jobs import TICK_EVENT, TICKS
from jobstream_local.embedded_dynamodb import EmbeddedDynamoDB
from jobstream_local.invoke import fill_placeholders

BUSY_RATE: Final = 100.0
# A batch per flush interval, as the step committer writes a job emitting this fast.
BUSY_BATCH_S: Final = 0.05
_KEY: Final = "bench-stream-signing-key-not-a-secret-0123456789"
_REGION: Final = "us-east-1"
MODES: Final = ("idle", "busy")


@dataclass(frozen=True, slots=True)
class StreamRun:
    mode: str
    startup_cpu_s: float
    import_cpu_s: float
    open_cpu_s: float
    first_byte_s: float
    watched_s: float
    watch_cpu_s: float
    events: int
    queries: int
    read_units: float

    @property
    def cpu_s_per_minute(self) -> float:
        return self.watch_cpu_s / self.watched_s * 60

    @property
    def queries_per_minute(self) -> float:
        return self.queries / self.watched_s * 60

    @property
    def read_units_per_minute(self) -> float:
        return self.read_units / self.watched_s * 60

    @property
    def cold_cpu_s(self) -> float:
        """Interpreter start, handler import and open up to the first byte."""
        return self.startup_cpu_s + self.import_cpu_s + self.open_cpu_s


@dataclass(frozen=True, slots=True)
class StreamCpuResult:
    runs: list[StreamRun]
    window_s: float
    busy_rate: float
    # A warm GET /jobs/{id} through the API handler, on the same server (median ms).
    api_status_ms: float

    def of(self, mode: str) -> list[StreamRun]:
        return [r for r in self.runs if r.mode == mode]

    def median(self, mode: str, figure: str) -> float:
        return statistics.median(float(getattr(r, figure)) for r in self.of(mode))

    def cold_cpu_s(self) -> float:
        """Median over every run (idle and busy runs start the same way)."""
        return statistics.median(r.cold_cpu_s for r in self.runs)


def _function_env(endpoint: str, table: str) -> dict[str, str]:
    return {
        # What template.yaml gives the stream function (the key inline, not from Secrets Manager).
        "JOBSTREAM_TABLE": table,
        "JOBSTREAM_REGION": _REGION,
        "JOBSTREAM_DYNAMODB_ENDPOINT_URL": endpoint,
        "JOBSTREAM_TOKEN_KEY": _KEY,
        "JOBSTREAM_API_AUTH": "none",
        "POWERTOOLS_SERVICE_NAME": "jobstream",
        "POWERTOOLS_METRICS_NAMESPACE": "jobstream-bench",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": _REGION,
    }


def _child_env(endpoint: str, table: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("JOBSTREAM_", "PYTHON"))}
    return {**keep, **_function_env(endpoint, table)}


def _emit(store: JobStore, job_id: str, stop: threading.Event) -> None:
    """``BUSY_RATE`` events/s on ``job_id`` until ``stop``, a batch per ``BUSY_BATCH_S``."""
    lease, job = store.acquire_lease(job_id, duration_s=3_600)
    written = job.last_event_id
    per_batch = max(1, round(BUSY_RATE * BUSY_BATCH_S))
    while not stop.wait(BUSY_BATCH_S):
        batch = [
            NewEvent(TICK_EVENT, {"seq": seq, "t": 1_700_000_000.5})
            for seq in range(written + 1, written + per_batch + 1)
        ]
        store.append(lease, batch, after_id=written)
        written += per_batch


def _one_run(
    mode: str, *, store: JobStore, settings: Settings, functions_dir: Path, seconds: float
) -> StreamRun:
    job_id = f"bench-cpu-{uuid.uuid4().hex[:12]}"
    store.create_job(job_id=job_id, type=TICKS, params={"n": 1})
    stop = threading.Event()
    emitter: threading.Thread | None = None
    if mode == "busy":
        emitter = threading.Thread(target=_emit, args=(store, job_id, stop), daemon=True)
        emitter.start()
    else:
        store.acquire_lease(job_id, duration_s=3_600)  # running, emitting nothing
    template = json.loads((functions_dir.parent / "events" / "stream_from_start.json").read_text())
    token = TokenSigner(_KEY.encode()).issue(job_id, ttl_seconds=3_600)
    event = fill_placeholders(template, {"job_id": job_id, "token": token})
    try:
        with tempfile.TemporaryDirectory(prefix="jobstream-bench-") as work:
            spec = Path(work) / "spec.json"
            result = Path(work) / "result.json"
            spec.write_text(json.dumps({"event": event, "seconds": seconds, "result": str(result)}))
            subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
                [sys.executable, "-m", "jobstream_bench.stream_child", str(spec)],
                cwd=functions_dir / "stream",
                env=_child_env(settings.dynamodb_endpoint_url or "", settings.table),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                check=True,
                timeout=seconds + 120,
            )
            figures = json.loads(result.read_text())
    finally:
        stop.set()
        if emitter is not None:
            emitter.join(timeout=10)
    if figures.pop("status") != 200:
        raise AssertionError(f"the stream answered {figures} for a running job")
    return StreamRun(mode=mode, **figures)


def run(functions_dir: Path, *, runs: int = 3, seconds: float = 30.0) -> StreamCpuResult:
    table = f"jobstream-bench-{uuid.uuid4().hex[:8]}"
    measured: list[StreamRun] = []
    with EmbeddedDynamoDB(table=table, region=_REGION) as dynamodb:
        settings = Settings(
            api_auth="none",
            table=table,
            region=_REGION,
            dynamodb_endpoint_url=dynamodb.endpoint_url,
        )
        client = boto3.client(
            "dynamodb",
            region_name=_REGION,
            endpoint_url=dynamodb.endpoint_url,
            aws_access_key_id="bench",
            aws_secret_access_key="bench",  # noqa: S106 - moto ignores it
        )
        store = JobStore(settings, client=client)
        # Warm the bytecode caches of the handler's imports, as a deployment package has them.
        _one_run("idle", store=store, settings=settings, functions_dir=functions_dir, seconds=1)
        for _ in range(runs):
            for mode in MODES:
                measured.append(
                    _one_run(
                        mode,
                        store=store,
                        settings=settings,
                        functions_dir=functions_dir,
                        seconds=seconds,
                    )
                )
        polled = f"bench-poll-{uuid.uuid4().hex[:12]}"
        store.create_job(job_id=polled, type=TICKS, params={"n": 1})
        api_ms = status_request_ms(
            functions_dir,
            job_id=polled,
            key=_KEY,
            environment={
                **_function_env(dynamodb.endpoint_url, table),
                # The API starts (and restarts) jobs; this one is never started.
                "JOBSTREAM_WORKER_FUNCTION": "bench-worker",
                "JOBSTREAM_JOB_REGISTRY": "jobstream_bench.jobs:registry",
            },
        )
    return StreamCpuResult(measured, window_s=seconds, busy_rate=BUSY_RATE, api_status_ms=api_ms)

"""Start jobstream's runtime the way Lambda starts it, against the recording Runtime API.

Lambda's managed Python runtime, with ``AWS_LAMBDA_EXEC_WRAPPER`` set, runs the wrapper with its
own command line as arguments (``/var/lang/bin/python3.x /var/runtime/bootstrap.py``); the
environment carries ``AWS_LAMBDA_RUNTIME_API``, ``_HANDLER``, ``LAMBDA_TASK_ROOT`` and the
function's metadata. The tests do exactly that, with this interpreter and ``task_root/``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from jobstream_sandbox.recording_runtime_api import RecordingRuntimeAPI, WireRequest

from ...conftest import REPO_ROOT

TASK_ROOT = Path(__file__).parent / "task_root"
EXEC_WRAPPER = REPO_ROOT / "shared" / "jobstream" / "lambda_runtime" / "exec-wrapper"
# What the managed runtime passes to the wrapper, with this interpreter standing in for its own.
LAMBDA_COMMAND = [str(EXEC_WRAPPER), sys.executable, "/var/runtime/bootstrap.py"]


@dataclass
class RuntimeProcess:
    api: RecordingRuntimeAPI
    process: subprocess.Popen[bytes]
    gate: Path
    output: Path

    def release_gate(self, text: str) -> float:
        """Unblock a handler waiting on the gate FIFO; returns when (monotonic) it was opened.

        Opening a FIFO for writing blocks until the handler opens it for reading, so the handler
        cannot have produced its next write before this moment.
        """
        opened_at = time.monotonic()
        with self.gate.open("w", encoding="utf-8") as gate:
            gate.write(text)
        return opened_at

    def logs(self) -> str:
        return self.output.read_text(errors="replace")


StartRuntime = Callable[..., RuntimeProcess]


@pytest.fixture
def start_runtime(tmp_path: Path) -> Iterator[StartRuntime]:
    started: list[RuntimeProcess] = []

    def start(
        handler: str = "fixture_app.handler",
        *,
        command: list[str] | None = None,
        extra_env: dict[str, str] | None = None,
        post_status: int | Callable[[WireRequest], int] = 202,
    ) -> RuntimeProcess:
        api = RecordingRuntimeAPI(post_status=post_status).start()
        gate = tmp_path / f"gate-{len(started)}"
        os.mkfifo(gate)
        output = tmp_path / f"runtime-{len(started)}.log"
        env = {
            "PATH": os.environ["PATH"],
            "AWS_LAMBDA_RUNTIME_API": api.address,
            "_HANDLER": handler,
            "LAMBDA_TASK_ROOT": str(TASK_ROOT),
            "AWS_LAMBDA_FUNCTION_NAME": "recorded-fn",
            "AWS_LAMBDA_FUNCTION_VERSION": "7",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/recorded-fn",
            "AWS_LAMBDA_LOG_STREAM_NAME": "2026/11/21/[7]abc",
            "JOBSTREAM_LAYER_ROOT": str(tmp_path / "no-layer"),
            "GATE_FIFO": str(gate),
            **(extra_env or {}),
        }
        with output.open("wb") as sink:
            process = subprocess.Popen(
                command or LAMBDA_COMMAND,
                env=env,
                cwd=TASK_ROOT,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        runtime = RuntimeProcess(api, process, gate, output)
        started.append(runtime)
        return runtime

    yield start

    for runtime in started:
        runtime.api.close()
        try:
            runtime.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            runtime.process.kill()
            runtime.process.wait()

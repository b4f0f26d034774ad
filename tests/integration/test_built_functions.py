"""The `sam build` output, run the way Lambda runs it: one real request per function.

Each function's build folder plays ``/var/task`` and the built layer's ``python`` folder plays
``/opt/python``. The managed runtime's command (``<python> /var/runtime/bootstrap.py``) is handed to
the layer's exec wrapper, as Lambda does when ``AWS_LAMBDA_EXEC_WRAPPER`` is set, and the wrapper
starts jobstream's runtime loop against a Runtime API server (the recording server of
dev/jobstream_sandbox/recording_runtime_api.py, which keeps every request as framed on
the wire) and a moto DynamoDB server whose table comes from template.yaml.

What differs from Lambda, and why:
- Paths: the layer is not at /opt/python (tests cannot write /opt). The wrapper finds it from its
  own location, as it does on Lambda; ``JOBSTREAM_LAYER_ROOT`` tells the loop where /opt/python
  is (on Lambda it is unset and the default /opt/python applies).
- The interpreter: a venv of this machine's Python (same minor version as the build) with nothing
  installed, standing in for /var/lang; the build is for this machine's architecture too.
- The token key is given inline (``JOBSTREAM_TOKEN_KEY``) instead of read from Secrets Manager,
  DynamoDB is moto on loopback, every other AWS endpoint is a closed loopback port
  (``AWS_ENDPOINT_URL``).
- The Runtime API is the recording server, not Lambda's, and Lambda's own front end (Function URL)
  is not in the path: the test reads what the function POSTs to the Runtime API.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jobstream.examples.demo import registry
from jobstream.lambda_runtime.prelude import PRELUDE_DELIMITER
from jobstream.settings import Settings
from jobstream.store import JobStatus, JobStore
from jobstream_client.sse import SSEParser
from jobstream_local.embedded_dynamodb import EmbeddedDynamoDB
from jobstream_local.invoke import fill_placeholders, seed_job
from jobstream_sandbox.recording_runtime_api import RecordingRuntimeAPI, WireRequest

from ..conftest import REPO_ROOT

EVENTS = REPO_ROOT / "events"
TOKEN_KEY = "built-functions-test-key-0123456789abcdef"
REGION = "us-east-1"
ACCOUNT = "123456789012"
# Small and instant: the worker runs the whole job in one hop.
JOB_PARAMS = {"n": 5, "interval_ms": 0}


@dataclass(frozen=True)
class Stack:
    """What the functions share: the table, the layer, an interpreter."""

    build: Path
    table: str
    dynamodb_endpoint: str
    interpreter: Path

    @property
    def layer_python(self) -> Path:
        return self.build / "SharedLayer" / "python"

    @property
    def exec_wrapper(self) -> Path:
        return self.layer_python / "jobstream" / "lambda_runtime" / "exec-wrapper"

    def settings(self) -> Settings:
        return Settings(
            table=self.table,
            region=REGION,
            dynamodb_endpoint_url=self.dynamodb_endpoint,
            token_key=TOKEN_KEY,
        )


@pytest.fixture(scope="module")
def stack(sam_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    lang = tmp_path_factory.mktemp("var-lang")
    # A bare interpreter: no pip, no site-packages of ours, so only the layer can provide imports.
    subprocess.run(
        [Path(sys.base_prefix) / "bin" / "python3", "-m", "venv", "--without-pip", str(lang)],
        check=True,
        timeout=60,
    )
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    table = f"built-{uuid.uuid4().hex[:8]}"
    with (
        # Module scope, so tests/conftest.py's per-test fake credentials are not set yet.
        pytest.MonkeyPatch.context() as env,
        EmbeddedDynamoDB(table=table, region=REGION) as dynamodb,
    ):
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            env.setenv(name, "testing")
        env.delenv("AWS_PROFILE", raising=False)
        yield Stack(
            build=sam_build,
            table=table,
            dynamodb_endpoint=dynamodb.endpoint_url,
            interpreter=lang / "bin" / version,
        )


@dataclass
class Function:
    api: RecordingRuntimeAPI
    process: subprocess.Popen[bytes]
    log: Path

    def invoke(self, event: Any) -> WireRequest:
        trace = f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]};Sampled=1"
        request_id = self.api.invoke(event, headers={"Lambda-Runtime-Trace-Id": trace})
        answer = self.api.wait_for_answer(request_id, timeout=60)
        assert answer.framing_error == "", answer.framing_error
        return answer

    def logs(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def start_function(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    started: list[Function] = []

    def start(logical_id: str, name: str, **environment: str) -> Function:
        task_root = stack.build / logical_id
        api = RecordingRuntimeAPI().start()
        log = tmp_path_factory.mktemp("logs") / f"{name}.log"
        env = {
            # What Lambda sets for every function (AWS DG, "Defined runtime environment
            # variables"), with our paths for /var/task and /opt/python.
            "PATH": os.environ["PATH"],
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "AWS_LAMBDA_RUNTIME_API": api.address,
            "AWS_LAMBDA_EXEC_WRAPPER": str(stack.exec_wrapper),
            "_HANDLER": "app.handler",
            "LAMBDA_TASK_ROOT": str(task_root),
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{stack.interpreter.name}",
            "AWS_LAMBDA_FUNCTION_NAME": f"built-{name}",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/built-{name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "2026/12/02/[$LATEST]0123456789abcdef",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            # Never real AWS: every endpoint but DynamoDB's (below) is a closed port.
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            "JOBSTREAM_LAYER_ROOT": str(stack.layer_python),
            # template.yaml's Globals (the key inline instead of from TokenKeySecret).
            "JOBSTREAM_TABLE": stack.table,
            "JOBSTREAM_REGION": REGION,
            "JOBSTREAM_DYNAMODB_ENDPOINT_URL": stack.dynamodb_endpoint,
            "JOBSTREAM_TOKEN_KEY": TOKEN_KEY,
            "JOBSTREAM_WORKER_FUNCTION": "built-worker",
            "JOBSTREAM_STAGE": "test",
            "JOBSTREAM_API_AUTH": "none",
            "POWERTOOLS_SERVICE_NAME": "jobstream",
            "POWERTOOLS_METRICS_NAMESPACE": "jobstream",
            "POWERTOOLS_LOGGER_LOG_EVENT": "false",
            **environment,
        }
        with log.open("wb") as sink:
            # As Lambda starts a function with an exec wrapper: the wrapper, then the command the
            # managed runtime would have run.
            process = subprocess.Popen(
                [str(stack.exec_wrapper), str(stack.interpreter), "/var/runtime/bootstrap.py"],
                env=env,
                cwd=task_root,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        function = Function(api, process, log)
        started.append(function)
        return function

    yield start

    for function in started:
        function.api.close()
        try:
            function.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            function.process.kill()
            function.process.wait()


def _event(name: str, **values: str) -> Any:
    return fill_placeholders(json.loads((EVENTS / name).read_text()), values)


def _streamed(record: WireRequest) -> tuple[dict[str, Any], bytes]:
    """The prelude and the body of a streamed answer, framed as AWS's Node.js client frames it:
    the prelude JSON alone in the first chunk, the 8-NUL delimiter alone in the second."""
    assert record.kind == "response", record
    assert record.headers["lambda-runtime-function-response-mode"] == "streaming"
    assert record.trailers == {}, record.trailers
    assert len(record.chunks) >= 2, record.chunks
    prelude = json.loads(record.chunks[0].data)
    assert record.chunks[1].data == PRELUDE_DELIMITER
    return prelude, b"".join(chunk.data for chunk in record.chunks[2:])


@dataclass(frozen=True)
class WorkerRun:
    job_id: str
    token: str
    answer: WireRequest
    logs: str


@pytest.fixture(scope="module")
def worker_run(stack: Stack, start_function: Any) -> WorkerRun:
    """One invocation of the built worker on a new job (events/worker_continue.json, hop 0)."""
    seeded = seed_job(stack.settings(), type="demo.count", params=JOB_PARAMS)
    worker = start_function("WorkerFunction", "worker")
    answer = worker.invoke(_event("worker_continue.json", job_id=seeded.job_id))
    return WorkerRun(seeded.job_id, seeded.token, answer, worker.logs())


@pytest.fixture(scope="module")
def finished_job(worker_run: WorkerRun) -> tuple[str, str]:
    """(job_id, token) of a job the built worker ran to its end."""
    if worker_run.answer.kind != "response":
        pytest.fail(f"the worker failed, so there is no job to read:\n{worker_run.logs}")
    return worker_run.job_id, worker_run.token


def test_the_built_worker_runs_a_job_to_its_end(stack: Stack, worker_run: WorkerRun) -> None:
    answer = worker_run.answer
    assert answer.kind == "response", worker_run.logs
    assert not answer.chunked
    assert "lambda-runtime-function-response-mode" not in answer.headers
    result = answer.json()
    assert set(result) == {"outcome", "reason", "steps"}
    assert result["outcome"] == "finished", result
    assert result["steps"] > 0
    job = JobStore(stack.settings()).get_job(worker_run.job_id)
    assert job is not None
    assert job.status is JobStatus.SUCCEEDED


def test_the_built_stream_function_streams_resumes_and_ends(
    start_function: Any, finished_job: tuple[str, str]
) -> None:
    job_id, token = finished_job
    stream = start_function("StreamFunction", "stream")

    # Resume after event 3 (events/stream_resume.json sends Last-Event-ID: 3).
    record = stream.invoke(_event("stream_resume.json", job_id=job_id, token=token))
    prelude, body = _streamed(record)
    assert prelude["statusCode"] == 200, (prelude, stream.logs())
    assert prelude["headers"]["Content-Type"].startswith("text/event-stream")
    events = SSEParser().feed(body)
    ids = [int(e.id) for e in events if e.id]
    assert ids
    assert ids[0] == 4
    assert ids == list(range(4, ids[-1] + 1))
    assert events[-1].event == "complete"
    last_id = ids[-1]

    # Same container, next invocation: resuming after the last event is the end (204).
    resume = _event("stream_resume.json", job_id=job_id, token=token)
    resume["headers"]["last-event-id"] = str(last_id)
    prelude, body = _streamed(stream.invoke(resume))
    assert prelude["statusCode"] == 204
    assert body == b""

    # No token: 401; a token that is not one: 403; both before any DynamoDB read or body byte.
    anonymous = _event("stream_resume.json", job_id=job_id, token=token)
    del anonymous["headers"]["authorization"]
    prelude, body = _streamed(stream.invoke(anonymous))
    assert prelude["statusCode"] == 401
    assert json.loads(body)["error"]["code"] == "token_missing"
    forged = _event("stream_resume.json", job_id=job_id, token=token[:-4] + "AAAA")
    prelude, body = _streamed(stream.invoke(forged))
    assert prelude["statusCode"] == 403
    assert token not in body.decode()

    assert stream.process.poll() is None, stream.logs()


def test_the_built_api_function_answers_a_buffered_request(
    start_function: Any, finished_job: tuple[str, str]
) -> None:
    job_id, token = finished_job
    api = start_function(
        "ApiFunction",
        "api",
        JOBSTREAM_STREAM_BASE_URL="https://stream.lambda-url.us-east-1.on.aws/",
        JOBSTREAM_CORS_ALLOWED_ORIGINS="https://app.example.com",
    )
    record = api.invoke(_event("api_job_status.json", job_id=job_id, token=token))

    assert record.kind == "response", api.logs()
    assert not record.chunked
    assert "lambda-runtime-function-response-mode" not in record.headers
    answer = record.json()
    assert answer["statusCode"] == 200, answer
    status = json.loads(answer["body"])
    assert status["job_id"] == job_id
    assert status["status"] == "succeeded"
    assert status["type"] in registry().names()

"""The real runtime loop, in a subprocess, against the Runtime API double.

What Lambda would see on the wire: streaming headers, the prelude, chunks as the handler yields
them (the first one while the handler is still blocked), /error versus error trailers, buffered
results for non-streaming handlers, init errors, and the context built from the invocation.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from jobstream.runtime.prelude import (
    HTTP_INTEGRATION_CONTENT_TYPE,
    PRELUDE_DELIMITER,
    decode_prelude,
)
from jobstream.sse import encode_event
from jobstream_client.sse import SSEParser

from ...conftest import REPO_ROOT
from .runtime_api_double import Recorded, RuntimeAPIDouble

pytestmark = pytest.mark.integration

TASK_ROOT = Path(__file__).parent / "task_root"
EXEC_WRAPPER = REPO_ROOT / "shared" / "jobstream" / "runtime" / "exec-wrapper"


@dataclass
class RuntimeProcess:
    double: RuntimeAPIDouble
    process: subprocess.Popen[bytes]
    gate: Path
    output: Path

    def release_gate(self, text: str) -> float:
        """Unblock a handler waiting on the gate FIFO; returns when (monotonic) it was opened."""
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
    ) -> RuntimeProcess:
        double = RuntimeAPIDouble().start()
        gate = tmp_path / f"gate-{len(started)}"
        os.mkfifo(gate)
        output = tmp_path / f"runtime-{len(started)}.log"
        env = {
            "PATH": os.environ["PATH"],
            "AWS_LAMBDA_RUNTIME_API": double.address,
            "_HANDLER": handler,
            "LAMBDA_TASK_ROOT": str(TASK_ROOT),
            "AWS_LAMBDA_FUNCTION_NAME": "double-fn",
            "AWS_LAMBDA_FUNCTION_VERSION": "7",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/double-fn",
            "AWS_LAMBDA_LOG_STREAM_NAME": "2026/11/21/[7]abc",
            "JOBSTREAM_LAYER_ROOT": str(tmp_path / "no-layer"),
            "GATE_FIFO": str(gate),
            **(extra_env or {}),
        }
        with output.open("wb") as sink:
            process = subprocess.Popen(
                command or [sys.executable, "-m", "jobstream.runtime"],
                env=env,
                cwd=TASK_ROOT,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        runtime = RuntimeProcess(double, process, gate, output)
        started.append(runtime)
        return runtime

    yield start

    for runtime in started:
        runtime.double.close()
        try:
            runtime.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            runtime.process.kill()
            runtime.process.wait()


def streamed(record: Recorded) -> tuple[dict[str, object], list[bytes]]:
    """The prelude (first chunk) and the body chunks after it."""
    assert record.chunked
    prelude, rest = decode_prelude(record.chunks[0].data)
    assert rest == b"", "the prelude is sent as a chunk of its own"
    return prelude, [chunk.data for chunk in record.chunks[1:]]


def assert_streaming_headers(record: Recorded) -> None:
    assert record.headers["lambda-runtime-function-response-mode"] == "streaming"
    assert record.headers["transfer-encoding"] == "chunked"
    assert record.headers["content-type"] == HTTP_INTEGRATION_CONTENT_TYPE
    trailer_names = {name.strip() for name in record.headers["trailer"].split(",")}
    assert trailer_names == {
        "Lambda-Runtime-Function-Error-Type",
        "Lambda-Runtime-Function-Error-Body",
    }
    assert "content-length" not in record.headers


def test_first_event_reaches_lambda_while_the_handler_is_still_running(
    start_runtime: StartRuntime,
) -> None:
    runtime = start_runtime()
    request_id = runtime.double.invoke({"case": "sse_gated"})

    # The handler is blocked on the gate after its first event: if the runtime buffered, this
    # second chunk (after the prelude) could never arrive.
    record = runtime.double.wait_for_record(
        lambda r: r.request_id == request_id and len(r.chunks) >= 2,
        what="the prelude and the first event",
    )
    assert not record.complete
    assert_streaming_headers(record)
    assert record.chunks[0].data.endswith(PRELUDE_DELIMITER)
    assert record.chunks[0].data.count(b"\x00") == 8
    prelude, body = streamed(record)
    assert prelude["statusCode"] == 200
    assert prelude["cookies"] == []
    headers = prelude["headers"]
    assert isinstance(headers, dict)
    assert headers["Content-Type"] == "text/event-stream; charset=utf-8"
    assert headers["Cache-Control"] == "no-cache, no-transform"
    assert headers["X-Case"] == "sse_gated"
    assert body == [encode_event(id=1, event="progress", data="first")]

    gate_opened_at = runtime.release_gate("second")
    record = runtime.double.wait_for_answer(request_id)
    assert record.chunks[1].arrived < gate_opened_at
    _, body = streamed(record)
    assert body == [
        encode_event(id=1, event="progress", data="first"),
        encode_event(id=2, event="progress", data="second"),
    ]
    assert record.trailers == {}
    assert [r.kind for r in runtime.double.records] == ["response"]


def test_failure_after_the_first_byte_goes_in_band_and_into_the_trailers(
    start_runtime: StartRuntime,
) -> None:
    runtime = start_runtime()
    request_id = runtime.double.invoke({"case": "sse_fails_mid_stream"})
    record = runtime.double.wait_for_answer(request_id)

    assert_streaming_headers(record)
    prelude, body = streamed(record)
    assert prelude["statusCode"] == 200
    events = SSEParser().feed(b"".join(body))
    assert [(e.event, e.id) for e in events] == [("message", "1"), ("error", "1")]
    notice = json.loads(events[1].data)
    assert notice["error"] == "stream_failed"
    assert "secret" not in events[1].data
    assert "Traceback" not in b"".join(body).decode()

    assert record.trailers["Lambda-Runtime-Function-Error-Type"] == "RuntimeError"
    error = json.loads(base64.b64decode(record.trailers["Lambda-Runtime-Function-Error-Body"]))
    assert error["errorType"] == "RuntimeError"
    assert "secret detail" in error["errorMessage"]
    assert isinstance(error["stackTrace"], list)
    assert any("fixture_app.py" in line for line in error["stackTrace"])
    assert [r.kind for r in runtime.double.records] == ["response"]


@pytest.mark.parametrize(
    ("case", "error_type"),
    [("raises", "ValueError"), ("body_fails_at_once", "KeyError")],
)
def test_failure_before_the_first_byte_posts_to_error(
    start_runtime: StartRuntime, case: str, error_type: str
) -> None:
    runtime = start_runtime()
    request_id = runtime.double.invoke({"case": case})
    record = runtime.double.wait_for_answer(request_id)

    assert record.kind == "error"
    assert not record.chunked
    assert record.headers["lambda-runtime-function-error-type"] == error_type
    document = record.json()
    assert set(document) == {"errorMessage", "errorType", "stackTrace"}
    assert document["errorType"] == error_type
    assert isinstance(document["stackTrace"], list)
    assert [r.kind for r in runtime.double.records] == ["error"]


@pytest.mark.parametrize(
    ("case", "status", "payload"),
    [
        ("decorated_raises", 500, {"message": "Internal server error"}),
        ("not_found", 404, {"message": "no such job"}),
    ],
)
def test_error_statuses_are_real_http_statuses(
    start_runtime: StartRuntime, case: str, status: int, payload: dict[str, str]
) -> None:
    runtime = start_runtime()
    request_id = runtime.double.invoke({"case": case})
    record = runtime.double.wait_for_answer(request_id)

    assert record.kind == "response"
    assert_streaming_headers(record)
    prelude, body = streamed(record)
    assert prelude["statusCode"] == status
    assert json.loads(b"".join(body)) == payload
    assert record.trailers == {}
    assert b"secret" not in record.body


def test_no_content_ends_cleanly_after_just_the_prelude(start_runtime: StartRuntime) -> None:
    runtime = start_runtime()
    request_id = runtime.double.invoke({"case": "no_content"})
    record = runtime.double.wait_for_answer(request_id)

    assert_streaming_headers(record)
    prelude, body = streamed(record)
    assert prelude == {"statusCode": 204, "headers": {"X-Case": "no_content"}, "cookies": []}
    assert body == []
    assert record.trailers == {}


def test_cookies_go_in_the_prelude_and_empty_chunks_are_skipped(
    start_runtime: StartRuntime,
) -> None:
    runtime = start_runtime()
    request_id = runtime.double.invoke({"case": "with_cookies"})
    record = runtime.double.wait_for_answer(request_id)

    prelude, body = streamed(record)
    assert prelude["statusCode"] == 201
    assert prelude["cookies"] == ["a=1; Path=/", "b=2; HttpOnly"]
    assert body == [b"one", b"two"]


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("buffered", {"echo": {"case": "buffered"}, "executable": sys.executable}),
        ("returns_none", None),
    ],
)
def test_plain_results_are_posted_buffered(
    start_runtime: StartRuntime, case: str, expected: object
) -> None:
    runtime = start_runtime()
    request_id = runtime.double.invoke({"case": case})
    record = runtime.double.wait_for_answer(request_id)

    assert record.kind == "response"
    assert not record.chunked
    assert "lambda-runtime-function-response-mode" not in record.headers
    assert record.headers["content-type"] == "application/json"
    assert record.json() == expected


def test_a_result_that_is_not_json_is_an_error(start_runtime: StartRuntime) -> None:
    runtime = start_runtime()
    request_id = runtime.double.invoke({"case": "unserializable"})
    record = runtime.double.wait_for_answer(request_id)

    assert record.kind == "error"
    assert record.headers["lambda-runtime-function-error-type"] == "Runtime.MarshalError"


def test_context_and_trace_id_come_from_the_invocation(start_runtime: StartRuntime) -> None:
    runtime = start_runtime()
    deadline_ms = int((time.time() + 30) * 1000)
    first = runtime.double.invoke(
        {"case": "context_report"},
        deadline_ms=deadline_ms,
        headers={
            "Lambda-Runtime-Trace-Id": "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1",
            "Lambda-Runtime-Client-Context": json.dumps(
                {"client": {"app_title": "demo"}, "custom": {"k": "v"}, "env": {}}
            ),
            "Lambda-Runtime-Cognito-Identity": json.dumps(
                {"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"}
            ),
        },
    )
    expired = runtime.double.invoke(
        {"case": "context_report"}, deadline_ms=int((time.time() - 5) * 1000)
    )

    report = runtime.double.wait_for_answer(first).json()
    assert report["aws_request_id"] == first
    assert 0 < report["remaining_ms"] <= 30_000
    assert report["function_name"] == "double-fn"
    assert report["function_version"] == "7"
    assert report["memory_limit_in_mb"] == 512
    assert report["invoked_function_arn"] == (
        "arn:aws:lambda:us-east-1:123456789012:function:double-fn"
    )
    assert report["log_group_name"] == "/aws/lambda/double-fn"
    assert report["log_stream_name"] == "2026/11/21/[7]abc"
    assert report["cognito_identity_id"] == "id-1"
    assert report["cognito_identity_pool_id"] == "pool-1"
    assert report["client_app_title"] == "demo"
    assert report["client_custom"] == {"k": "v"}
    assert report["trace_id"] == "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1"
    assert report["cwd_on_path"] is True

    # Same process, next invocation: nothing leaks from the previous one.
    report = runtime.double.wait_for_answer(expired).json()
    assert report["aws_request_id"] == expired
    assert report["remaining_ms"] == 0
    assert report["trace_id"] is None
    assert report["cognito_identity_id"] is None
    assert report["client_app_title"] is None


@pytest.mark.parametrize(
    ("handler", "error_type"),
    [
        ("broken_app.handler", "Runtime.ImportModuleError"),
        ("fixture_app.no_such_handler", "Runtime.HandlerNotFound"),
        ("no_dot_in_it", "Runtime.MalformedHandlerName"),
    ],
)
def test_init_failure_is_reported_to_init_error_and_the_process_exits(
    start_runtime: StartRuntime, handler: str, error_type: str
) -> None:
    runtime = start_runtime(handler)
    record = runtime.double.wait_for_record(lambda r: r.complete, what="the init error")

    assert record.kind == "init-error"
    assert record.headers["lambda-runtime-function-error-type"] == error_type
    document = record.json()
    assert document["errorType"] == error_type
    assert set(document) == {"errorMessage", "errorType", "stackTrace"}
    assert runtime.process.wait(timeout=20) == 1, runtime.logs()
    assert runtime.double.next_calls == 0


def test_exec_wrapper_runs_the_loop_with_the_original_interpreter(
    start_runtime: StartRuntime,
) -> None:
    assert os.access(EXEC_WRAPPER, os.X_OK)
    # What Lambda's managed runtime passes to AWS_LAMBDA_EXEC_WRAPPER: its own command line.
    runtime = start_runtime(
        command=[str(EXEC_WRAPPER), sys.executable, "/var/runtime/bootstrap.py"],
    )
    first = runtime.double.invoke({"case": "buffered"})
    assert runtime.double.wait_for_answer(first).json()["executable"] == sys.executable

    streamed_id = runtime.double.invoke({"case": "sse_gated"})
    runtime.double.wait_for_record(
        lambda r: r.request_id == streamed_id and len(r.chunks) >= 2, what="the first event"
    )
    runtime.release_gate("done")
    _, body = streamed(runtime.double.wait_for_answer(streamed_id))
    assert len(body) == 2


def test_exec_wrapper_falls_back_to_python3_on_path(
    start_runtime: StartRuntime, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    runtime = start_runtime(
        command=[str(EXEC_WRAPPER), "/nonexistent/python3.12", "/var/runtime/bootstrap.py"],
        extra_env={"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
    )
    request_id = runtime.double.invoke({"case": "buffered"})
    assert runtime.double.wait_for_answer(request_id).json()["executable"] == str(
        bin_dir / "python3"
    )


def test_the_runtime_exits_when_the_runtime_api_fails(start_runtime: StartRuntime) -> None:
    runtime = start_runtime()
    runtime.double.wait_until(lambda: runtime.double.next_calls >= 1, what="the first /next")
    runtime.double.close()
    assert runtime.process.wait(timeout=20) == 1
    assert "Runtime API failed" in runtime.logs()


def test_layer_folders_go_before_the_interpreters_site_packages(
    start_runtime: StartRuntime, tmp_path: Path
) -> None:
    layer = tmp_path / "layer-python"
    site_packages = layer / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    site_packages = site_packages / "site-packages"
    site_packages.mkdir(parents=True)
    extra = tmp_path / "from-pth"
    extra.mkdir()
    (site_packages / "extra.pth").write_text(f"{extra}\n")
    runtime = start_runtime(extra_env={"JOBSTREAM_LAYER_ROOT": str(layer)})
    request_id = runtime.double.invoke({"case": "path_report"})
    path = runtime.double.wait_for_answer(request_id).json()["path"]

    assert path[0] == str(TASK_ROOT)
    assert path.index(str(site_packages)) < path.index(str(layer))
    interpreter_site = next(
        p for p in path if p.endswith("site-packages") and p != str(site_packages)
    )
    assert path.index(str(layer)) < path.index(interpreter_site)
    assert str(extra) in path

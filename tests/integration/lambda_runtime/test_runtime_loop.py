"""The real runtime loop, started through the exec wrapper, against the recording Runtime API.

Behaviour around the wire format (the framing itself is asserted row by row in
test_runtime_api_conformance.py): the context built from the invocation, marshalling errors,
the exec wrapper's choice of interpreter, layer paths, and exiting when the Runtime API fails.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

from .conftest import EXEC_WRAPPER, TASK_ROOT, StartRuntime
from .test_runtime_api_conformance import streamed


def test_cookies_go_in_the_prelude_and_empty_chunks_are_skipped(
    start_runtime: StartRuntime,
) -> None:
    runtime = start_runtime()
    request_id = runtime.api.invoke({"case": "with_cookies"})
    record = runtime.api.wait_for_answer(request_id)

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
    request_id = runtime.api.invoke({"case": case})
    record = runtime.api.wait_for_answer(request_id)

    assert record.kind == "response"
    assert not record.chunked
    assert "lambda-runtime-function-response-mode" not in record.headers
    assert record.headers["content-type"] == "application/json"
    assert record.json() == expected


def test_a_result_that_is_not_json_is_an_error(start_runtime: StartRuntime) -> None:
    runtime = start_runtime()
    request_id = runtime.api.invoke({"case": "unserializable"})
    record = runtime.api.wait_for_answer(request_id)

    assert record.kind == "error"
    assert record.headers["lambda-runtime-function-error-type"] == "Runtime.MarshalError"


def test_context_and_trace_id_come_from_the_invocation(start_runtime: StartRuntime) -> None:
    runtime = start_runtime()
    deadline_ms = int((time.time() + 30) * 1000)
    first = runtime.api.invoke(
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
    expired = runtime.api.invoke(
        {"case": "context_report"}, deadline_ms=int((time.time() - 5) * 1000)
    )

    report = runtime.api.wait_for_answer(first).json()
    assert report["aws_request_id"] == first
    assert 0 < report["remaining_ms"] <= 30_000
    assert report["function_name"] == "recorded-fn"
    assert report["function_version"] == "7"
    assert report["memory_limit_in_mb"] == 512
    assert report["invoked_function_arn"] == (
        "arn:aws:lambda:us-east-1:123456789012:function:recorded-fn"
    )
    assert report["log_group_name"] == "/aws/lambda/recorded-fn"
    assert report["log_stream_name"] == "2026/11/21/[7]abc"
    assert report["cognito_identity_id"] == "id-1"
    assert report["cognito_identity_pool_id"] == "pool-1"
    assert report["client_app_title"] == "demo"
    assert report["client_custom"] == {"k": "v"}
    assert report["trace_id"] == "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1"
    assert report["cwd_on_path"] is True

    # Same process, next invocation: nothing leaks from the previous one.
    report = runtime.api.wait_for_answer(expired).json()
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
    record = runtime.api.wait_for(
        lambda r: r.method == "POST" and r.complete, what="the init error"
    )

    assert record.kind == "init-error"
    assert record.headers["lambda-runtime-function-error-type"] == error_type
    document = record.json()
    assert document["errorType"] == error_type
    assert set(document) == {"errorMessage", "errorType", "requestId", "stackTrace"}
    assert document["requestId"] == ""
    assert runtime.process.wait(timeout=20) == 1, runtime.logs()
    assert runtime.api.next_calls == 0


def test_exec_wrapper_runs_the_loop_with_the_original_interpreter(
    start_runtime: StartRuntime,
) -> None:
    assert os.access(EXEC_WRAPPER, os.X_OK)
    # The fixture's default command is what Lambda's managed runtime passes to
    # AWS_LAMBDA_EXEC_WRAPPER: the wrapper, then the runtime's own command line.
    runtime = start_runtime()
    first = runtime.api.invoke({"case": "buffered"})
    assert runtime.api.wait_for_answer(first).json()["executable"] == sys.executable

    streamed_id = runtime.api.invoke({"case": "sse_gated"})
    runtime.api.wait_for(
        lambda r: r.request_id == streamed_id and len(r.chunks) >= 3, what="the first event"
    )
    runtime.release_gate("done")
    _, body = streamed(runtime.api.wait_for_answer(streamed_id))
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
    request_id = runtime.api.invoke({"case": "buffered"})
    assert runtime.api.wait_for_answer(request_id).json()["executable"] == str(bin_dir / "python3")


def test_the_runtime_exits_when_the_runtime_api_fails(start_runtime: StartRuntime) -> None:
    runtime = start_runtime()
    runtime.api.wait_until(lambda: runtime.api.next_calls >= 1, what="the first /next")
    runtime.api.close()
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
    request_id = runtime.api.invoke({"case": "path_report"})
    path = runtime.api.wait_for_answer(request_id).json()["path"]

    assert path[0] == str(TASK_ROOT)
    assert path.index(str(site_packages)) < path.index(str(layer))
    interpreter_site = next(
        p for p in path if p.endswith("site-packages") and p != str(site_packages)
    )
    assert path.index(str(layer)) < path.index(interpreter_site)
    assert str(extra) in path

"""`make invoke` (python -m jobstream_local.invoke) as a user runs it: a subprocess, no Docker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jobstream_client.sse import SSEParser
from tests.conftest import REPO_ROOT

EVENTS = REPO_ROOT / "events"
TIMEOUT_S = 120


def _env() -> dict[str, str]:
    # Nothing of the caller's jobstream configuration: the tool's own local defaults.
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOBSTREAM_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _command(function: str, event: Path | str, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "jobstream_local.invoke",
        "--function",
        function,
        "--event",
        str(event),
        *extra,
    ]


def _run(function: str, event: Path | str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _command(function, event, *extra),
        env=_env(),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )


def _split_prelude(stdout: str) -> tuple[list[str], str]:
    prelude, _, body = stdout.partition("\n\n")
    return prelude.splitlines(), body


def test_stream_chunks_are_printed_while_the_handler_still_runs() -> None:
    # 20 steps of 100 ms: the job, and so the stream, runs about two seconds.
    process = subprocess.Popen(
        _command(
            "stream",
            EVENTS / "stream_from_start.json",
            "--seed-params",
            json.dumps({"n": 20, "interval_ms": 100}),
        ),
        env=_env(),
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        lines: list[bytes] = []
        while not lines or not lines[-1].startswith(b"id: "):
            line = process.stdout.readline()
            assert line, "stdout ended before the first event"
            lines.append(line)
        # The first event is on screen and the stream is still going: output is not buffered.
        still_running_at_first_event = process.poll() is None
        rest = process.stdout.read()
        returncode = process.wait(TIMEOUT_S)
    finally:
        process.kill()
        process.communicate()
    assert still_running_at_first_event
    assert returncode == 0
    prelude, body = _split_prelude(b"".join([*lines, rest]).decode())
    assert prelude[0] == "HTTP 200"
    assert "Content-Type: text/event-stream; charset=utf-8" in prelude
    parser = SSEParser()
    events = parser.feed(body.encode()) + parser.end()
    assert [e.id for e in events] == [str(i) for i in range(1, 22)]
    assert events[-1].event == "complete"


def test_resume_prints_the_events_after_last_event_id() -> None:
    result = _run(
        "stream",
        EVENTS / "stream_resume.json",
        "--seed-params",
        json.dumps({"n": 6, "interval_ms": 20}),
    )

    assert result.returncode == 0, result.stderr
    prelude, body = _split_prelude(result.stdout)
    assert prelude[0] == "HTTP 200"
    parser = SSEParser()
    assert [e.id for e in parser.feed(body.encode())] == ["4", "5", "6", "7"]


def test_a_refused_request_is_a_completed_invocation() -> None:
    result = _run(
        "stream",
        EVENTS / "stream_bad_last_event_id.json",
        "--seed-params",
        json.dumps({"n": 1, "interval_ms": 0}),
    )

    assert result.returncode == 0, result.stderr
    prelude, body = _split_prelude(result.stdout)
    assert prelude[0] == "HTTP 400"
    assert json.loads(body)["error"]["code"] == "invalid_last_event_id"


def test_a_buffered_result_is_printed_as_json_and_logs_go_to_stderr() -> None:
    result = _run(
        "worker",
        EVENTS / "worker_continue.json",
        "--seed-params",
        json.dumps({"n": 3, "interval_ms": 0}),
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"outcome": "finished", "reason": "", "steps": 4}
    log_lines = [
        json.loads(line) for line in result.stderr.splitlines() if line.startswith('{"level"')
    ]
    assert log_lines
    assert all(line.get("job_id") for line in log_lines)


def test_a_failing_function_exits_1_with_lambdas_error_object(tmp_path: Path) -> None:
    function = tmp_path / "functions" / "stream"
    function.mkdir(parents=True)
    (function / "app.py").write_text(
        "def handler(event, context):\n    raise RuntimeError('boom')\n"
    )
    event = tmp_path / "event.json"
    event.write_text("{}")

    result = _run("stream", event, "--functions-dir", str(tmp_path / "functions"))

    assert result.returncode == 1
    assert json.loads(result.stdout) == {"errorType": "RuntimeError", "errorMessage": "boom"}


@pytest.mark.parametrize(
    ("event_text", "reason"),
    [(None, "cannot read the event"), ('{"job_id": "{{nope}}"}', "no value for placeholder")],
)
def test_usage_errors_exit_2(tmp_path: Path, event_text: str | None, reason: str) -> None:
    event = tmp_path / "event.json"
    if event_text is not None:
        event.write_text(event_text)

    result = _run("worker", event)

    assert result.returncode == 2
    assert reason in result.stderr

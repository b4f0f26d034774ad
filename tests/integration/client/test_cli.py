"""The ``jobstream`` command against a scripted server: what it shows and how it exits."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from jobstream_client.cli import ExitCode
from tests.integration.client.conftest import MakeServer
from tests.integration.client.scripted_server import LogEvent, Reply, count_log
from tests.integration.client.test_stream import unused_port
from tests.unit.client.test_cli_usage import Run

RICH_LOG = [
    LogEvent("phase", {"name": "download"}),
    LogEvent("log", {"message": "fetching \x1b[31m[bold]x[/bold]", "level": "warning"}),
    LogEvent("item", {"key": "a", "ok": True}),
    LogEvent("item", {"key": "b", "ok": False, "reason": "bad input"}),
    LogEvent("progress", {"done": 5, "total": 10, "percent": 50, "phase": "[red]crunch"}),
    LogEvent("from-the-future", {"x": 1}),
    LogEvent("item", {"key": "c", "ok": True, "extra": "ignored"}),
    LogEvent("progress", {"done": 10, "total": 10, "percent": 100}),
    LogEvent("complete", {"result": {"rows": 10}}),
]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, http_client: httpx.Client) -> Run:
    monkeypatch.delenv("JOBSTREAM_TOKEN", raising=False)
    monkeypatch.delenv("JOBSTREAM_API", raising=False)
    return Run(http_client)


def test_start_follows_the_job_to_completion_across_drops(
    make_server: MakeServer, run: Run
) -> None:
    server = make_server(RICH_LOG, script=lambda _n, _lid: Reply(events=3, end="drop"))

    code = run(
        "--api",
        server.base_url,
        "start",
        "demo.count",
        "--params",
        '{"n": 1, "interval_ms": 100}',
        "--param",
        "n=50",
        "--param",
        "label=plain text",
    )

    assert code == ExitCode.OK
    create = server.requests[0]
    assert (create.method, create.path) == ("POST", "/jobs")
    assert create.body == (
        b'{"type":"demo.count","params":{"n":50,"interval_ms":100,"label":"plain text"}}'
    )
    out = run.output
    assert "started job job-1 (demo.count)" in out
    assert "phase: download" in out
    assert "✗ b: bad input" in out
    assert '✓ complete: {"rows":10}' in out
    assert "100%" in out
    assert "✓ 2 ✗ 1" in out
    assert "demo.count · [red]crunch" in out  # a server's phase name is text, not markup
    assert "connection dropped; resuming" in out
    assert "after event 3" in out
    assert [r.last_event_id for r in server.stream_requests] == [None, "3", "6"]


def test_server_text_cannot_reach_the_terminal_as_control_codes(
    make_server: MakeServer, run: Run
) -> None:
    server = make_server(RICH_LOG)

    assert run("--api", server.base_url, "start", "demo.count") == ExitCode.OK
    assert "\x1b" not in run.output
    assert "fetching \\x1b[31m[bold]x[/bold]" in run.output


@pytest.mark.parametrize(
    ("terminal", "code", "shown"),
    [
        ("complete", ExitCode.OK, "✓ complete"),
        ("error", ExitCode.JOB_FAILED, "✗ failed: boom at the end"),
        ("cancelled", ExitCode.CANCELLED, "job cancelled"),
    ],
)
def test_exit_code_follows_the_terminal_event(
    make_server: MakeServer, run: Run, terminal: str, code: ExitCode, shown: str
) -> None:
    server = make_server(count_log(5, terminal=terminal))

    assert run("--api", server.base_url, "start", "demo.count", "--param", "n=5") == code
    assert shown in run.output


def test_attach_by_job_id_asks_the_api_for_the_events_url(
    make_server: MakeServer, run: Run
) -> None:
    server = make_server(count_log(4))

    code = run(
        "attach", "--api", server.base_url, "--job-id", server.job_id, "--token", server.token
    )

    assert code == ExitCode.OK
    assert [(r.method, r.path) for r in server.requests] == [
        ("GET", "/jobs/job-1"),
        ("GET", "/jobs/job-1/events"),
    ]
    assert server.token not in run.output


def test_attach_by_events_url_with_token_from_the_environment(
    make_server: MakeServer, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_server(count_log(4))
    monkeypatch.setenv("JOBSTREAM_TOKEN", server.token)

    assert run("attach", "--events-url", server.events_url, "--last-event-id", "2") == 0
    assert server.stream_requests[0].last_event_id == "2"
    assert server.stream_requests[0].headers["authorization"] == f"Bearer {server.token}"


def test_start_saves_the_token_privately_for_a_later_attach(
    make_server: MakeServer, run: Run, tmp_path: Path
) -> None:
    server = make_server(count_log(3))
    token_file = tmp_path / "job.token"

    assert (
        run("--api", server.base_url, "start", "demo.count", "--token-file", str(token_file)) == 0
    )
    assert token_file.read_text().strip() == server.token
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert server.token not in run.output

    again = Run()  # main() building (and closing) its own httpx client
    assert again("attach", "--events-url", server.events_url, "--token-file", str(token_file)) == 0


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["--job-id", "nope"], "HTTP 404 job_not_found"),
        (["--job-id", "job-1"], "HTTP 401 token_missing"),
    ],
)
def test_rejections_exit_with_the_4xx_code(
    make_server: MakeServer, run: Run, args: list[str], shown: str
) -> None:
    server = make_server(count_log(3))

    assert run("--api", server.base_url, "attach", *args) == ExitCode.REJECTED
    assert shown in run.output


def test_a_wrong_token_is_rejected_and_never_printed(make_server: MakeServer, run: Run) -> None:
    server = make_server(count_log(3))
    wrong = "wrong-SECRET-value"

    code = run("attach", "--events-url", f"{server.events_url}?token={wrong}")
    code_header = run("attach", "--events-url", server.events_url, "--token", wrong)

    assert code == code_header == ExitCode.REJECTED
    assert "HTTP 403 token_invalid" in run.output
    assert wrong not in run.output


def test_gives_up_with_its_own_code(run: Run) -> None:
    url = f"http://127.0.0.1:{unused_port()}/jobs/x/events"

    code = run("attach", "--events-url", url, "--token", "t", "--max-attempts", "3")

    assert code == ExitCode.UNREACHABLE
    assert "gave up after 3 failed attempts in a row (last: connection failed)" in run.output
    assert len(run.sleeps) == 2
    assert run.output.count("reconnecting in") == 2


def test_an_unreachable_api_on_start_exits_unreachable(run: Run) -> None:
    code = run("--api", f"http://127.0.0.1:{unused_port()}", "start", "demo.count")

    assert code == ExitCode.UNREACHABLE
    assert "failed: ConnectError" in run.output


def test_a_protocol_violation_has_its_own_code(make_server: MakeServer, run: Run) -> None:
    server = make_server(count_log(3), script=lambda _n, _lid: Reply(content_type="text/html"))

    assert run("--api", server.base_url, "start", "demo.count") == ExitCode.PROTOCOL
    assert "not text/event-stream" in run.output


def test_ctrl_c_leaves_the_job_running_by_default(make_server: MakeServer, run: Run) -> None:
    server = make_server(count_log(9), script=lambda _n, _lid: Reply(events=3, end="drop"))

    code = run("--api", server.base_url, "start", "demo.count", sleep_raises=KeyboardInterrupt())

    assert code == 130
    assert not [r for r in server.requests if r.path.endswith("/cancel")]
    assert "job-1 keeps running on the server" in run.output
    assert f"jobstream --api {server.base_url} attach --job-id job-1 --last-event-id 3" in (
        run.output
    )
    assert server.token not in run.output


def test_ctrl_c_with_cancel_on_interrupt_asks_the_server_to_cancel(
    make_server: MakeServer, run: Run
) -> None:
    server = make_server(count_log(9), script=lambda _n, _lid: Reply(events=3, end="drop"))

    code = run(
        "--api",
        server.base_url,
        "start",
        "demo.count",
        "--cancel-on-interrupt",
        sleep_raises=KeyboardInterrupt(),
    )

    assert code == ExitCode.INTERRUPTED
    (cancel,) = [r for r in server.requests if r.path.endswith("/cancel")]
    assert cancel.method == "POST"
    assert cancel.headers["authorization"] == f"Bearer {server.token}"
    assert "cancel requested for job job-1" in run.output


def test_cancel_on_interrupt_needs_the_api(make_server: MakeServer, run: Run) -> None:
    server = make_server(count_log(9), script=lambda _n, _lid: Reply(events=3, end="drop"))

    code = run(
        "attach",
        "--events-url",
        server.events_url,
        "--token",
        server.token,
        "--cancel-on-interrupt",
        sleep_raises=KeyboardInterrupt(),
    )

    assert code == ExitCode.INTERRUPTED
    assert "cannot cancel" in run.output
    assert not [r for r in server.requests if r.path.endswith("/cancel")]


@pytest.mark.parametrize(
    ("terminal", "code"),
    [("complete", ExitCode.OK), ("error", ExitCode.JOB_FAILED), ("cancelled", ExitCode.CANCELLED)],
)
def test_a_204_takes_the_exit_code_from_the_jobs_status(
    make_server: MakeServer, run: Run, terminal: str, code: ExitCode
) -> None:
    server = make_server(count_log(3, terminal=terminal))

    result = run(
        "--api",
        server.base_url,
        "attach",
        "--job-id",
        server.job_id,
        "--token",
        server.token,
        "--last-event-id",
        "4",
    )

    assert result == code
    assert "no events after the resume point" in run.output
    assert [r.path for r in server.requests][-1] == "/jobs/job-1"


def test_a_204_without_an_api_to_ask_exits_ok(make_server: MakeServer, run: Run) -> None:
    server = make_server(count_log(3))

    code = run(
        "attach", "--events-url", server.events_url, "--token", server.token, "--last-event-id", "4"
    )

    assert code == ExitCode.OK
    assert "the job has ended" in run.output


def test_runs_as_a_module() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "jobstream_client", "start", "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert completed.returncode == 0
    assert "--cancel-on-interrupt" in completed.stdout

"""``jobstream list``: the caller's jobs from GET /jobs, shown without their tokens."""

from __future__ import annotations

import json
from io import StringIO

import httpx
import pytest
from rich.console import Console

from jobstream_client.cli import ExitCode, main

API = "http://api.test"
ACCESS = "caller-jwt-aaaa.bbbb.cccc"


def listed(job_id: str, *, status: str = "running", type_: str = "demo.count") -> dict[str, object]:
    return {
        "job_id": job_id,
        "type": type_,
        "status": status,
        "created_at": 1_767_225_600.0,  # 2026-01-01 00:00:00 UTC
        "events_url": f"{API}/jobs/{job_id}/events",
        "status_url": f"{API}/jobs/{job_id}",
        "token": f"job-token-of-{job_id}",
    }


def run_list(reply: httpx.Response, *argv: str) -> tuple[int, str, list[httpx.Request]]:
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return reply

    out = StringIO()
    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        code = main(
            ["--api", API, "--access-token", ACCESS, "list", *argv],
            console=Console(file=out, force_terminal=False, width=120),
            http_client=client,
        )
    return code, out.getvalue(), requests


def test_lists_the_callers_jobs_with_the_access_token_and_no_job_token() -> None:
    page = {
        "jobs": [listed("job2", status="succeeded"), listed("job1", type_="demo.batch")],
        "next_cursor": None,
    }

    code, output, [request] = run_list(httpx.Response(200, json=page), "--limit", "5")

    assert code == ExitCode.OK
    assert (request.method, request.url.path, request.url.params["limit"]) == ("GET", "/jobs", "5")
    assert request.headers["authorization"] == f"Bearer {ACCESS}"
    lines = [line.split() for line in output.splitlines() if line.strip()]
    assert lines[1:] == [
        ["job2", "demo.count", "succeeded", "2026-01-01", "00:00:00"],
        ["job1", "demo.batch", "running", "2026-01-01", "00:00:00"],
    ]
    assert "job-token-of" not in output
    assert ACCESS not in output


def test_says_when_more_jobs_are_left() -> None:
    page = {"jobs": [listed("job9")], "next_cursor": "opaque"}
    code, output, _ = run_list(httpx.Response(200, json=page), "--limit", "1")
    assert code == ExitCode.OK
    assert "--limit shows more" in output


def test_no_jobs_says_so() -> None:
    code, output, _ = run_list(httpx.Response(200, json={"jobs": [], "next_cursor": None}))
    assert (code, output.strip()) == (ExitCode.OK, "no jobs")


def test_server_text_cannot_reach_the_terminal_as_control_codes() -> None:
    page = {"jobs": [listed("job1", type_="demo\x1b[2Jcount")], "next_cursor": None}
    code, output, _ = run_list(httpx.Response(200, json=page))
    assert code == ExitCode.OK
    assert "\x1b" not in output


def test_an_api_without_caller_authentication_is_a_rejection() -> None:
    body = {"error": "unauthorized", "message": "this API has no callers to list jobs for"}
    code, output, _ = run_list(httpx.Response(401, content=json.dumps(body)))
    assert code == ExitCode.REJECTED
    assert "401" in output or "unauthorized" in output.lower()


@pytest.mark.parametrize("limit", ["0", "101", "ten"])
def test_a_limit_out_of_range_is_a_usage_error(limit: str) -> None:
    with pytest.raises(SystemExit) as exited:
        run_list(httpx.Response(200, json={"jobs": [], "next_cursor": None}), "--limit", limit)
    assert exited.value.code == ExitCode.USAGE

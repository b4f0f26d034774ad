"""The `jobstream` command and job tokens: `start` keeps the token where `attach --job-id` and
`cancel --job-id` find it; without one, the owner's access token gets a fresh one from the API;
a refusal prints the server's per-field details."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO

import httpx
from rich.console import Console

from jobstream_client.cli import ExitCode, main
from jobstream_client.token_store import TokenStore

API = "http://api.test"
ACCESS = "caller-jwt-aaaa.bbbb.cccc"
COMPLETE = b'id: 1\nevent: complete\ndata: {"result": {}}\n\n'


def run(
    answer: Callable[[httpx.Request], httpx.Response], *argv: str, width: int = 120
) -> tuple[int, str, list[httpx.Request]]:
    requests: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return answer(request)

    out = StringIO()
    with httpx.Client(transport=httpx.MockTransport(record)) as client:
        code = main(
            list(argv),
            console=Console(file=out, force_terminal=False, width=width),
            http_client=client,
            sleep=lambda _: None,
        )
    return code, out.getvalue(), requests


def stream_or_status(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/events"):
        return httpx.Response(200, content=COMPLETE, headers={"content-type": "text/event-stream"})
    if request.url.path.endswith("/token"):
        return httpx.Response(
            200,
            json={
                "job_id": "job1",
                "token": "fresh-token",
                "expires_in": 3600,
                "events_url": f"{API}/jobs/job1/events",
            },
        )
    if request.url.path.endswith("/cancel"):
        return httpx.Response(202, json={"job_id": "job1", "status": "running"})
    return httpx.Response(
        200, json={"job_id": "job1", "type": "demo.count", "events_url": f"{API}/jobs/job1/events"}
    )


def test_the_owner_attaches_by_job_id_with_a_fresh_token() -> None:
    code, output, requests = run(
        stream_or_status, "--api", API, "--access-token", ACCESS, "attach", "--job-id", "job1"
    )

    assert code == ExitCode.OK, output
    mint, status, stream = requests
    assert (mint.method, mint.url.path) == ("POST", "/jobs/job1/token")
    assert mint.headers["authorization"] == f"Bearer {ACCESS}"
    assert status.url.params["token"] == "fresh-token"
    assert stream.headers["authorization"] == "Bearer fresh-token"
    # Kept, so the next attach or cancel needs no round trip for it.
    assert TokenStore.default().load("job1") == "fresh-token"
    assert "fresh-token" not in output


def test_start_keeps_the_token_for_cancel_by_job_id() -> None:
    def created(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/jobs":
            return httpx.Response(
                201,
                json={
                    "job_id": "job1",
                    "status": "queued",
                    "events_url": f"{API}/jobs/job1/events",
                    "status_url": f"{API}/jobs/job1",
                    "token": "kept-token",
                },
            )
        return stream_or_status(request)

    assert run(created, "--api", API, "start", "demo.count")[0] == ExitCode.OK
    code, output, [cancel] = run(created, "--api", API, "cancel", "--job-id", "job1")

    assert code == ExitCode.OK
    assert (cancel.method, cancel.url.path) == ("POST", "/jobs/job1/cancel")
    assert cancel.headers["authorization"] == "Bearer kept-token"
    assert "cancel requested for job job1" in output


def test_without_any_token_or_access_token_the_api_says_so() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        body = {"error": {"code": "token_missing", "message": "send the job's token"}}
        return httpx.Response(401, json=body)

    code, output, [request] = run(refuse, "--api", API, "attach", "--job-id", "nobodys")

    assert code == ExitCode.REJECTED
    assert request.url.path == "/jobs/nobodys"
    assert "HTTP 401 token_missing" in output


def test_a_refusal_prints_each_field_the_server_refused_on_one_line() -> None:
    details = [
        {"loc": ["body", "params", "n"], "msg": "Input should be greater than or equal to 1"},
        {"loc": ["body", "params", "x"], "msg": "Extra inputs are not permitted"},
    ]

    def refuse(request: httpx.Request) -> httpx.Response:
        message = "invalid params for job type 'demo.count': 2 error(s)"
        body = {"error": {"code": "invalid_params", "message": message, "details": details}}
        return httpx.Response(422, content=json.dumps(body).encode())

    code, output, _ = run(
        refuse, "--api", API, "start", "demo.count", "--param", "n=0", "--param", "x=1", width=80
    )

    assert code == ExitCode.REJECTED
    lines = output.splitlines()
    # Not wrapped at 80 columns: each line whole.
    assert lines[0].startswith("error: HTTP 422 invalid_params from http://api.test/jobs: ")
    assert lines[0].endswith("2 error(s)")
    assert lines[1:] == [
        "  params.n: Input should be greater than or equal to 1",
        "  params.x: Extra inputs are not permitted",
    ]

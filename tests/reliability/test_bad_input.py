"""Bad input at every door of the local stack: each gets its documented 4xx, never a 5xx.

Every refusal the API or the stream function makes itself is JSON ``{"error": {"code", "message"}}``
with the code the contract names. Requests that are not valid HTTP at all (a CR inside a header
value, a header block too large) are refused by the HTTP server before any of our code runs: on
AWS the Function URL front end does the same; here uvicorn answers 400/431, still a 4xx.

CR/LF injection: wherever a value can reach a header or an SSE field -- the job id in the path,
Last-Event-ID, Idempotency-Key, a job type, params strings that end up in event data -- it must
neither add a header nor forge an SSE line.
"""

from __future__ import annotations

import json
import socket
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from jobstream.auth.tokens import TokenSigner
from jobstream_client import CreatedJob, EventStream, JobsAPI
from jobstream_client.sse import SSEParser
from jobstream_local.stack import LocalStack

INJECTED = "X-Injected: 1"


@pytest.fixture(scope="module")
def job(api: JobsAPI) -> CreatedJob:
    """A finished job of 3 events (ids 1..3)."""
    created = api.create("bench.ticks", {"n": 2, "rate": 0})
    assert [e.id for e in EventStream(created.events_url, token=created.token)] == ["1", "2", "3"]
    return created


def refused(response: httpx.Response, status: int, code: str | None) -> None:
    """Our own refusal: the status, JSON error body with ``code``, nothing injected."""
    assert response.status_code == status, (response.status_code, response.text)
    assert "x-injected" not in response.headers
    if code is not None:
        assert response.headers["content-type"].startswith("application/json")
        error = response.json()["error"]
        assert error["code"] == code, error
        assert isinstance(error["message"], str)
        assert error["message"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- the stream -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("last_event_id", "code"),
    [
        ("abc", "invalid_last_event_id"),
        ("-1", "invalid_last_event_id"),
        ("1.5", "invalid_last_event_id"),
        ("0x1", "invalid_last_event_id"),
        ("1e3", "invalid_last_event_id"),
        ("9" * 13, "invalid_last_event_id"),  # longer than any stored id
        ("9" * 4_000, "invalid_last_event_id"),  # huge, but a valid header
        ("4", "invalid_last_event_id"),  # past the job's last event (3)
        ("1, 2", "invalid_last_event_id"),
        ("", None),  # empty means "from the start", as no id at all
    ],
)
def test_a_malformed_or_impossible_last_event_id_is_a_400(
    http: httpx.Client, job: CreatedJob, last_event_id: str, code: str | None
) -> None:
    headers = {**bearer(job.token), "Last-Event-ID": last_event_id}
    response = http.get(job.events_url, headers=headers)
    if code is None:
        assert response.status_code == 200
        return
    refused(response, 400, code)
    # The same value as the query parameter fetch-based clients use.
    query = http.get(
        job.events_url, headers=bearer(job.token), params={"last_event_id": last_event_id}
    )
    refused(query, 400, code)


def test_a_non_ascii_last_event_id_is_a_400(http: httpx.Client, job: CreatedJob) -> None:
    # Arabic-Indic digit three: str.isdigit() says yes, an event id it is not.
    headers = [("Authorization", f"Bearer {job.token}".encode()), ("Last-Event-ID", "٣".encode())]
    refused(http.get(job.events_url, headers=headers), 400, "invalid_last_event_id")
    refused(
        http.get(job.events_url, headers=bearer(job.token), params={"last_event_id": "²"}),
        400,
        "invalid_last_event_id",
    )


def test_stream_token_refusals(
    stack: LocalStack, http: httpx.Client, job: CreatedJob, signer: TokenSigner, api: JobsAPI
) -> None:
    url = job.events_url
    refused(http.get(url), 401, "token_missing")
    refused(http.get(url, headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401, "token_missing")
    refused(http.get(url, headers={"Authorization": "Bearer"}), 401, "token_missing")
    refused(http.get(url, headers=bearer("not-a-token")), 403, "token_invalid")
    refused(
        http.get(url, headers=[("Authorization", "Bearer v1.²³.abc".encode())]),
        403,
        "token_invalid",
    )
    refused(http.get(url, params={"token": "v1.²³.abc"}), 403, "token_invalid")
    refused(http.get(url, headers=bearer("v1." + "9" * 5_000 + ".x")), 403, "token_invalid")
    other = api.create("demo.typewriter", {"text": "other"})
    refused(http.get(url, headers=bearer(other.token)), 403, "token_invalid")
    expired = TokenSigner(signer_key(stack)).issue(job.job_id, ttl_seconds=-60)
    refused(http.get(url, headers=bearer(expired)), 403, "token_invalid")
    refused(http.get(url, params={"token": expired}), 403, "token_invalid")
    # A token that opens no job that exists: 404 only once the token is right for that id.
    unknown = "0" * 32
    unknown_url = url.replace(job.job_id, unknown)
    refused(http.get(unknown_url, headers=bearer(job.token)), 403, "token_invalid")
    refused(
        http.get(unknown_url, headers=bearer(signer.issue(unknown, ttl_seconds=60))),
        404,
        "job_not_found",
    )


def signer_key(stack: LocalStack) -> bytes:
    key = stack.settings.token_key
    assert key is not None
    return key.encode()


@pytest.mark.parametrize(
    "job_id",
    [
        "abc%0D%0Aid:%20999",  # CR LF then an SSE id line
        "abc%0D%0AX-Injected:%201",  # CR LF then a header
        "abc%0Adata:%20x",
        "abc%00",
        "a" * 129,  # longer than any job id
        "%E2%80%A8",  # U+2028
        "..",
    ],
)
def test_a_job_id_that_cannot_be_one_is_a_404_on_every_route(
    stack: LocalStack, http: httpx.Client, job_id: str
) -> None:
    # Sent as raw, percent-encoded path bytes: httpx must not re-encode them.
    for method, suffix, code in (
        ("GET", "/events", "not_found"),
        ("GET", "", "job_not_found"),
        ("POST", "/cancel", "job_not_found"),
    ):
        request = http.build_request(method, f"{stack.url}/jobs/{job_id}{suffix}")
        request.url = request.url.copy_with(raw_path=f"/jobs/{job_id}{suffix}".encode())
        response = http.send(request)
        assert response.status_code < 500, (method, job_id, response.status_code)
        if job_id == "..":
            continue  # resolved by the client or server to another path: any 4xx
        refused(response, 404, code)


def test_a_wrong_method_on_the_stream_is_a_405(http: httpx.Client, job: CreatedJob) -> None:
    response = http.post(job.events_url, headers=bearer(job.token), content=b"{}")
    refused(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET"


# --- the jobs API -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"{", "application/json", 422, "invalid_request"),
        (b"[]", "application/json", 422, "invalid_request"),
        (b'"demo.count"', "application/json", 422, "invalid_request"),
        (b"{}", "application/json", 422, "invalid_request"),
        (b'{"type": ""}', "application/json", 422, "invalid_request"),
        (b'{"type": 5}', "application/json", 422, "invalid_request"),
        (json.dumps({"type": "x" * 129}).encode(), "application/json", 422, "invalid_request"),
        (b'{"type": "demo.count", "params": []}', "application/json", 422, "invalid_request"),
        (b'{"type": "demo.count", "extra": 1}', "application/json", 422, "invalid_request"),
        (b'{"type": "no.such.type"}', "application/json", 400, "unknown_job_type"),
        (
            json.dumps({"type": "demo.count\r\n" + INJECTED}).encode(),
            "application/json",
            400,
            "unknown_job_type",
        ),
        (b'{"type": "demo.count", "params": {"n": -1}}', "application/json", 422, "invalid_params"),
        (
            b'{"type": "demo.count", "params": {"n": "x"}}',
            "application/json",
            422,
            "invalid_params",
        ),
        (
            b'{"type": "demo.count", "params": {"n": 5, "surprise": 1}}',
            "application/json",
            422,
            "invalid_params",
        ),
        # Python's json reads these; JSON has no such numbers (they were a 500).
        (
            b'{"type": "demo.count", "params": {"n": 1e400}}',
            "application/json",
            422,
            "invalid_params",
        ),
        (
            b'{"type": "demo.count", "params": {"n": NaN}}',
            "application/json",
            422,
            "invalid_params",
        ),
        (
            b'{"type": "demo.count", "params": {"x": [-Infinity]}}',
            "application/json",
            422,
            "invalid_params",
        ),
        (b'{"type": "demo.count", "params": {"n": 5}}', "text/plain", 422, "invalid_request"),
        (b"\xff\xfe", "application/json", 422, "invalid_request"),
    ],
)
def test_an_invalid_create_body_is_refused(
    stack: LocalStack, http: httpx.Client, body: bytes, content_type: str, status: int, code: str
) -> None:
    response = http.post(f"{stack.url}/jobs", content=body, headers={"Content-Type": content_type})
    refused(response, status, code)


def test_an_oversize_body_is_a_413_whether_declared_or_chunked(
    stack: LocalStack, http: httpx.Client
) -> None:
    big = json.dumps({"type": "demo.typewriter", "params": {"text": "x" * 200_000}}).encode()
    refused(http.post(f"{stack.url}/jobs", content=big), 413, "payload_too_large")

    def chunks() -> Any:
        for start in range(0, len(big), 8_192):
            yield big[start : start + 8_192]

    refused(http.post(f"{stack.url}/jobs", content=chunks()), 413, "payload_too_large")
    # Under the body limit but over the params limit: the service's own 413.
    params = {"type": "demo.typewriter", "params": {"t": "x" * 66_000}}
    refused(http.post(f"{stack.url}/jobs", json=params), 413, "payload_too_large")


@pytest.mark.parametrize(
    "key",
    [
        "has space",
        "k" * 256,
        "",
        "tab\there",
    ],
)
def test_a_malformed_idempotency_key_is_a_422(
    stack: LocalStack, http: httpx.Client, key: str
) -> None:
    response = http.post(
        f"{stack.url}/jobs",
        json={"type": "demo.typewriter", "params": {}},
        headers={"Idempotency-Key": key},
    )
    refused(response, 422, "invalid_request")


def test_a_non_ascii_idempotency_key_is_a_422(stack: LocalStack, http: httpx.Client) -> None:
    response = http.post(
        f"{stack.url}/jobs",
        json={"type": "demo.typewriter", "params": {}},
        headers=[("Idempotency-Key", "clé".encode())],
    )
    refused(response, 422, "invalid_request")


def test_status_and_cancel_token_refusals(
    stack: LocalStack, http: httpx.Client, job: CreatedJob, signer: TokenSigner, api: JobsAPI
) -> None:
    other = api.create("demo.typewriter", {"text": "other"})
    expired = TokenSigner(signer_key(stack)).issue(job.job_id, ttl_seconds=-60)
    for method, url in (("GET", job.status_url), ("POST", f"{job.status_url}/cancel")):
        refused(http.request(method, url), 401, "token_missing")
        refused(http.request(method, url, headers=bearer("garbage")), 403, "token_invalid")
        refused(http.request(method, url, headers=bearer(other.token)), 403, "token_invalid")
        refused(http.request(method, url, headers=bearer(expired)), 403, "token_invalid")
        refused(http.request(method, url, params={"token": "v1.²³.x"}), 403, "token_invalid")
    unknown = "f" * 32
    # Cancelling needs the job's control token (a view token is refused before any lookup).
    view = signer.issue(unknown, ttl_seconds=60)
    control = signer.issue(unknown, ttl_seconds=60, scope="control")
    for method, suffix, token in (("GET", "", view), ("POST", "/cancel", control)):
        response = http.request(
            method, f"{stack.url}/jobs/{unknown}{suffix}", headers=bearer(token)
        )
        refused(response, 404, "job_not_found")


def test_wrong_methods_and_paths_on_the_api(stack: LocalStack, http: httpx.Client) -> None:
    refused(http.delete(f"{stack.url}/jobs"), 405, "method_not_allowed")
    refused(http.put(f"{stack.url}/jobs/abc"), 405, "method_not_allowed")
    refused(http.get(f"{stack.url}/jobs/abc/nothing"), 404, "not_found")


# --- values that end up in event data --------------------------------------------------------
FORGERY = (
    'a\r\n\r\nid: 999\nevent: complete\ndata: {"forged": true}\n\nretry: 1\r: comment\rdata: x\r\n'
)


def test_params_strings_with_line_breaks_cannot_forge_sse_lines(
    api: JobsAPI, http: httpx.Client
) -> None:
    job = api.create("demo.typewriter", {"text": FORGERY, "chunk_chars": 7, "interval_ms": 0})
    response = http.get(job.events_url, headers=bearer(job.token))
    assert response.status_code == 200
    parser = SSEParser()
    events = parser.feed(response.content)
    # Exactly the job's own events: consecutive ids, our types, no forged id/event/retry.
    assert [int(e.id) for e in events] == list(range(1, len(events) + 1))
    assert {e.event for e in events} <= {"text", "progress", "complete"}
    assert events[-1].event == "complete"
    assert parser.retry == 1_000  # only the server's own retry: field
    text = "".join(json.loads(e.data)["delta"] for e in events if e.event == "text")
    assert text == FORGERY
    # Every line on the wire is a field the server wrote itself.
    for line in response.content.decode().split("\n"):
        assert line == "" or line.split(":", 1)[0] in {"id", "event", "data", "retry", ""}


# --- requests that are not valid HTTP --------------------------------------------------------
def raw_status(url: str, request: bytes) -> int:
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request)
        reply = b""
        while b"\r\n" not in reply:
            data = sock.recv(4096)
            if not data:
                break
            reply += data
    return int(reply.split(b" ", 2)[1])


@pytest.mark.parametrize(
    "header",
    [
        b"Last-Event-ID: 1\rX-Injected: 1",  # a bare CR inside the value
        b"Last-Event-ID: 1\x00",
        b"Idempotency-Key: a\rb",
        b"Last-Event-ID: " + b"9" * 70_000,  # a header block larger than servers accept
    ],
    ids=["cr-in-last-event-id", "nul-in-last-event-id", "cr-in-idempotency-key", "huge-header"],
)
def test_header_injection_is_refused_by_the_http_server(
    stack: LocalStack, job: CreatedJob, header: bytes
) -> None:
    path = urlsplit(job.events_url).path
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {job.token}\r\n".encode()
        + header
        + b"\r\nConnection: close\r\n\r\n"
    )
    status = raw_status(stack.url, request)
    assert 400 <= status < 500, status

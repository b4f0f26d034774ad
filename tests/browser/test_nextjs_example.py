"""The Next.js App Router example (examples/nextjs) in Chromium, against the real local stack under
JOBSTREAM_API_AUTH=jwt with the dev issuer, signed in through Auth.js: start a job, watch it live
(progress bar, status line, items, result), reload mid-run, cancel, the caller's own job list
(refreshed by a finished job), both ways to the stream (through the app, straight to the stream
URL), and the refusals. The streams' timing and windows: test_nextjs_streams.py."""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Error, Page, Request, Response, expect

from tests.browser.chromium import skip_without_chromium
from tests.browser.nextjs_app import ExampleApp, example_app, sign_in

skip_without_chromium()

PATHS = ["proxy", "direct"]


@pytest.fixture(scope="module")
def app() -> Iterator[ExampleApp]:
    with example_app(window_s=45) as running:
        yield running


def choose_path(page: Page, path: str) -> None:
    if path == "direct":
        page.get_by_role("link", name="Straight to the stream URL").click()
        expect(page.get_by_test_id("path")).to_have_text("direct")
        expect(page.get_by_role("link", name="Straight to the stream URL")).to_have_attribute(
            "aria-current", "page"
        )


def start(page: Page, job_type: str, params: dict[str, Any]) -> str:
    expect(page.locator(f"option[value='{job_type}']")).to_be_attached()
    page.get_by_label("Job type").select_option(job_type)
    page.get_by_label("Parameters (JSON)").fill(json.dumps(params))
    before = page.url
    page.get_by_role("button", name="Start job").click()
    page.wait_for_url(lambda url: "job=" in url and url != before)
    job_id = parse_qs(urlsplit(page.url).query)["job"][0]
    expect(page.locator(f"section.job[data-job-id='{job_id}']")).to_be_visible()
    return job_id


def progress_between(page: Page, low: int, high: int) -> None:
    """Until the progress bar's aria-valuenow is in [low, high]: seen mid-run, not at the end."""
    page.wait_for_function(
        """([low, high]) => {
          const bar = document.querySelector('[role=progressbar]');
          const now = bar && Number(bar.getAttribute('aria-valuenow'));
          return bar && bar.hasAttribute('aria-valuenow') && now >= low && now <= high;
        }""",
        arg=[low, high],
        timeout=20_000,
    )


def list_row(page: Page, job_id: str) -> Any:
    return page.get_by_role("list", name="Your jobs").locator(f"li:has(a[data-job-id='{job_id}'])")


def stream_requests(page: Page) -> list[Request]:
    seen: list[Request] = []
    page.on("request", lambda request: seen.append(request) if "/events" in request.url else None)
    return seen


@pytest.mark.parametrize("path", PATHS)
def test_a_job_started_on_the_server_is_watched_live_and_lands_in_the_list(
    page: Page, app: ExampleApp, path: str
) -> None:
    sign_in(page, app)
    choose_path(page, path)
    requests = stream_requests(page)
    job_id = start(page, "demo.batch", {"items": 12, "batch_size": 1, "interval_ms": 250})
    # alice's job: its owner is the dev issuer's alice (issuer and subject).
    assert app.stack.jobs.store.get_job(job_id).owner == f"{app.stack.settings.jwt_issuer}#alice"

    # Mid-run: the bar moves, the status line says so, the list has the job as it was.
    progress_between(page, 1, 99)
    expect(page.get_by_role("status")).to_have_text("Running.")
    expect(list_row(page, job_id)).to_be_visible()

    expect(page.get_by_test_id("status")).to_have_text("succeeded", timeout=30_000)
    bar = page.get_by_role("progressbar", name="Job progress")
    expect(bar).to_have_attribute("aria-valuenow", "100")
    expect(bar).to_have_attribute("aria-valuetext", "100% (12 of 12)")
    expect(page.get_by_role("status")).to_have_text("Finished.")
    expect(page.get_by_test_id("counts")).to_have_text("9 succeeded, 3 failed")
    items = page.get_by_role("list", name="Items").locator("li")
    expect(items).to_have_count(12)
    expect(items.nth(3)).to_have_text("item-4: failed (item 4 is not valid)")
    expect(page.get_by_test_id("result")).to_have_text('{"succeeded":9,"failed":3}')
    expect(page.get_by_role("button", name="Cancel job")).to_be_disabled()
    # The finished job invalidated the list's query: refetched, it says how the job ended.
    expect(list_row(page, job_id).locator(".status")).to_have_text("succeeded")

    # The two ways to the stream: through this app with the session cookie and no token in the
    # browser, or straight to the stream function's URL with the job's own token.
    assert requests, "no stream request was seen"
    for request in requests:
        headers = request.all_headers()
        if path == "proxy":
            assert request.url == f"{app.url}/api/jobs/{job_id}/events"
            assert "authorization" not in headers
        else:
            assert request.url.startswith(f"{app.stack.url}/jobs/{job_id}/events")
            assert headers["authorization"].startswith("Bearer ")
            # The job's token, not the caller's access token (a JWT: base64url JSON, "eyJ...").
            assert not headers["authorization"].removeprefix("Bearer ").startswith("eyJ")
        assert headers.get("viewer-id") == page.get_by_test_id("viewer").inner_text()


def test_phases_and_log_lines_are_shown_and_announced(page: Page, app: ExampleApp) -> None:
    sign_in(page, app)
    start(page, "demo.phases", {"interval_ms": 150})
    # The status line (a polite live region) names the phase; the bar is weighted over phases.
    expect(page.get_by_role("status")).to_have_text("Running: process (phase 2 of 3).")
    expect(page.get_by_test_id("phase")).to_have_text("process (2 of 3)")
    expect(page.get_by_test_id("status")).to_have_text("succeeded", timeout=30_000)
    expect(page.get_by_test_id("result")).to_have_text('{"phases":["download","process","upload"]}')

    start(page, "demo.logs", {"lines": 6, "interval_ms": 250})
    # No total: an indeterminate bar (no aria-valuenow) that still says how much is done.
    bar = page.get_by_role("progressbar", name="Job progress")
    expect(bar).to_have_attribute("aria-valuetext", re.compile(r"^[1-5] done$"))
    assert bar.get_attribute("aria-valuenow") is None
    expect(page.get_by_test_id("status")).to_have_text("succeeded", timeout=30_000)
    log = page.get_by_role("list", name="Log").locator("li")
    expect(log).to_have_count(6)
    expect(log.first).to_contain_text("[info]")


JWT = re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+")


def test_the_access_token_stays_on_the_server(page: Page, app: ExampleApp) -> None:
    bodies: list[str] = []

    def keep(response: Response) -> None:
        if response.url.startswith(app.url) and "/_next/static/" not in response.url:
            # A redirect has no body to read.
            with contextlib.suppress(Error):
                bodies.append(response.text())

    page.on("response", keep)
    sign_in(page, app)
    session = page.evaluate("fetch('/api/auth/session').then((r) => r.json())")
    assert session["user"]["name"] == "alice"
    assert "accessToken" not in json.dumps(session)
    cookie = next(c for c in page.context.cookies() if c["name"] == "next-auth.session-token")
    assert cookie["httpOnly"] is True
    choose_path(page, "direct")
    start(page, "demo.count", {"n": 2, "interval_ms": 10})
    expect(page.get_by_test_id("status")).to_have_text("succeeded", timeout=20_000)
    page.reload()
    expect(page.get_by_test_id("status")).to_have_text("succeeded", timeout=20_000)
    # Pages, RSC payloads, route handlers' answers (job, list, token): no JWT from the issuer in
    # any of them, though every one of those calls was made with the caller's access token.
    assert len(bodies) > 5
    assert [body[:80] for body in bodies if JWT.search(body)] == []


@pytest.mark.parametrize("path", PATHS)
def test_a_reload_mid_run_rebuilds_the_same_view_and_ends_the_older_stream(
    page: Page, app: ExampleApp, path: str
) -> None:
    sign_in(page, app)
    choose_path(page, path)
    job_id = start(page, "demo.batch", {"items": 16, "batch_size": 1, "interval_ms": 300})
    progress_between(page, 20, 60)
    page.reload()
    expect(page.get_by_test_id("path")).to_have_text(path)

    expect(page.get_by_test_id("status")).to_have_text("succeeded", timeout=30_000)
    items = page.get_by_role("list", name="Items").locator("li")
    expect(items).to_have_count(16)
    expect(items).to_contain_text([f"item-{i}: " for i in range(1, 17)])
    total = app.stack.jobs.store.get_job(job_id).last_event_id
    # Every event folded in once: the replay after the reload rebuilt the view, nothing twice.
    expect(page.get_by_test_id("events")).to_have_text(str(total))
    # The same tab's viewer id went with the new stream, so the older one ended on the server.
    deadline = time.monotonic() + 10
    while "superseded" not in [s.reason for s in app.streams.of(job_id)]:
        assert time.monotonic() < deadline, [s.reason for s in app.streams.of(job_id)]
        time.sleep(0.2)


@pytest.mark.parametrize("path", PATHS)
def test_cancel_stops_the_job_and_the_list_says_so(page: Page, app: ExampleApp, path: str) -> None:
    sign_in(page, app)
    choose_path(page, path)
    job_id = start(page, "demo.count", {"n": 200, "interval_ms": 100})
    progress_between(page, 1, 50)
    page.get_by_role("button", name="Cancel job").click()
    expect(page.get_by_test_id("status")).to_have_text("cancelled", timeout=20_000)
    expect(page.get_by_role("status")).to_have_text("Cancelled.")
    expect(page.get_by_role("button", name="Cancel job")).to_be_disabled()
    expect(list_row(page, job_id).locator(".status")).to_have_text("cancelled")
    assert app.stack.jobs.store.get_job(job_id).status.value == "cancelled"


def test_the_list_holds_the_callers_own_jobs_and_anothers_job_does_not_open(
    page: Page, app: ExampleApp
) -> None:
    issuer = app.stack.dev_issuer
    assert issuer is not None
    created = httpx.post(
        f"{app.stack.url}/jobs",
        json={"type": "demo.count", "params": {"n": 2, "interval_ms": 10}},
        headers={"Authorization": f"Bearer {issuer.access_token('alice')}"},
    )
    assert created.status_code == 201, created.text
    alices = created.json()["job_id"]

    sign_in(page, app, "bob")
    job_id = start(page, "demo.count", {"n": 2, "interval_ms": 10})
    expect(page.get_by_test_id("status")).to_have_text("succeeded", timeout=20_000)
    rows = page.get_by_role("list", name="Your jobs").locator("li")
    expect(list_row(page, job_id)).to_be_visible()
    assert alices not in [row.get_attribute("data-job-id") for row in rows.locator("a").all()]

    # Alice's job, opened by bob: the stream (through the app) stops with the API's 404, said
    # in the status line; straight to the stream, the token is refused first, said in an alert.
    page.goto(f"{app.url}/?job={alices}")
    expect(page.get_by_role("status")).to_have_text(
        f"The stream stopped: job '{alices}' does not exist (or has expired)", timeout=15_000
    )
    page.goto(f"{app.url}/?job={alices}&via=direct")
    expect(page.locator("section.job").get_by_role("alert")).to_have_text(
        f"job '{alices}' does not exist (or has expired)"
    )


def test_route_handlers_refuse_a_caller_who_is_not_signed_in(app: ExampleApp) -> None:
    for method, path in [
        ("GET", "/api/jobs"),
        ("POST", "/api/jobs"),
        ("GET", "/api/jobs/abc/events"),
        ("POST", "/api/jobs/abc/token"),
        ("POST", "/api/jobs/abc/cancel"),
        ("GET", "/api/job-types"),
    ]:
        response = httpx.request(method, f"{app.url}{path}", json={})
        assert response.status_code == 401, (path, response.text)
        assert response.json()["error"]["code"] == "signed_out"


def test_a_bad_start_is_said_next_to_the_form(page: Page, app: ExampleApp) -> None:
    sign_in(page, app)
    # A type's params start from its schema's examples (a pace a person can watch).
    expect(page.locator("option[value='demo.count']")).to_be_attached()
    page.get_by_label("Job type").select_option("demo.count")
    expect(page.get_by_label("Parameters (JSON)")).to_have_value('{"n":80,"interval_ms":1000}')
    page.get_by_label("Job type").select_option("demo.batch")
    page.get_by_label("Parameters (JSON)").fill("{not json")
    page.get_by_role("button", name="Start job").click()
    expect(page.locator("#form-error")).to_have_text(
        'Parameters must be JSON, for example {"items": 20}.'
    )
    # Valid JSON the API refuses (items must be >= 1): the API's own words, per field.
    page.get_by_label("Parameters (JSON)").fill('{"items": 0}')
    page.get_by_role("button", name="Start job").click()
    expect(page.locator("#form-error")).to_have_text(
        "invalid params for job type 'demo.batch': 1 error(s); "
        "items: Input should be greater than or equal to 1"
    )
    expect(page.locator("section.job")).to_have_count(0)

"""The demo page and the React hook (useJobStream with the package's tokenRefresher, on the Vite
test page) in Chromium against the REAL local stack with two-second view tokens: a job that runs
several token lifetimes is followed to its end, across stream deadlines (and a reload), with fresh
tokens from POST /jobs/{id}/token (the job's control token, ApiAuth none) and no event lost or
repeated. Without the refreshes the first reconnect after two seconds would be refused (403)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Page, Request, expect

from jobstream.settings import Settings
from jobstream_local.stack import LocalStack
from tests.browser.chromium import skip_without_chromium
from tests.browser.test_full_stack import (
    JOB_TIMEOUT_MS,
    RECORD_RENDERED_IDS,
    reconnects,
    recorded_ids,
    start,
)
from tests.browser.test_react_hook import REACT_PAGE, view, wait_view

skip_without_chromium()

TOKEN_TTL_S = 2


@pytest.fixture(scope="module")
def short_token_stack() -> Iterator[LocalStack]:
    settings = Settings(
        table=f"jobstream-browser-{uuid.uuid4().hex[:8]}", token_ttl_seconds=TOKEN_TTL_S
    )
    with LocalStack(port=0, function_timeout_s=3, stream_timeout_s=3, settings=settings) as local:
        yield local


@pytest.fixture
def demo(page: Page, short_token_stack: LocalStack) -> Page:
    page.add_init_script(RECORD_RENDERED_IDS)
    page.goto(f"{short_token_stack.url}/")
    expect(page.locator("#job-type option[value='demo.count']")).to_be_attached()
    return page


def test_the_demo_follows_a_job_longer_than_its_tokens_live(demo: Page) -> None:
    minted: list[str] = []
    stream_tokens: list[str] = []

    def seen(request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/token"):
            minted.append(request.headers.get("authorization", ""))
        if request.url.endswith("/events") or "/events?" in request.url:
            stream_tokens.append(request.headers.get("authorization", ""))

    demo.on("request", seen)
    n = 30
    start(demo, "demo.count", {"n": n, "interval_ms": 200})
    # Past the first token's life, then a reload: the page starts again from sessionStorage.
    demo.wait_for_timeout((TOKEN_TTL_S + 1) * 1000)
    demo.reload()

    bar = demo.get_by_role("progressbar", name="Progress")
    expect(bar).to_have_attribute("aria-valuenow", "100", timeout=JOB_TIMEOUT_MS)
    expect(demo.locator("#job-badge")).to_have_text("succeeded")
    ids = recorded_ids(demo)
    # Every event once per page load: the reload replays the log from its first event.
    assert ids[-(n + 1) :] == list(range(1, n + 2))
    assert reconnects(demo) >= 1
    assert len(minted) >= 2
    # Refreshed with the control token, in the header; never a control token on the stream.
    assert all(".control." in header for header in minted)
    assert stream_tokens
    assert all(".view." in header for header in stream_tokens)
    assert "control" not in demo.url


def test_the_react_hook_refreshes_with_the_package_token_refresher(
    page: Page, short_token_stack: LocalStack
) -> None:
    assert REACT_PAGE.is_file(), "build the React test page with `make web`"
    n = 30
    created = httpx.post(
        f"{short_token_stack.url}/jobs",
        json={"type": "demo.count", "params": {"n": n, "interval_ms": 200}},
    ).json()
    minted: list[str] = []
    streamed: list[str] = []

    def seen(request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/token"):
            minted.append(request.headers.get("authorization", ""))
        if "/events" in request.url:
            streamed.append(request.headers.get("authorization", ""))

    page.on("request", seen)
    # The control token reaches the page as an app holds it (in memory), never in its URL.
    real_api = {
        "baseUrl": short_token_stack.url,
        "jobId": created["job_id"],
        "controlToken": created["control_token"],
    }
    page.add_init_script(f"window.jobstreamApi = {json.dumps(real_api)};")
    query = urlencode({"events_url": created["events_url"], "token": created["token"]})
    page.goto(f"{short_token_stack.url}/test-app/dist/index.html?{query}")

    wait_view(page, "view.status === 'succeeded'", timeout_ms=JOB_TIMEOUT_MS)
    shown = view(page)
    assert shown["events"] == n + 1
    assert shown["end"] is None
    assert len(minted) >= 2
    assert all(".control." in header for header in minted)
    assert len(streamed) >= 2
    assert all(".view." in header for header in streamed)
    assert len(set(streamed)) >= 2  # the stream really went on with fresh tokens

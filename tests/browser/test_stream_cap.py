"""The per-job cap on live streams in Chromium, against the real local stack: the browser package
waits a 429's Retry-After and then gets every event once; a native EventSource gives up on a 429
for good (what docs/frontend.md says); and a reload of the demo page replaces its stream instead of
counting twice against the cap."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from jobstream.settings import Settings
from jobstream_client.sse import SSEParser
from jobstream_local.stack import LocalStack
from tests.browser.chromium import skip_without_chromium
from tests.browser.native_eventsource import follow_like_the_docs

skip_without_chromium()

WINDOW_S = 3
JOB_TIMEOUT_MS = 30_000

SUBSCRIBE_AT_THE_CAP = """
async ({ url, token }) => {
  const { subscribe } = await import("/jobstream-client.js");
  const ids = [];
  const refusals = [];
  const result = await subscribe(url, {
    token,
    viewerId: "tab-under-test",
    onEvent: (event) => ids.push(Number(event.id)),
    onError: (error, info) => {
      if (info.status === 429) refusals.push({ delayMs: info.delayMs, code: error.body?.code });
    },
  });
  return { reason: result.reason, ids, refusals };
}
"""


@pytest.fixture(scope="module")
def local_stack() -> Iterator[LocalStack]:
    settings = Settings(
        table=f"jobstream-cap-{uuid.uuid4().hex[:8]}",
        stream_max_per_job=1,
        stream_window_seconds=WINDOW_S,
    )
    with LocalStack(port=0, function_timeout_s=20, stream_timeout_s=30, settings=settings) as s:
        yield s


def create(stack: LocalStack, n: int, interval_ms: int) -> dict[str, Any]:
    created: dict[str, Any] = httpx.post(
        f"{stack.url}/jobs",
        json={"type": "demo.count", "params": {"n": n, "interval_ms": interval_ms}},
    ).json()
    return created


def hold_the_slot(url: str, token: str) -> threading.Thread:
    """Another viewer (no viewer id) reading one connection to its end (its window)."""
    opened = threading.Event()

    def read() -> None:
        with (
            httpx.Client(timeout=30) as client,
            client.stream("GET", url, headers={"Authorization": f"Bearer {token}"}) as response,
        ):
            opened.set()
            parser = SSEParser()
            for chunk in response.iter_raw():
                parser.feed(chunk)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    assert opened.wait(10)
    return thread


def test_the_browser_package_waits_retry_after_and_gets_every_event(
    page: Page, local_stack: LocalStack
) -> None:
    n = 30
    created = create(local_stack, n, 150)
    holder = hold_the_slot(created["events_url"], created["token"])
    page.goto(f"{local_stack.url}/")

    outcome = page.evaluate(
        SUBSCRIBE_AT_THE_CAP, {"url": created["events_url"], "token": created["token"]}
    )

    assert outcome["reason"] == "terminal"
    assert outcome["ids"] == list(range(1, n + 2))
    assert outcome["refusals"], "the browser never met the cap"
    for refusal in outcome["refusals"]:
        assert refusal["code"] == "too_many_streams"
        assert refusal["delayMs"] >= 1000  # Retry-After is at least 1 s
    holder.join(10)


def test_a_native_eventsource_gives_up_on_a_429(page: Page, local_stack: LocalStack) -> None:
    created = create(local_stack, 30, 150)
    holder = hold_the_slot(created["events_url"], created["token"])
    page.goto(f"{local_stack.url}/")

    outcome = follow_like_the_docs(page, f"{created['events_url']}?token={created['token']}")

    # Any status but 200 closes an EventSource for good: no event, no reconnect.
    assert outcome["how"] == "closed"
    assert outcome["seen"] == []
    holder.join(10)


def test_reloading_the_demo_page_replaces_its_stream_within_the_cap(
    page: Page, local_stack: LocalStack
) -> None:
    page.goto(f"{local_stack.url}/")
    expect(page.locator("#job-type option[value='demo.count']")).to_be_attached()
    page.get_by_label("Job type", exact=True).select_option("demo.count")
    page.get_by_label("Parameters (JSON)").fill('{"n": 60, "interval_ms": 100}')
    page.get_by_role("button", name="Start job").click()
    page.wait_for_function(
        "() => Number(document.getElementById('progress').getAttribute('aria-valuenow')) >= 10",
        timeout=JOB_TIMEOUT_MS,
    )
    statuses: list[int] = []
    page.on(
        "response",
        lambda response: statuses.append(response.status) if "/events" in response.url else None,
    )
    # The cap is 1: the reloaded page gets in at once only because its stream (same tab, same
    # viewer id) replaces the one the first page load left running on the server; without that
    # it would be told 429 until the old stream's window ended.
    page.reload()
    expect(page.get_by_role("progressbar", name="Progress")).to_have_attribute(
        "aria-valuenow", "100", timeout=JOB_TIMEOUT_MS
    )
    assert statuses
    assert 429 not in statuses

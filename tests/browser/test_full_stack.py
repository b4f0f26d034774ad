"""The demo page and the browser's own EventSource in Chromium against the REAL local stack.

One LocalStack for the module: the jobs API, the stream function behind the local Function URL and
web/ on one origin, an embedded DynamoDB and the worker in threads. Its timeouts are short on
purpose: a 3 s function timeout makes a job of a few seconds run as several worker chunks, and a
4 s stream timeout makes every viewer see the stream end at its deadline and resume with
Last-Event-ID, as on Lambda, only sooner.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from jobstream.settings import Settings
from jobstream.store.models import JobStatus
from jobstream_local.stack import LocalStack
from tests.browser.chromium import skip_without_chromium
from tests.browser.demo_view import assert_continues, shown_view, wait_for_event
from tests.browser.native_eventsource import follow_like_the_docs

skip_without_chromium()

FUNCTION_TIMEOUT_S = 3.0
STREAM_TIMEOUT_S = 4.0
# Generous: a job of ~4 s plus reconnect delays (the server's retry: is 1 s) on a loaded machine.
JOB_TIMEOUT_MS = 30_000

# Every event row the demo page renders, recorded as it is added, into sessionStorage: the record
# survives a reload, and a MutationObserver callback runs before the page can unload, so no row
# rendered by any page load of the tab escapes it.
RECORD_RENDERED_IDS = """
(() => {
  const KEY = "test.rendered";
  const record = (mutations) => {
    const ids = JSON.parse(sessionStorage.getItem(KEY) ?? "[]");
    for (const mutation of mutations) {
      for (const node of mutation.addedNodes) {
        if (node.dataset?.eventId) ids.push(Number(node.dataset.eventId));
      }
    }
    sessionStorage.setItem(KEY, JSON.stringify(ids));
  };
  document.addEventListener("DOMContentLoaded", () => {
    new MutationObserver(record).observe(document.getElementById("event-list"), {
      childList: true,
    });
  });
})();
"""


# The demo page on both worker drivers (JOBSTREAM_DRIVER=chain | durable).
@pytest.fixture(scope="module", params=["chain", "durable"])
def local_stack(request: pytest.FixtureRequest) -> Iterator[LocalStack]:
    settings = Settings(table=f"jobstream-browser-{uuid.uuid4().hex[:8]}", driver=request.param)
    with LocalStack(
        port=0,
        function_timeout_s=FUNCTION_TIMEOUT_S,
        stream_timeout_s=STREAM_TIMEOUT_S,
        settings=settings,
    ) as local:
        yield local


@pytest.fixture
def demo(page: Page, local_stack: LocalStack) -> Page:
    page.add_init_script(RECORD_RENDERED_IDS)
    page.goto(f"{local_stack.url}/")
    # The select is filled from GET /jobs/types once the API answered.
    expect(page.locator("#job-type option[value='demo.typewriter']")).to_be_attached()
    return page


def start(page: Page, job_type: str, params: dict[str, Any] | None = None) -> str:
    page.get_by_label("Job type", exact=True).select_option(job_type)
    if params is not None:
        page.get_by_label("Parameters (JSON)").fill(json.dumps(params))
    page.get_by_role("button", name="Start job").click()
    expect(page.locator("#job-id")).not_to_be_empty()
    job_id = page.locator("#job-id").inner_text()
    assert job_id
    return job_id


def progress_at_least(page: Page, percent: int) -> None:
    page.wait_for_function(
        "(p) => Number(document.getElementById('progress').getAttribute('aria-valuenow')) >= p",
        arg=percent,
        timeout=JOB_TIMEOUT_MS,
    )


def rendered_ids(page: Page) -> list[int]:
    """Ids of the rows on screen now (this page load)."""
    ids: list[int] = page.eval_on_selector_all(
        "#event-list li", "rows => rows.map((row) => Number(row.dataset.eventId))"
    )
    return ids


def recorded_ids(page: Page) -> list[int]:
    """Ids of every row rendered in this tab, across reloads, in order."""
    ids: list[int] = json.loads(page.evaluate("sessionStorage.getItem('test.rendered') ?? '[]'"))
    return ids


def reconnects(page: Page) -> int:
    return int(page.locator("#reconnects").inner_text())


def test_demo_count_reaches_100_percent_across_chunks_and_stream_deadlines(
    demo: Page, local_stack: LocalStack
) -> None:
    n = 40
    job_id = start(demo, "demo.count", {"n": n, "interval_ms": 100})

    bar = demo.get_by_role("progressbar", name="Progress")
    expect(bar).to_have_attribute("aria-valuenow", "100", timeout=JOB_TIMEOUT_MS)
    expect(demo.locator("#job-badge")).to_have_text("succeeded")
    expect(demo.get_by_role("status")).to_have_text("Job complete.")
    assert json.loads(demo.locator("#result").inner_text()) == {"count": n}
    expect(bar).to_have_attribute("aria-valuetext", f"{n} of {n} (100%)")

    # n progress events and complete, each once, in order.
    assert recorded_ids(demo) == list(range(1, n + 2))
    assert rendered_ids(demo) == list(range(1, n + 2))
    # It really ran as several worker chunks, and the page really followed the stream across
    # at least one deadline close.
    job = local_stack.jobs.store.get_job(job_id)
    assert job.status is JobStatus.SUCCEEDED
    if local_stack.settings.driver == "chain":
        assert job.hops >= 2
    else:
        assert job.execution_id is not None  # one durable execution, over several invocations
    assert reconnects(demo) >= 1


def test_a_dropped_connection_resumes_with_no_lost_or_repeated_event(demo: Page) -> None:
    n = 30
    start(demo, "demo.count", {"n": n, "interval_ms": 100})
    progress_at_least(demo, 20)
    demo.get_by_role("button", name="Drop connection").click()

    expect(demo.get_by_role("progressbar", name="Progress")).to_have_attribute(
        "aria-valuenow", "100", timeout=JOB_TIMEOUT_MS
    )
    expect(demo.locator("#job-badge")).to_have_text("succeeded")
    assert recorded_ids(demo) == list(range(1, n + 2))
    assert reconnects(demo) >= 1


def test_cancel_stops_the_job_below_100_percent(demo: Page, local_stack: LocalStack) -> None:
    job_id = start(demo, "demo.count", {"n": 200, "interval_ms": 100})
    progress_at_least(demo, 3)
    demo.get_by_role("button", name="Cancel job").click()

    expect(demo.locator("#job-badge")).to_have_text("cancelled", timeout=JOB_TIMEOUT_MS)
    expect(demo.get_by_role("status")).to_have_text("The job was cancelled.")
    ids = recorded_ids(demo)
    assert ids == list(range(1, len(ids) + 1))
    assert demo.locator("#event-list li").last.get_attribute("data-event-type") == "cancelled"
    percent = demo.get_by_role("progressbar").get_attribute("aria-valuenow")
    assert percent is not None
    assert int(percent) < 100
    expect(demo.get_by_role("button", name="Cancel job")).to_be_disabled()
    job = local_stack.jobs.store.get_job(job_id)
    assert job.status is JobStatus.CANCELLED
    assert job.last_event_id == ids[-1]


def test_a_reload_mid_job_replays_the_log_and_rebuilds_the_view(demo: Page) -> None:
    n = 40
    job_id = start(demo, "demo.count", {"n": n, "interval_ms": 100})
    progress_at_least(demo, 30)
    demo.reload()

    expect(demo.get_by_role("progressbar", name="Progress")).to_have_attribute(
        "aria-valuenow", "100", timeout=JOB_TIMEOUT_MS
    )
    expect(demo.locator("#job-badge")).to_have_text("succeeded")
    expect(demo.locator("#job-id")).to_have_text(job_id)
    # This page load replayed the job's log from its first event, each event once...
    assert rendered_ids(demo) == list(range(1, n + 2))
    # ...and the one before it had rendered a gapless start of the same log.
    recorded = recorded_ids(demo)
    first_load = recorded[: len(recorded) - (n + 1)]
    assert first_load == list(range(1, len(first_load) + 1))
    assert len(first_load) >= n * 30 // 100
    stored = json.loads(demo.evaluate("sessionStorage.getItem('jobstream.demo.job')"))
    assert stored["job_id"] == job_id
    assert "lastEventId" not in stored


def test_demo_batch_shows_the_same_items_counts_and_log_after_a_reload(demo: Page) -> None:
    start(demo, "demo.batch", {"items": 30, "batch_size": 2, "fail_every": 4, "interval_ms": 150})
    demo.wait_for_function(
        "() => document.querySelectorAll('#item-list li').length >= 8", timeout=JOB_TIMEOUT_MS
    )
    before = shown_view(demo)
    assert before["badge"] == "running"
    demo.reload()
    wait_for_event(demo, int(before["last_event_id"]), JOB_TIMEOUT_MS)
    assert_continues(before, shown_view(demo))

    expect(demo.locator("#job-badge")).to_have_text("succeeded", timeout=JOB_TIMEOUT_MS)
    finished = shown_view(demo)
    assert finished["counts"] == [23, 7]
    assert len(finished["items"]) == 30
    assert finished["failed_items"] == [
        f"✗ item-{i} — item {i} is not valid" for i in (4, 8, 12, 16, 20, 24, 28)
    ]
    assert json.loads(finished["result"]) == {"succeeded": 23, "failed": 7}

    # After the end: a reload shows exactly the same view (the stream replays, no 204).
    demo.reload()
    expect(demo.locator("#job-badge")).to_have_text("succeeded", timeout=JOB_TIMEOUT_MS)
    expect(demo.locator("#connection-state")).to_have_text("closed")
    assert shown_view(demo) == finished


def test_demo_typewriter_streams_its_text_inline(demo: Page, local_stack: LocalStack) -> None:
    job_id = start(demo, "demo.typewriter", {"text": "Hello, streaming world ✓", "chunk_chars": 3})

    expect(demo.locator("#job-badge")).to_have_text("succeeded", timeout=JOB_TIMEOUT_MS)
    expect(demo.locator("#text-output")).to_have_text("Hello, streaming world ✓")
    assert json.loads(demo.locator("#result").inner_text()) == {"chars": 24}
    ids = recorded_ids(demo)
    assert ids == list(range(1, len(ids) + 1))
    assert local_stack.jobs.store.get_job(job_id).mode.value == "inline"


def test_native_eventsource_with_a_query_token_resumes_across_deadline_closes(
    page: Page, local_stack: LocalStack
) -> None:
    n = 40
    created = httpx.post(
        f"{local_stack.url}/jobs",
        json={"type": "demo.count", "params": {"n": n, "interval_ms": 100}},
    ).json()
    page.goto(f"{local_stack.url}/")  # same origin as the stream

    outcome = follow_like_the_docs(page, f"{created['events_url']}?token={created['token']}")

    assert outcome["how"] == "complete"
    # Several connections (the stream ends at its deadline every ~3 s, which also fires an `error`
    # Event the listener must not take for the job's end), and because the browser sent
    # Last-Event-ID on each reconnect, the server carried on after it: nothing lost or repeated.
    assert outcome["opens"] >= 2
    assert [int(event["id"]) for event in outcome["seen"]] == list(range(1, n + 2))
    assert outcome["seen"][-1]["data"] == {"result": {"count": n}}

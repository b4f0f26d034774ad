"""The Next.js example's stream proxy (examples/nextjs/lib/stream-proxy.ts) through `next start`:
events spaced in time arrive spaced in time (not in one burst at the end), the buffering variant
kept in the example (the upstream body read whole) fails that same check, and a stream that the
server ends at each window resumes exactly through the proxy (Last-Event-ID forwarded), and
straight from the stream URL with job tokens that expire in between (renewed by the page before
they do)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.chromium import skip_without_chromium
from tests.browser.nextjs_app import ExampleApp, example_app, sign_in

skip_without_chromium()

# For the resume tests: short windows, so that a few seconds of job cross several server-ended
# connections, and job tokens that expire before the first window ends, so the direct path must
# renew its token. The spacing tests read one connection, so their stack keeps the default window
# (45 s): a window ending mid-measurement (a loaded machine starts the job late) would cut it.
WINDOW_S = 4.0
TOKEN_TTL_S = 2.0
STEP_MS = 300
STEPS = 6

# In the signed-in page: create a demo.count job through the app, then read `url` (JOB replaced
# by its id) with fetch, noting when each read arrived and how many events (id: lines) it held.
MEASURE = """
async ([url, params]) => {
  const created = await fetch('/api/jobs', {
    method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({type: 'demo.count', params}),
  }).then((r) => r.json());
  const started = performance.now();
  const response = await fetch(url.replace('JOB', created.job_id));
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const reads = [];
  for (;;) {
    const {done, value} = await reader.read();
    if (done) break;
    const events = (decoder.decode(value, {stream: true}).match(/^id:/gm) || []).length;
    reads.push([performance.now() - started, events]);
  }
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers.entries()),
    reads,
  };
}
"""


@pytest.fixture(scope="module")
def app() -> Iterator[ExampleApp]:
    with example_app(window_s=45) as running:
        yield running


@pytest.fixture(scope="module")
def windowed_app() -> Iterator[ExampleApp]:
    with example_app(window_s=WINDOW_S, token_ttl_s=TOKEN_TTL_S) as running:
        yield running


def spaced_in_time(reads: list[tuple[float, int]], step_ms: float) -> bool:
    """Events that were written ``step_ms`` apart arrived apart: in at least half as many reads
    as there were events, the first and the last at least half the job's run apart."""
    arrivals = [at for at, events in reads for _ in range(events)]
    if len(arrivals) < 2:
        return False
    reads_with_events = sum(1 for _, events in reads if events)
    span = arrivals[-1] - arrivals[0]
    return reads_with_events >= len(arrivals) // 2 and span >= 0.5 * (len(arrivals) - 1) * step_ms


def measure(page: Page, url: str) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(MEASURE, [url, {"n": STEPS, "interval_ms": STEP_MS}])
    return result


def test_the_spacing_check_tells_a_burst_from_a_stream() -> None:
    steady = [(100.0 + 300 * i, 1) for i in range(7)]
    assert spaced_in_time(steady, 300)
    assert not spaced_in_time([(2000.0, 7)], 300)
    assert not spaced_in_time([(10.0, 0), (2000.0, 6), (2001.0, 1)], 300)
    assert not spaced_in_time([(0.0, 1)], 300)


def test_the_proxied_stream_arrives_event_by_event(page: Page, app: ExampleApp) -> None:
    sign_in(page, app)
    result = measure(page, "/api/jobs/JOB/events")
    assert result["status"] == 200
    # STEPS progress events and the terminal one, each in time.
    assert sum(events for _, events in result["reads"]) == STEPS + 1
    assert spaced_in_time(result["reads"], STEP_MS), result["reads"]
    headers = result["headers"]
    assert headers["content-type"].startswith("text/event-stream")
    assert headers["cache-control"] == "no-cache, no-transform"
    assert headers["x-accel-buffering"] == "no"
    # Chromium asked for gzip; no-transform kept `next start` from compressing the stream.
    assert "content-encoding" not in headers


def test_the_buffering_variant_fails_the_spacing_check(page: Page, app: ExampleApp) -> None:
    sign_in(page, app)
    result = measure(page, "/api/jobs/JOB/events-buffered")
    assert result["status"] == 200
    # Every event arrives, all at once, when the job has ended.
    assert sum(events for _, events in result["reads"]) == STEPS + 1
    assert not spaced_in_time(result["reads"], STEP_MS), result["reads"]


@pytest.mark.parametrize("path", ["proxy", "direct"])
def test_a_stream_ended_at_each_window_resumes_exactly(
    page: Page, windowed_app: ExampleApp, path: str
) -> None:
    app = windowed_app
    sign_in(page, app)
    if path == "direct":
        page.get_by_role("link", name="Straight to the stream URL").click()
        expect(page.get_by_test_id("path")).to_have_text("direct")
    refusals: list[int] = []
    renewals: list[str] = []
    page.on(
        "response",
        lambda r: (
            refusals.append(r.status) if "/events" in r.url and r.status in (401, 403) else None
        ),
    )
    page.on("request", lambda r: renewals.append(r.url) if r.url.endswith("/token") else None)
    page.get_by_label("Job type").select_option("demo.count")
    page.get_by_label("Parameters (JSON)").fill('{"n": 40, "interval_ms": 250}')
    page.get_by_role("button", name="Start job").click()
    page.wait_for_url("**/?job=*")
    job_id = page.locator("section.job").get_attribute("data-job-id")
    assert job_id
    expect(page.get_by_test_id("status")).to_have_text("succeeded", timeout=40_000)
    total = app.stack.jobs.store.get_job(job_id).last_event_id
    expect(page.get_by_test_id("events")).to_have_text(str(total))
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuetext", "100% (40 of 40)")

    # The server ended connections at its windows, and each next one began right after the last
    # event the one before delivered: every event once, in order.
    deadline = time.monotonic() + 10
    while True:
        streams = sorted(app.streams.of(job_id), key=lambda s: s.start_id)
        if streams and streams[-1].reason == "terminal":
            break
        assert time.monotonic() < deadline, [(s.start_id, s.last_id, s.reason) for s in streams]
        time.sleep(0.2)
    assert [s.reason for s in streams].count("window") >= 1
    assert streams[0].start_id == 0
    for before, after in pairwise(streams):
        assert after.start_id == before.last_id, [(s.start_id, s.last_id) for s in streams]
    assert streams[-1].last_id == total
    assert sum(s.events for s in streams) == total
    if path == "direct":
        # Job tokens lived 2 s, less than a window: before each reconnect the page saw (from the
        # token itself) that its token was about to expire and got a fresh one from its server
        # (POST /api/jobs/{id}/token), so the stream never refused one.
        assert refusals == []
        assert renewals.count(f"{app.url}/api/jobs/{job_id}/token") >= len(streams) - 1
    else:
        # Through the app the browser never holds a job token: nothing to refuse or renew.
        assert refusals == []
        assert renewals == []

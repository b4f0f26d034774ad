"""The browser's own EventSource against the stream endpoint, authenticated with ?token=.

What the fetch client does by hand, EventSource does natively: reconnect after the body ends or
breaks, sending Last-Event-ID (a header the page cannot set itself), and close for good on 204.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from tests.browser.chromium import skip_without_chromium
from tests.browser.fake_stack import FakeStack
from tests.browser.native_eventsource import follow_like_the_docs

skip_without_chromium()

FOLLOW_WITH_EVENTSOURCE = """
(url) => new Promise((resolve) => {
  const source = new EventSource(url);
  const seen = [];
  let opens = 0;
  const done = (how) => {
    source.close();
    resolve({ how, seen, opens, readyState: source.readyState });
  };
  source.onopen = () => { opens += 1; };
  for (const type of ["progress", "log", "complete", "message"]) {
    source.addEventListener(type, (event) => {
      seen.push({ id: event.lastEventId, type: event.type, data: JSON.parse(event.data) });
      if (type === "complete") done("complete");
    });
  }
  source.onerror = () => {
    // CLOSED: the browser gave up for good (204, 4xx); CONNECTING: it is about to retry.
    if (source.readyState === EventSource.CLOSED) done("closed");
  };
  setTimeout(() => done("timeout"), 15000);
})
"""


def follow(page: Page, url: str) -> dict[str, Any]:
    outcome: dict[str, Any] = page.evaluate(FOLLOW_WITH_EVENTSOURCE, url)
    return outcome


def test_eventsource_follows_the_stream_across_drops_with_a_query_token(
    blank_page: Page, stack: FakeStack
) -> None:
    events: list[tuple[str, dict[str, Any]]] = [
        ("progress", {"done": i, "total": 30, "percent": 100 * i / 30}) for i in range(1, 31)
    ]
    events.insert(15, ("log", {"message": "halfway ✓", "level": "info"}))
    events.append(("complete", {"result": {"ok": True}}))
    job = stack.add_job(
        events, interval_s=0.003, drops={8: "end", 20: "abort"}, heartbeat_every=5, retry_ms=20
    )
    outcome = follow(blank_page, f"{stack.events_url(job)}?token={job.token}")

    assert outcome["how"] == "complete"
    assert [int(e["id"]) for e in outcome["seen"]] == list(range(1, 33))
    assert outcome["seen"][15] == {
        "id": "16",
        "type": "log",
        "data": {"message": "halfway ✓", "level": "info"},
    }
    assert outcome["opens"] == 3
    assert [c.last_event_id for c in job.connections] == [None, "8", "20"]
    assert all(c.query_token == job.token for c in job.connections)
    assert all(c.authorization is None for c in job.connections)


def test_eventsource_stops_for_good_on_204(blank_page: Page, stack: FakeStack) -> None:
    job = stack.add_job([("complete", {"result": None})])
    outcome = follow(blank_page, f"{stack.events_url(job)}?token={job.token}&last_event_id=1")
    assert outcome["how"] == "closed"
    assert outcome["seen"] == []
    assert outcome["opens"] == 0
    assert [c.status for c in job.connections] == [204]


def test_eventsource_without_a_token_is_refused(blank_page: Page, stack: FakeStack) -> None:
    job = stack.add_job([("complete", {"result": None})])
    outcome = follow(blank_page, stack.events_url(job))
    assert outcome["how"] == "closed"
    assert [c.status for c in job.connections] == [401]


def test_eventsource_as_the_docs_show_resumes_after_the_in_band_failure_notice(
    blank_page: Page, stack: FakeStack
) -> None:
    """The notice is an `error` MessageEvent like the job's own failure; `retryable` tells them
    apart, and the browser resumes after it with Last-Event-ID on its own."""
    events: list[tuple[str, dict[str, Any]]] = [
        ("progress", {"done": i, "total": 10, "percent": 10 * i}) for i in range(1, 6)
    ]
    events.append(("error", {"message": "The job failed: step 6 raised."}))
    job = stack.add_job(events, interval_s=0.003, drops={3: "failure_notice"}, retry_ms=20)

    outcome = follow_like_the_docs(blank_page, f"{stack.events_url(job)}?token={job.token}")

    assert outcome["how"] == "error"
    assert outcome["failure"] == "The job failed: step 6 raised."
    assert [int(e["id"]) for e in outcome["seen"]] == [1, 2, 3, 4, 5, 6]
    assert outcome["opens"] == 2
    assert [c.last_event_id for c in job.connections] == [None, "3"]

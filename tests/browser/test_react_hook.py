"""useJobStream (web/src/react.js) on a React page built with Vite (web/test-app), in Chromium,
against the fake stack: live progress, drops and resume, reload, unmount, StrictMode (the page
renders in React's development build, where StrictMode runs every effect twice), token refresh,
a new URL, two components on one job, and the stops (204, 4xx).

The page is built by `make test` (npm ci, then vite build); see the Makefile's `web` target.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, Request

from tests.browser.chromium import skip_without_chromium
from tests.browser.fake_stack import WEB_DIR, FakeStack, ScriptedJob, demo_events

skip_without_chromium()

REACT_PAGE = WEB_DIR / "test-app" / "dist" / "index.html"

READ_VIEW = """
(name) => {
  const pre = document.querySelector(`section[aria-label="${name}"] pre`);
  return pre ? JSON.parse(pre.textContent) : null;
}
"""


@pytest.fixture(autouse=True)
def _built_page() -> None:
    if not REACT_PAGE.is_file():
        pytest.fail(
            f"{REACT_PAGE.relative_to(WEB_DIR.parent)} is missing: build the React test page with "
            "`make web` (npm ci and vite build, as `make test` does)"
        )


def open_page(page: Page, stack: FakeStack, job: ScriptedJob, **query: str) -> None:
    params = {"events_url": stack.events_url(job), "token": job.token, **query}
    page.goto(f"{stack.base_url}/test-app/dist/index.html?{urlencode(params)}")


def view(page: Page, name: str = "job") -> dict[str, Any]:
    shown: dict[str, Any] | None = page.evaluate(READ_VIEW, name)
    assert shown is not None, f"no component named {name!r} on the page"
    return shown


def wait_view(page: Page, condition: str, name: str = "job", timeout_ms: float = 15_000) -> None:
    """Until `condition` (a JS expression over `view`) holds for the component's view."""
    page.wait_for_function(
        f"""(name) => {{
          const pre = document.querySelector(`section[aria-label="${{name}}"] pre`);
          if (!pre) return false;
          const view = JSON.parse(pre.textContent);
          return {condition};
        }}""",
        arg=name,
        timeout=timeout_ms,
    )


def items_job(stack: FakeStack, n: int, interval_s: float, **script: Any) -> ScriptedJob:
    return stack.add_job(
        demo_events("demo.items", {"n": n, "fail_every": 4}), interval_s=interval_s, **script
    )


def progress_job(stack: FakeStack, n: int, interval_s: float, **script: Any) -> ScriptedJob:
    events: list[tuple[str, dict[str, Any]]] = [
        ("progress", {"done": i, "total": n, "percent": 100 * i / n}) for i in range(1, n + 1)
    ]
    events.append(("complete", {"result": {"count": n}}))
    return stack.add_job(events, interval_s=interval_s, **script)


def test_live_progress_in_strict_mode_with_one_connection(page: Page, stack: FakeStack) -> None:
    job = open_blank_then_follow(page, stack, lambda: items_job(stack, 12, 0.08))

    # Seen while running, not only at the end.
    wait_view(page, "view.status === 'running' && view.percent > 0 && view.percent < 100")
    wait_view(page, "view.status === 'succeeded'")
    shown = view(page)
    total = len(job.events)
    assert shown["percent"] == 100
    assert shown["counts"] == {"succeeded": 9, "failed": 3}
    assert [item["key"] for item in shown["items"]] == [f"item-{i}" for i in range(1, 13)]
    assert [item["reason"] for item in shown["items"] if not item["ok"]] == [
        "item 4 is not divisible",
        "item 8 is not divisible",
        "item 12 is not divisible",
    ]
    assert [line["message"] for line in shown["log"]] == [
        "4 items checked",
        "8 items checked",
        "12 items checked",
    ]
    assert shown["result"] == {"n": 12}
    assert shown["lastEventId"] == str(total)
    # Each event folded in once, although StrictMode mounted, unmounted and mounted the hook...
    assert page.evaluate("window.harness.record.mounts") == 2
    assert shown["events"] == total
    assert shown["connection"] == "closed"
    assert shown["end"] is None
    # ...and it never opened a second connection for the job.
    assert len(job.connections) == 1
    assert job.connections[0].authorization == f"Bearer {job.token}"
    assert job.connections[0].last_event_id is None


def test_drops_resume_with_last_event_id_and_nothing_twice(page: Page, stack: FakeStack) -> None:
    job = progress_job(
        stack, 30, 0.01, drops={5: "abort", 12: "end", 20: "partial"}, replay=2, retry_ms=20
    )
    open_page(page, stack, job)

    wait_view(page, "view.status === 'succeeded'")
    shown = view(page)
    assert shown["events"] == 31
    assert shown["lastEventId"] == "31"
    assert shown["result"] == {"count": 30}
    assert [c.last_event_id for c in job.connections] == [None, "5", "12", "20"]


def test_reload_replays_the_log_and_rebuilds_the_view(page: Page, stack: FakeStack) -> None:
    job = items_job(stack, 16, 0.08)
    open_page(page, stack, job)
    wait_view(page, "view.items.length >= 5")
    before = view(page)
    assert before["status"] == "running"

    page.reload()
    wait_view(page, f"view.events >= {before['events']}")
    after = view(page)
    assert after["items"][: len(before["items"])] == before["items"]
    assert after["log"][: len(before["log"])] == before["log"]
    wait_view(page, "view.status === 'succeeded'")
    assert len(view(page)["items"]) == 16
    assert job.connections[-1].last_event_id is None


def test_unmount_aborts_the_request_and_makes_no_more(page: Page, stack: FakeStack) -> None:
    job = progress_job(stack, 200, 0.05, retry_ms=50)
    requests: list[str] = []

    def on_request(request: Request) -> None:
        if request.url.startswith(stack.events_url(job)):
            requests.append(request.url)

    page.on("request", on_request)
    open_page(page, stack, job)
    wait_view(page, "view.events >= 3")
    page.evaluate("window.harness.unmount()")

    # The server sees its connection end (the fetch was aborted)... Generous: the server notices
    # an abort on its next write or disconnect message, which took over 5 s once on a loaded CI.
    assert job.connections[0].finished.wait(20), "the stream request was not aborted"
    sent = len(job.connections[0].sent_ids)
    # ...and nothing is asked again, long after the backoff would have retried.
    time.sleep(1.0)
    assert len(job.connections) == 1
    assert len(requests) == 1
    assert sent < 200


def test_get_token_refreshes_an_expired_token_and_resumes(page: Page, stack: FakeStack) -> None:
    job = progress_job(stack, 10, 0.02, drops={4: "rotate_token"}, retry_ms=20)
    old = job.token
    open_page(page, stack, job, refresh_url=f"{stack.base_url}/test/jobs/{job.job_id}/token")

    wait_view(page, "view.status === 'succeeded'")
    shown = view(page)
    assert shown["events"] == 11
    assert [(c.status, c.authorization, c.last_event_id) for c in job.connections] == [
        (200, f"Bearer {old}", None),
        (403, f"Bearer {old}", "4"),
        (200, f"Bearer {job.token}", "4"),
    ]
    assert job.token_refreshes == 1
    assert page.evaluate("window.harness.record.tokenRequests") == [False, False, True]


def test_a_new_token_prop_resumes_a_stream_stopped_by_a_refusal(
    page: Page, stack: FakeStack
) -> None:
    job = progress_job(stack, 10, 0.02, drops={4: "rotate_token"}, retry_ms=20)
    open_page(page, stack, job)

    wait_view(page, "view.end !== null")
    stopped = view(page)
    assert stopped["end"] == {
        "reason": "http-error",
        "status": 403,
        "message": "this token is not valid for this job",
    }
    assert stopped["lastEventId"] == "4"

    page.evaluate("(token) => window.harness.setToken(token)", job.token)
    wait_view(page, "view.status === 'succeeded'")
    shown = view(page)
    assert shown["events"] == 11
    assert shown["end"] is None
    assert [(c.status, c.last_event_id) for c in job.connections] == [
        (200, None),
        (403, "4"),
        (200, "4"),
    ]
    assert job.connections[-1].authorization == f"Bearer {job.token}"


def test_a_new_url_closes_the_old_stream_and_follows_the_new_job(
    page: Page, stack: FakeStack
) -> None:
    first = progress_job(stack, 200, 0.05)
    second = items_job(stack, 4, 0.01)
    open_page(page, stack, first)
    wait_view(page, "view.events >= 2")

    page.evaluate(
        "(job) => window.harness.follow(job)",
        {"eventsUrl": stack.events_url(second), "token": second.token},
    )
    wait_view(page, f"view.lastEventId === '{len(second.events)}'")
    shown = view(page)
    assert shown["status"] == "succeeded"
    assert shown["events"] == len(second.events)
    assert [item["key"] for item in shown["items"]] == ["item-1", "item-2", "item-3", "item-4"]
    assert first.connections[0].finished.wait(5), "the old job's request was not aborted"
    time.sleep(0.5)
    assert len(first.connections) == 1
    assert len(second.connections) == 1


def open_blank_then_follow(page: Page, stack: FakeStack, job_factory: Any) -> ScriptedJob:
    """The page first, then the job: its events are timed from its creation, so a slow page load
    cannot turn a live run into one burst of stored events."""
    page.goto(f"{stack.base_url}/test-app/dist/index.html")
    page.wait_for_function("() => window.harness !== undefined")
    job: ScriptedJob = job_factory()
    page.evaluate(
        "(job) => window.harness.follow(job)",
        {"eventsUrl": stack.events_url(job), "token": job.token},
    )
    return job


def test_two_components_on_one_job_share_one_connection(page: Page, stack: FakeStack) -> None:
    job = open_blank_then_follow(page, stack, lambda: items_job(stack, 12, 0.08))
    wait_view(page, "view.events >= 3")
    page.evaluate("window.harness.showTwice()")
    # The second component joins mid-run and shows the stream's view so far at once.
    wait_view(page, "view.events >= 3", name="job again")
    assert view(page, "job again")["status"] == "running"

    wait_view(page, "view.status === 'succeeded'", name="job")
    wait_view(page, "view.status === 'succeeded'", name="job again")
    assert view(page, "job") == view(page, "job again")
    assert len(job.connections) == 1


def test_a_component_mounted_after_the_end_shows_the_view_without_a_request(
    page: Page, stack: FakeStack
) -> None:
    job = items_job(stack, 4, 0.0)
    open_page(page, stack, job)
    wait_view(page, "view.status === 'succeeded'", name="job")
    page.evaluate("window.harness.showTwice()")

    wait_view(page, "view.status === 'succeeded'", name="job again")
    assert view(page, "job again") == view(page, "job")
    time.sleep(0.3)
    assert len(job.connections) == 1


def test_204_and_4xx_end_the_view_without_retrying(page: Page, stack: FakeStack) -> None:
    done = progress_job(stack, 3, 0.0)
    # Resuming after the last event of a finished job: nothing left (204).
    open_page(page, stack, done, **{"from": "4"})
    wait_view(page, "view.end !== null")
    assert view(page)["end"] == {"reason": "no-content", "status": 204, "message": None}
    assert [c.status for c in done.connections] == [204]

    # A job the server does not know: 404, with the server's message.
    gone = progress_job(stack, 3, 0.0)
    query = {"events_url": f"{stack.base_url}/jobs/no-such-job/events", "token": gone.token}
    page.goto(f"{stack.base_url}/test-app/dist/index.html?{urlencode(query)}")
    wait_view(page, "view.end !== null")
    shown = view(page)
    assert shown["end"] == {"reason": "http-error", "status": 404, "message": "no such job"}
    assert shown["connection"] == "closed"
    assert json.dumps(shown["items"]) == "[]"

"""What the demo page shows of a job, read from the DOM, so a test can compare two moments."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

# One read in the page, so the parts belong to the same rendered state.
READ_VIEW = """
() => {
  const texts = (selector) =>
    [...document.querySelectorAll(selector)].map((element) => element.textContent);
  const text = (id) => document.getElementById(id).textContent;
  return {
    badge: text("job-badge"),
    items: texts("#item-list li"),
    failed_items: texts("#item-list li.failed"),
    counts: [Number(text("items-succeeded")), Number(text("items-failed"))],
    log: texts("#log li"),
    text: text("text-output"),
    result: document.getElementById("result-section").hidden ? null : text("result"),
    progress: document.getElementById("progress").getAttribute("aria-valuetext"),
    last_event_id: text("last-event-id"),
  };
}
"""


def shown_view(page: Page) -> dict[str, Any]:
    view: dict[str, Any] = page.evaluate(READ_VIEW)
    return view


def rendered_event_ids(page: Page) -> list[int]:
    """Ids of the raw event rows this page load rendered."""
    ids: list[int] = page.eval_on_selector_all(
        "#event-list li", "rows => rows.map((row) => Number(row.dataset.eventId))"
    )
    return ids


def wait_for_event(page: Page, event_id: int, timeout_ms: float = 15_000) -> None:
    """Until the page has folded in event ``event_id`` (replay caught up with it)."""
    page.wait_for_function(
        "(id) => Number(document.getElementById('last-event-id').textContent) >= id",
        arg=event_id,
        timeout=timeout_ms,
    )


def assert_continues(before: dict[str, Any], after: dict[str, Any]) -> None:
    """``after`` shows everything ``before`` showed (a prefix of each list), and more only where
    the job moved on."""
    for key in ("items", "log"):
        assert after[key][: len(before[key])] == before[key], key
    assert after["text"].startswith(before["text"])
    assert after["counts"][0] >= before["counts"][0]
    assert after["counts"][1] >= before["counts"][1]

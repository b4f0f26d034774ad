"""Following a job with the browser's own EventSource, written the way docs/frontend.md shows it.

The one subtle part: the EventSource's `error` listeners get three different things, and only one
of them ends the job:

- a plain Event (no data) each time the connection ends or fails; the browser then reconnects by
  itself with Last-Event-ID (readyState CONNECTING), or has given up for good (CLOSED: 204, 4xx);
- the server's in-band "the stream broke" notice: `event: error`, no id, `"retryable": true`; the
  body ends right after it and the browser resumes;
- the job's own terminal `error` event (it has an id, and never `retryable`).
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

# Resolves with {how, seen: [{id, type, data}], opens, failure}; `how` is "complete", "cancelled",
# "error" (the job failed), "closed" (the browser gave up) or "timeout".
FOLLOW_LIKE_THE_DOCS = """
(url) => new Promise((resolve) => {
  const source = new EventSource(url);
  const seen = [];
  let opens = 0;
  let failure = null;
  const done = (how) => {
    source.close();
    resolve({ how, seen, opens, failure });
  };
  const record = (event) =>
    seen.push({ id: event.lastEventId, type: event.type, data: JSON.parse(event.data) });
  source.onopen = () => { opens += 1; };
  for (const type of ["progress", "phase", "log", "item", "text"]) {
    source.addEventListener(type, record);
  }
  source.addEventListener("complete", (event) => { record(event); done("complete"); });
  source.addEventListener("cancelled", (event) => { record(event); done("cancelled"); });
  source.addEventListener("error", (event) => {
    if (!(event instanceof MessageEvent)) {
      if (source.readyState === EventSource.CLOSED) done("closed");
      return; // CONNECTING: the browser resumes by itself
    }
    const data = JSON.parse(event.data);
    if (data.retryable) return; // the stream broke, not the job: the browser resumes
    record(event);
    failure = data.message;
    done("error");
  });
  setTimeout(() => done("timeout"), 30000);
})
"""


def follow_like_the_docs(page: Page, url: str) -> dict[str, Any]:
    outcome: dict[str, Any] = page.evaluate(FOLLOW_LIKE_THE_DOCS, url)
    return outcome

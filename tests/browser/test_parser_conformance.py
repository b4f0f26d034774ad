"""createParser (web/jobstream-client.js) against the format tables, run inside Chromium.

Every case is fed whole, byte by byte, split in two at every position (so each CR|LF pair and each
multi-byte character is cut at some point), in pieces of 3 and 7 bytes, and as decoded text one
character at a time. All ways must give the one expected outcome.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.chromium import skip_without_chromium
from tests.browser.sse_format_cases import CASES, FormatCase

skip_without_chromium()

pytestmark = pytest.mark.browser

RUN_CASES = """
async (cases) => {
  const { createParser } = await import("/jobstream-client.js");

  function* chunkings(bytes) {
    yield ["whole", [bytes]];
    yield ["byte-by-byte", Array.from(bytes, (b) => Uint8Array.of(b))];
    for (const size of [3, 7]) {
      const pieces = [];
      for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.subarray(i, i + size));
      yield [`pieces-of-${size}`, pieces];
    }
    for (let cut = 1; cut < bytes.length; cut++) {
      yield [`split-at-${cut}`, [bytes.subarray(0, cut), bytes.subarray(cut)]];
    }
    // Text input: decoded by the caller (BOM kept, so the parser must strip it).
    const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
    yield ["text-char-by-char", Array.from(text)];
  }

  return cases.map(({ name, body, startId }) => {
    const bytes = Uint8Array.from(body);
    const outcomes = new Map();
    for (const [label, chunks] of chunkings(bytes)) {
      const fromCallback = [];
      const parser = createParser({
        lastEventId: startId,
        onEvent: (e) => fromCallback.push([e.type, e.data, e.id]),
      });
      const returned = [];
      for (const chunk of chunks) {
        for (const e of parser.feed(chunk)) returned.push([e.type, e.data, e.id]);
      }
      const atEnd = parser.end();
      const outcome = JSON.stringify({
        events: returned,
        callbackAgrees: JSON.stringify(returned) === JSON.stringify(fromCallback),
        eventsAtEnd: atEnd.length,
        lastEventId: parser.lastEventId,
        retry: parser.retry,
      });
      if (!outcomes.has(outcome)) outcomes.set(outcome, []);
      if (outcomes.get(outcome).length < 3) outcomes.get(outcome).push(label);
    }
    return { name, outcomes: [...outcomes].map(([outcome, labels]) => ({ outcome, labels })) };
  });
}
"""


def _expected(case: FormatCase) -> dict[str, Any]:
    return {
        "events": [list(event) for event in case.events],
        "callbackAgrees": True,
        "eventsAtEnd": 0,
        "lastEventId": case.last_event_id,
        "retry": case.retry,
    }


def test_every_format_case_gives_one_outcome_however_it_is_chunked(blank_page: Page) -> None:
    payload = [{"name": c.name, "body": list(c.body), "startId": c.start_id} for c in CASES]
    results = blank_page.evaluate(RUN_CASES, payload)

    failures = []
    for case, result in zip(CASES, results, strict=True):
        outcomes = [(json.loads(o["outcome"]), o["labels"]) for o in result["outcomes"]]
        expected = _expected(case)
        wrong = [(outcome, labels) for outcome, labels in outcomes if outcome != expected]
        if wrong:
            failures.append(f"{case.name}: expected {expected}, got {wrong}")
    assert not failures, "\n".join(failures)
    assert len(results) == len(CASES)


def test_a_failing_case_is_detected(blank_page: Page) -> None:
    """The harness itself can fail: a wrong expectation does not match any chunking."""
    bogus = FormatCase("bogus", b"data: a\n\n", (("message", "b", ""),))
    [result] = blank_page.evaluate(RUN_CASES, [{"name": "bogus", "body": list(bogus.body)}])
    assert all(json.loads(o["outcome"]) != _expected(bogus) for o in result["outcomes"])

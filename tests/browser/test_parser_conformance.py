"""createParser (web/jobstream-client.js) against the format tables, run inside Chromium.

The tables: the one the Python parser is tested with (tests/unit/sse/conformance_cases.py:
web-platform-tests eventsource/format-* and eventsource-parser ports, some with several bodies read
by one parser, as across reconnects) plus tests/browser/sse_format_cases.py. Every body is fed as
its source sent it, whole, byte by byte, in pieces of 3 and 7 bytes, split in two at every position
(so each CR|LF pair and each multi-byte character is cut somewhere) and as decoded text one
character at a time. All ways must give the one expected outcome.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from playwright.sync_api import Page

from tests.browser.chromium import skip_without_chromium
from tests.browser.sse_format_cases import CASES, FormatCase
from tests.unit.sse.conformance_cases import ALL_CASES, Case

skip_without_chromium()

RUN_CASES = """
async (cases) => {
  const { createParser } = await import("/jobstream-client.js");
  const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  // Big bodies (a 1 MB unterminated line) get a sample of cuts instead of every one.
  const SMALL = 4096;
  const MEDIUM = 65536;

  function split(bytes, kind) {
    if (kind === "whole") return [bytes];
    if (kind === "byte-by-byte") return Array.from(bytes, (b) => Uint8Array.of(b));
    if (kind.startsWith("pieces-")) {
      const size = Number(kind.slice(7));
      const pieces = [];
      for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.subarray(i, i + size));
      return pieces;
    }
    if (kind.startsWith("split-at-")) {
      const cut = Number(kind.slice(9));
      return cut < bytes.length ? [bytes.subarray(0, cut), bytes.subarray(cut)] : [bytes];
    }
    if (kind === "text-char-by-char") {
      return Array.from(new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes));
    }
    throw new Error(kind);
  }

  function kinds(bodies) {
    const longest = Math.max(0, ...bodies.map((b) => b.length));
    const list = ["as-sent", "whole", "pieces-3", "pieces-7"];
    if (longest <= MEDIUM) list.push("byte-by-byte", "text-char-by-char");
    const step = longest <= SMALL ? 1 : Math.ceil(longest / 256);
    for (let cut = 1; cut < longest; cut += step) list.push(`split-at-${cut}`);
    return list;
  }

  return cases.map(({ name, bodies, startId }) => {
    const sent = bodies.map((chunks) => chunks.map(fromBase64));
    const joined = sent.map((chunks) => {
      const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of chunks) { all.set(c, at); at += c.length; }
      return all;
    });
    const outcomes = new Map();
    for (const kind of kinds(joined)) {
      const fromCallback = [];
      const parser = createParser({
        lastEventId: startId,
        onEvent: (e) => fromCallback.push([e.type, e.data, e.id, e.retry]),
      });
      const returned = [];
      let eventsAtEnd = 0;
      joined.forEach((body, i) => {
        const chunks = kind === "as-sent" ? sent[i] : split(body, kind);
        for (const chunk of chunks) {
          for (const e of parser.feed(chunk)) returned.push([e.type, e.data, e.id, e.retry]);
        }
        eventsAtEnd += parser.end().length;
      });
      const outcome = JSON.stringify({
        events: returned,
        callbackAgrees: JSON.stringify(returned) === JSON.stringify(fromCallback),
        eventsAtEnd,
        lastEventId: parser.lastEventId,
        retry: parser.retry,
      });
      if (!outcomes.has(outcome)) outcomes.set(outcome, []);
      if (outcomes.get(outcome).length < 3) outcomes.get(outcome).push(kind);
    }
    return { name, outcomes: [...outcomes].map(([outcome, kinds]) => ({ outcome, kinds })) };
  });
}
"""


def _b64(chunk: bytes) -> str:
    return base64.b64encode(chunk).decode()


def _expected(events: list[list[Any]], last_event_id: str, retry: int | None) -> dict[str, Any]:
    return {
        "events": events,
        "callbackAgrees": True,
        "eventsAtEnd": 0,
        "lastEventId": last_event_id,
        "retry": retry,
    }


def shared_case(case: Case) -> tuple[dict[str, Any], dict[str, Any]]:
    payload = {
        "name": case.name,
        "bodies": [[_b64(chunk) for chunk in body] for body in case.bodies],
        "startId": "",
    }
    events = [[e.event, e.data, e.id, e.retry] for e in case.expected]
    return payload, _expected(events, case.last_event_id, case.retry)


def local_case(case: FormatCase) -> tuple[dict[str, Any], dict[str, Any]]:
    payload = {"name": case.name, "bodies": [[_b64(case.body)]], "startId": case.start_id}
    events = [list(event) for event in case.events]
    return payload, _expected(events, case.last_event_id, case.retry)


def run(page: Page, cases: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[str]:
    """Failures, one line per case whose outcome differs under some chunking."""
    results = page.evaluate(RUN_CASES, [payload for payload, _ in cases])
    assert len(results) == len(cases)
    failures = []
    for (payload, expected), result in zip(cases, results, strict=True):
        wrong = [
            (outcome, o["kinds"])
            for o in result["outcomes"]
            if (outcome := json.loads(o["outcome"])) != expected
        ]
        if wrong:
            failures.append(f"{payload['name']}: expected {expected}, got {wrong}")
    return failures


def test_shared_conformance_table_however_it_is_chunked(blank_page: Page) -> None:
    assert len(ALL_CASES) >= 80
    failures = run(blank_page, [shared_case(case) for case in ALL_CASES])
    assert not failures, "\n".join(failures)


def test_browser_format_cases_however_they_are_chunked(blank_page: Page) -> None:
    failures = run(blank_page, [local_case(case) for case in CASES])
    assert not failures, "\n".join(failures)


def test_a_wrong_expectation_is_reported(blank_page: Page) -> None:
    """The harness itself can fail."""
    bogus = FormatCase("bogus", b"data: a\n\n", (("message", "b", "", None),))
    assert run(blank_page, [local_case(bogus)]) != []

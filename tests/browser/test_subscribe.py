"""subscribe() and events() from web/jobstream-client.js, in Chromium, against the fake stack.

The server side is scripted (tests/browser/fake_stack.py): connections are cut at chosen event ids
in every way a real deployment cuts them, and every request is recorded, so these tests check both
what the page received and what the browser sent on each reconnect.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.chromium import skip_without_chromium
from tests.browser.fake_stack import FakeStack, ScriptedJob

skip_without_chromium()

# Runs subscribe() with recording callbacks; `script` says when the page aborts.
RUN_SUBSCRIBE = """
async ({ url, options, script }) => {
  const { subscribe } = await import("/jobstream-client.js");
  const seen = [], states = [], errors = [], opens = [];
  const controller = new AbortController();
  const run = subscribe(url, {
    ...options,
    signal: controller.signal,
    random: script.random == null ? undefined : () => script.random,
    onEvent: (e) => {
      seen.push({ id: e.id, type: e.type, json: e.json });
      if (seen.length === script.abortAfterEvents) controller.abort();
    },
    onStateChange: (state) => states.push(state),
    onOpen: (info) => opens.push({ attempt: info.attempt, lastEventId: info.lastEventId }),
    onError: (error, info) => {
      errors.push({ name: error?.name ?? null, ...info });
      if (script.abortAfterErrorMs != null) {
        setTimeout(() => controller.abort(), script.abortAfterErrorMs);
      }
    },
  });
  const timeout = new Promise((resolve) => {
    setTimeout(() => resolve(null), script.timeoutMs ?? 20000);
  });
  const result = await Promise.race([run, timeout]);
  if (result === null) {
    controller.abort();
    return { timedOut: true, seen, states, errors, opens };
  }
  const { event, error, ...rest } = result;
  return {
    timedOut: false, seen, states, errors, opens,
    result: {
      ...rest,
      event: event ? { id: event.id, type: event.type } : null,
      error: error ? { code: error.code ?? null, name: error.name ?? null } : null,
    },
  };
}
"""


def run_subscribe(page: Page, url: str, options: dict[str, Any], **script: Any) -> dict[str, Any]:
    outcome: dict[str, Any] = page.evaluate(
        RUN_SUBSCRIBE, {"url": url, "options": options, "script": script}
    )
    assert not outcome["timedOut"], outcome
    return outcome


def progress_events(n: int, *, terminal: bool = True) -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = [
        ("progress", {"done": i, "total": n, "percent": 100 * i / n}) for i in range(1, n + 1)
    ]
    if terminal:
        events.append(("complete", {"result": {"count": n}}))
    return events


def ids(outcome: dict[str, Any]) -> list[int]:
    return [int(event["id"]) for event in outcome["seen"]]


def sent_last_event_ids(job: ScriptedJob) -> list[str | None]:
    return [connection.last_event_id for connection in job.connections]


def test_forced_drops_deliver_every_event_exactly_once(blank_page: Page, stack: FakeStack) -> None:
    events = progress_events(60)
    events.insert(30, ("a-type-the-client-does-not-know", {"extra": ["fields", "are", "fine"]}))
    job = stack.add_job(
        events,
        interval_s=0.003,
        # Every way a connection ends early: reset, clean end (time bound), a frame cut in half,
        # a silent connection (idle timeout), and one 503 on a reconnect.
        drops={5: "abort", 12: "end", 20: "partial", 33: "abort", 47: "end", 55: "stall"},
        fail_requests={3: 503},
        replay=3,  # each resume starts 3 events early: the client must drop them
        heartbeat_every=4,
        retry_ms=20,
    )
    outcome = run_subscribe(
        blank_page, stack.events_url(job), {"token": job.token, "idleTimeoutMs": 500}
    )

    assert ids(outcome) == list(range(1, 63))
    assert outcome["seen"][30]["type"] == "a-type-the-client-does-not-know"
    assert outcome["seen"][29]["json"] == {"done": 30, "total": 60, "percent": 50}
    result = outcome["result"]
    assert result["reason"] == "terminal"
    assert result["event"] == {"id": "62", "type": "complete"}
    assert result["lastEventId"] == "62"
    assert result["delivered"] == 62
    assert result["duplicates"] == 6 * 3  # six resumed streams, three replayed events each
    assert result["reconnects"] == 7
    assert result["connections"] == 7

    assert sent_last_event_ids(job) == [None, "5", "12", "12", "20", "33", "47", "55"]
    assert [c.status for c in job.connections] == [200, 200, 503, 200, 200, 200, 200, 200]
    assert all(c.authorization == f"Bearer {job.token}" for c in job.connections)
    assert all(c.accept == "text/event-stream" for c in job.connections)
    # The frame cut in half (id 21) reached the browser only in part and was not delivered then.
    assert job.connections[3].sent_ids[-1] == 20

    # Failures are reported (clean ends are not): reset, 503, cut frame, reset, idle timeout.
    assert [e["willRetry"] for e in outcome["errors"]] == [True] * 5
    assert [e.get("status") for e in outcome["errors"]][1] == 503
    assert outcome["errors"][-1]["name"] == "IdleTimeoutError"
    assert [o["lastEventId"] for o in outcome["opens"]] == ["", "5", "12", "20", "33", "47", "55"]
    assert outcome["states"][0] == "connecting"
    assert outcome["states"][-1] == "closed"
    assert "reconnecting" in outcome["states"]


def test_resets_racing_the_last_bytes_still_lose_and_repeat_nothing(
    blank_page: Page, stack: FakeStack
) -> None:
    """A reset right behind the data can make Chromium discard body chunks the page has not read
    yet, so where the client resumes varies; what it delivers must not."""
    job = stack.add_job(
        progress_events(40),
        drops={3: "abort", 9: "partial", 17: "abort", 25: "abort", 31: "partial"},
        replay=2,
        retry_ms=10,
        drop_delay_s=0,
    )
    outcome = run_subscribe(blank_page, stack.events_url(job), {"token": job.token})

    assert ids(outcome) == list(range(1, 42))
    sent = [c.last_event_id or "" for c in job.connections]
    assert sent == [o["lastEventId"] for o in outcome["opens"]]
    resume_points = [int(i or 0) for i in sent]
    assert resume_points == sorted(resume_points)


def test_resumes_after_the_given_last_event_id(blank_page: Page, stack: FakeStack) -> None:
    job = stack.add_job(progress_events(20), retry_ms=20)
    outcome = run_subscribe(
        blank_page, stack.events_url(job), {"token": job.token, "lastEventId": 10}
    )
    assert ids(outcome) == list(range(11, 22))
    assert sent_last_event_ids(job) == ["10"]


def test_server_retry_field_sets_the_reconnection_delay(blank_page: Page, stack: FakeStack) -> None:
    job = stack.add_job(progress_events(6), drops={2: "abort", 4: "abort"}, retry_ms=80)
    # The client's own default (5 s) would give delays near 5000; the server said 80 ms.
    outcome = run_subscribe(
        blank_page,
        stack.events_url(job),
        {"token": job.token, "retryMs": 5000},
        random=0.999,
    )
    assert ids(outcome) == list(range(1, 8))
    assert [e["delayMs"] for e in outcome["errors"]] == [79, 79]


# Records every setTimeout delay the page asks for (the waits subscribe() sleeps between attempts).
RECORD_TIMERS = """
() => {
  window.askedTimers = [];
  const original = window.setTimeout.bind(window);
  window.setTimeout = (fn, ms, ...rest) => {
    window.askedTimers.push(ms);
    return original(fn, ms, ...rest);
  };
}
"""


@pytest.mark.parametrize(("drop", "waits"), [("end", False), ("abort", True)])
def test_retry_zero_after_a_clean_end_with_new_events_reconnects_at_once(
    blank_page: Page, stack: FakeStack, drop: str, waits: bool
) -> None:
    # A stream window's end: events, `retry: 0`, a clean end: no floor, no jitter, no wait at
    # all. A drop with the same `retry: 0` still waits the floor's jittered 0-50 ms (49 here).
    job = stack.add_job(progress_events(6), drops={2: drop, 4: drop}, retry_ms=0)  # type: ignore[dict-item]
    blank_page.evaluate(RECORD_TIMERS)
    outcome = run_subscribe(
        blank_page, stack.events_url(job), {"token": job.token, "retryMs": 5000}, random=0.99
    )
    assert ids(outcome) == list(range(1, 8))
    assert sent_last_event_ids(job) == [None, "2", "4"]
    asked: list[int] = blank_page.evaluate("window.askedTimers")
    assert (49 in asked) is waits, asked


def test_backoff_doubles_between_failed_attempts_up_to_the_ceiling(
    blank_page: Page, stack: FakeStack
) -> None:
    job = stack.add_job(progress_events(3), fail_requests={1: 503, 2: 503, 3: 503, 4: 503})
    outcome = run_subscribe(
        blank_page,
        stack.events_url(job),
        {"token": job.token, "retryMs": 50, "maxRetryMs": 150},
        random=0.999,
    )
    assert ids(outcome) == [1, 2, 3, 4]
    assert [e["delayMs"] for e in outcome["errors"]] == [49, 99, 149, 149]
    assert [e["status"] for e in outcome["errors"]] == [503] * 4
    assert outcome["result"]["reason"] == "terminal"


def test_gives_up_after_max_retries(blank_page: Page, stack: FakeStack) -> None:
    job = stack.add_job(progress_events(3), fail_requests=dict.fromkeys(range(1, 10), 503))
    outcome = run_subscribe(
        blank_page, stack.events_url(job), {"token": job.token, "retryMs": 1, "maxRetries": 2}
    )
    assert outcome["result"]["reason"] == "retries-exhausted"
    assert outcome["result"]["error"]["name"] == "HttpStatusError"
    assert [e["willRetry"] for e in outcome["errors"]] == [True, True, False]
    assert len(job.connections) == 3
    assert outcome["seen"] == []


def test_204_on_the_first_request_stops(blank_page: Page, stack: FakeStack) -> None:
    job = stack.add_job(progress_events(5))
    outcome = run_subscribe(
        blank_page, stack.events_url(job), {"token": job.token, "lastEventId": "6"}
    )
    assert outcome["result"]["reason"] == "no-content"
    assert outcome["result"]["status"] == 204
    assert outcome["seen"] == []
    assert len(job.connections) == 1


def test_204_after_a_clean_end_stops(blank_page: Page, stack: FakeStack) -> None:
    """The body ended without a terminal event (time bound); the resume finds nothing left."""
    job = stack.add_job(progress_events(5, terminal=False), retry_ms=10)
    outcome = run_subscribe(blank_page, stack.events_url(job), {"token": job.token})
    assert ids(outcome) == [1, 2, 3, 4, 5]
    assert outcome["result"]["reason"] == "no-content"
    assert sent_last_event_ids(job) == [None, "5"]
    assert outcome["errors"] == []


def test_in_band_stream_failure_notice_resumes_instead_of_ending(
    blank_page: Page, stack: FakeStack
) -> None:
    """The runtime's `error` notice (no id, retryable) is a drop to resume, not the job's end."""
    job = stack.add_job(progress_events(6), drops={3: "failure_notice"}, retry_ms=10)
    outcome = run_subscribe(blank_page, stack.events_url(job), {"token": job.token})
    assert ids(outcome) == [1, 2, 3, 4, 5, 6, 7]
    assert [event["type"] for event in outcome["seen"]][-1] == "complete"
    assert outcome["result"]["reason"] == "terminal"
    assert sent_last_event_ids(job) == [None, "3"]


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("no token", 401, "token_missing"),
        ("wrong token", 403, "token_invalid"),
        ("unknown job", 404, "job_not_found"),
        ("malformed Last-Event-ID", 400, "invalid_last_event_id"),
    ],
)
def test_client_errors_stop_without_retrying(
    blank_page: Page, stack: FakeStack, case: str, status: int, code: str
) -> None:
    job = stack.add_job(progress_events(3))
    url = stack.events_url(job)
    options: dict[str, Any] = {"token": job.token, "retryMs": 1}
    if case == "no token":
        del options["token"]
    elif case == "wrong token":
        options["token"] = "not-the-token"
    elif case == "unknown job":
        url = url.replace(job.job_id, "no-such-job")
    else:
        options["lastEventId"] = "abc"
    outcome = run_subscribe(blank_page, url, options)
    assert outcome["result"]["reason"] == "http-error"
    assert outcome["result"]["status"] == status
    assert outcome["result"]["error"]["code"] == code
    assert outcome["errors"] == []
    assert outcome["states"] == ["connecting", "closed"]
    if case != "unknown job":
        assert len(job.connections) == 1


def test_a_response_that_is_not_an_event_stream_stops(blank_page: Page, stack: FakeStack) -> None:
    outcome = run_subscribe(blank_page, f"{stack.base_url}/test/not-a-stream", {"retryMs": 1})
    assert outcome["result"]["reason"] == "bad-response"
    assert outcome["result"]["error"]["code"] == "not_an_event_stream"
    assert outcome["states"] == ["connecting", "closed"]


def test_abort_controller_closes_the_stream(blank_page: Page, stack: FakeStack) -> None:
    job = stack.add_job(progress_events(500), interval_s=0.01)
    outcome = run_subscribe(
        blank_page, stack.events_url(job), {"token": job.token}, abortAfterEvents=3
    )
    assert outcome["result"]["reason"] == "aborted"
    assert ids(outcome) == [1, 2, 3]
    assert outcome["errors"] == []
    assert len(job.connections) == 1
    assert job.connections[0].finished.wait(5), "the server never saw the connection close"


def test_abort_during_the_backoff_wait_stops_at_once(blank_page: Page, stack: FakeStack) -> None:
    job = stack.add_job(progress_events(3), fail_requests={1: 503})
    # Without a prompt abort the next attempt would come a minute later (and time the run out).
    outcome = run_subscribe(
        blank_page,
        stack.events_url(job),
        {"token": job.token, "retryMs": 60_000, "maxRetryMs": 60_000},
        random=0.999,
        abortAfterErrorMs=50,
        timeoutMs=10_000,
    )
    assert outcome["result"]["reason"] == "aborted"
    assert len(job.connections) == 1


def test_an_exception_in_on_event_rejects_and_closes(blank_page: Page, stack: FakeStack) -> None:
    job = stack.add_job(progress_events(500), interval_s=0.01)
    message = blank_page.evaluate(
        """async ({ url, token }) => {
          const { subscribe } = await import("/jobstream-client.js");
          try {
            await subscribe(url, { token, onEvent: (e) => {
              if (e.id === "2") throw new Error("handler bug");
            } });
            return "resolved";
          } catch (error) {
            return error.message;
          }
        }""",
        {"url": stack.events_url(job), "token": job.token},
    )
    assert message == "handler bug"
    assert job.connections[0].finished.wait(5)
    assert len(job.connections) == 1


def test_post_with_a_body_is_sent_again_on_resume(blank_page: Page, stack: FakeStack) -> None:
    job = stack.add_job(progress_events(4), drops={2: "abort"}, retry_ms=10)
    outcome = run_subscribe(
        blank_page,
        stack.events_url(job),
        {
            "token": job.token,
            "method": "POST",
            "body": '{"prompt": "hello"}',
            "headers": {"Content-Type": "application/json"},
        },
    )
    assert ids(outcome) == [1, 2, 3, 4, 5]
    assert [(c.method, c.body, c.last_event_id) for c in job.connections] == [
        ("POST", b'{"prompt": "hello"}', None),
        ("POST", b'{"prompt": "hello"}', "2"),
    ]


def test_async_iterator_form(blank_page: Page, stack: FakeStack) -> None:
    whole = stack.add_job(progress_events(10), drops={4: "abort", 7: "end"}, replay=2, retry_ms=10)
    endless = stack.add_job(progress_events(500), interval_s=0.01)
    outcome = blank_page.evaluate(
        """async ({ whole, endless }) => {
          const { events } = await import("/jobstream-client.js");
          const all = [];
          const iterator = events(whole.url, { token: whole.token });
          let step;
          while (!(step = await iterator.next()).done) all.push(step.value.id);
          const result = step.value;

          const some = [];
          for await (const event of events(endless.url, { token: endless.token })) {
            some.push(event.id);
            if (some.length === 3) break;
          }
          return { all, reason: result.reason, duplicates: result.duplicates, some };
        }""",
        {
            "whole": {"url": stack.events_url(whole), "token": whole.token},
            "endless": {"url": stack.events_url(endless), "token": endless.token},
        },
    )
    assert outcome["all"] == [str(i) for i in range(1, 12)]
    assert outcome["reason"] == "terminal"
    assert outcome["duplicates"] == 4
    assert outcome["some"] == ["1", "2", "3"]
    assert endless.connections[0].finished.wait(5), "break did not close the stream"
    assert len(endless.connections) == 1

"""The demo page (web/index.html + demo.js) in Chromium against the fake stack: start, live
progress, drop and resume, cancel, reload and resume, items, failures, form errors, keyboard."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page, Route, expect

from tests.browser.chromium import skip_without_chromium
from tests.browser.demo_view import assert_continues, shown_view, wait_for_event
from tests.browser.fake_stack import FakeStack, ScriptedJob, listed_job_types

skip_without_chromium()


def progress_at_least(page: Page, percent: int) -> None:
    page.wait_for_function(
        "(p) => Number(document.getElementById('progress').getAttribute('aria-valuenow')) >= p",
        arg=percent,
    )


def rendered_ids(page: Page) -> list[int]:
    ids: list[int] = page.eval_on_selector_all(
        "#event-list li", "rows => rows.map((row) => Number(row.dataset.eventId))"
    )
    return ids


def start_job(page: Page, stack: FakeStack, params: dict[str, object]) -> ScriptedJob:
    before = len(stack.created)
    page.get_by_label("Parameters (JSON)").fill(json.dumps(params))
    page.get_by_role("button", name="Start job").click()
    expect(page.locator("#job-id")).not_to_be_empty()
    assert len(stack.created) == before + 1
    return stack.job_by_id(stack.created[-1]["job_id"])


def test_the_page_offers_the_servers_types_with_their_suggested_params(
    page: Page, stack: FakeStack
) -> None:
    # The fake lists demo.count first, its required n with an example (the page has no type or
    # default of its own: issue 19).
    page.goto(f"{stack.base_url}/")
    job_type = page.get_by_label("Job type", exact=True)
    expect(job_type.locator("option")).to_have_text(
        ["demo.count", "demo.items", "demo.fail", "Other…"]
    )
    expect(job_type).to_have_value("demo.count")
    params = page.get_by_label("Parameters (JSON)")
    assert json.loads(params.input_value()) == {"n": 50, "interval_ms": 200}
    expect(page.locator("#job-panel")).to_be_hidden()
    job_type.select_option("demo.items")
    assert json.loads(params.input_value()) == {"n": 12, "fail_every": 4}
    job_type.select_option("demo.fail")
    assert json.loads(params.input_value()) == {}


def test_params_typed_while_the_types_load_are_kept(page: Page, stack: FakeStack) -> None:
    held: list[Route] = []
    page.route("**/jobs/types", lambda route: held.append(route))
    page.goto(f"{stack.base_url}/")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the page never asked for the job types"
    params = page.get_by_label("Parameters (JSON)")
    params.fill('{"n": 7}')
    held[0].continue_()
    job_type = page.get_by_label("Job type", exact=True)
    expect(job_type.locator("option")).to_have_text(
        ["demo.count", "demo.items", "demo.fail", "Other…"]
    )
    expect(page.locator("#type-hint")).to_have_text(re.compile("Counts to n"))
    assert json.loads(params.input_value()) == {"n": 7}


def test_a_params_field_the_user_is_in_is_not_filled_under_them(
    page: Page, stack: FakeStack
) -> None:
    # What made a fill() racing the type list end as "<suggestion><typed text>": the field had
    # focus and no text yet when the list arrived.
    held: list[Route] = []
    page.route("**/jobs/types", lambda route: held.append(route))
    page.goto(f"{stack.base_url}/")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    params = page.get_by_label("Parameters (JSON)")
    params.focus()
    held[0].continue_()
    expect(page.locator("#job-type option")).to_have_count(4)
    assert params.input_value() == ""
    params.press_sequentially('{"n": 3}')
    assert json.loads(params.input_value()) == {"n": 3}


def test_a_start_pressed_before_the_types_are_listed_waits_for_them(
    page: Page, stack: FakeStack
) -> None:
    held: list[Route] = []
    page.route("**/jobs/types", lambda route: held.append(route))
    page.goto(f"{stack.base_url}/")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    created = len(stack.created)
    page.get_by_role("button", name="Start job").click()
    page.wait_for_timeout(200)
    assert len(stack.created) == created  # nothing to start yet
    held[0].continue_()

    expect(page.locator("#job-id")).not_to_be_empty()
    assert stack.created[-1]["job_id"] == page.locator("#job-id").inner_text()
    assert stack.job_by_id(stack.created[-1]["job_id"]).type == "demo.count"


def test_required_params_are_prefilled_from_the_schema(page: Page, stack: FakeStack) -> None:
    # The README's reports.export: `rows` is required, with bounds and no default or example.
    stack.job_types = {
        "types": [
            {
                "type": "reports.export",
                "params_schema": {
                    "$defs": {"Mode": {"enum": ["fast", "thorough"], "type": "string"}},
                    "properties": {
                        "rows": {"type": "integer", "minimum": 1, "maximum": 1000000},
                        "batch": {"type": "integer", "default": 500, "minimum": 1},
                        "label": {"type": "string", "minLength": 3},
                        "mode": {"$ref": "#/$defs/Mode"},
                        "limit": {
                            "anyOf": [{"type": "integer", "exclusiveMinimum": 0}, {"type": "null"}]
                        },
                        "note": {"type": "string"},
                    },
                    "required": ["rows", "label", "mode", "limit"],
                },
            }
        ]
    }
    try:
        page.goto(f"{stack.base_url}/")
        job_type = page.get_by_label("Job type", exact=True)
        expect(job_type.locator("option")).to_have_text(["reports.export", "Other…"])
    finally:
        stack.job_types = listed_job_types()
    params = json.loads(page.get_by_label("Parameters (JSON)").input_value())
    # Optional `note` (no default) is left out; every required field has a value it accepts.
    assert params == {"rows": 1, "batch": 500, "label": "xxx", "mode": "fast", "limit": 1}


def test_an_api_that_lists_no_types_leaves_other_and_says_why(page: Page, stack: FakeStack) -> None:
    stack.job_types = None
    try:
        page.goto(f"{stack.base_url}/")
        job_type = page.get_by_label("Job type", exact=True)
        expect(page.locator("#type-hint")).to_contain_text("Could not list the job types")
    finally:
        stack.job_types = listed_job_types()
    expect(job_type.locator("option")).to_have_text(["Other…"])
    expect(page.get_by_label("Job type name")).to_be_visible()


def test_job_runs_to_100_percent_and_a_drop_loses_and_repeats_nothing(
    page: Page, stack: FakeStack
) -> None:
    page.goto(f"{stack.base_url}/")
    job = start_job(page, stack, {"n": 50, "interval_ms": 40})
    bar = page.get_by_role("progressbar", name="Progress")

    progress_at_least(page, 20)
    expect(page.locator("#connection-state")).to_have_text("open")
    rendered_before_drop = rendered_ids(page)[-1]
    page.get_by_role("button", name="Drop connection").click()

    expect(bar).to_have_attribute("aria-valuenow", "100", timeout=20_000)
    expect(page.locator("#job-badge")).to_have_text("succeeded")
    total = len(job.events)  # phase + 50 progress + 5 log + complete
    assert rendered_ids(page) == list(range(1, total + 1))
    expect(page.locator("#last-event-id")).to_have_text(str(total))
    expect(page.get_by_role("status")).to_have_text("Job complete.")
    assert json.loads(page.locator("#result").inner_text()) == {"count": 50}
    expect(bar).to_have_attribute("aria-valuetext", "50 of 50 (100%)")
    expect(page.locator("#phase")).to_have_text("counting")
    expect(page.locator("#log li")).to_have_count(5)

    # The drop made the client come back with the last id it had rendered.
    assert len(job.connections) == 2
    resumed_after = job.connections[1].last_event_id
    assert resumed_after is not None
    assert rendered_before_drop <= int(resumed_after) < total
    assert job.connections[1].authorization == f"Bearer {job.token}"
    expect(page.locator("#reconnects")).to_have_text("1")
    expect(page.get_by_role("button", name="Drop connection")).to_be_disabled()
    expect(page.get_by_role("button", name="Cancel job")).to_be_disabled()


def test_cancel_posts_with_the_token_and_the_job_stops(page: Page, stack: FakeStack) -> None:
    page.goto(f"{stack.base_url}/")
    job = start_job(page, stack, {"n": 200, "interval_ms": 30})
    progress_at_least(page, 5)
    page.get_by_role("button", name="Cancel job").click()

    expect(page.locator("#job-badge")).to_have_text("cancelled")
    expect(page.get_by_role("status")).to_have_text("The job was cancelled.")
    assert job.cancel_calls == [f"Bearer {job.token}"]
    ids = rendered_ids(page)
    assert ids == list(range(1, len(ids) + 1))
    assert page.locator("#event-list li").last.get_attribute("data-event-type") == "cancelled"
    percent = page.get_by_role("progressbar").get_attribute("aria-valuenow")
    assert percent is not None
    assert int(percent) < 100
    expect(page.get_by_role("button", name="Cancel job")).to_be_disabled()


def test_after_a_reload_the_page_says_when_it_is_live_again(page: Page, stack: FakeStack) -> None:
    page.goto(f"{stack.base_url}/")
    start_job(page, stack, {"n": 100, "interval_ms": 100})
    progress_at_least(page, 10)
    page.reload()

    # Once the replay has shown what the job had, the status stops saying "Replaying" (issue 19).
    expect(page.get_by_role("status")).to_have_text("Following the job live.")
    expect(page.locator("#job-badge")).to_have_text("running")
    expect(page.get_by_role("button", name="Drop connection")).to_be_enabled()


def test_reload_mid_job_replays_the_log_and_shows_the_whole_view(
    page: Page, stack: FakeStack
) -> None:
    page.goto(f"{stack.base_url}/")
    job = start_job(page, stack, {"n": 50, "interval_ms": 40})
    progress_at_least(page, 30)
    before = shown_view(page)
    page.reload()

    # The reloaded page asks for the whole log (no Last-Event-ID) and rebuilds the view from it.
    bar = page.get_by_role("progressbar", name="Progress")
    wait_for_event(page, int(before["last_event_id"]))
    assert_continues(before, shown_view(page))
    expect(bar).to_have_attribute("aria-valuenow", "100", timeout=20_000)
    expect(page.locator("#job-badge")).to_have_text("succeeded")
    expect(page.locator("#job-id")).to_have_text(job.job_id)
    assert len(job.connections) == 2
    assert job.connections[-1].last_event_id is None
    total = len(job.events)
    assert rendered_ids(page) == list(range(1, total + 1))
    expect(page.locator("#log li")).to_have_count(5)

    stored = json.loads(page.evaluate("sessionStorage.getItem('jobstream.demo.job')"))
    assert stored["job_id"] == job.job_id
    assert stored["token"] == job.token

    # Reloading a finished job replays it again: the same view, down to the last log line.
    finished = shown_view(page)
    page.reload()
    expect(page.locator("#job-badge")).to_have_text("succeeded")
    expect(page.locator("#connection-state")).to_have_text("closed")
    assert shown_view(page) == finished
    assert len(job.connections) == 3
    assert rendered_ids(page) == list(range(1, total + 1))


def test_reload_keeps_the_item_list_counts_and_log_mid_run_and_after_the_end(
    page: Page, stack: FakeStack
) -> None:
    page.goto(f"{stack.base_url}/")
    page.get_by_label("Job type", exact=True).select_option(label="Other…")
    page.get_by_label("Job type name").fill("demo.items")
    job = start_job(page, stack, {"n": 24, "fail_every": 5, "interval_ms": 80})
    page.wait_for_function("() => document.querySelectorAll('#item-list li').length >= 9")

    before = shown_view(page)
    assert before["badge"] == "running"
    page.reload()
    wait_for_event(page, int(before["last_event_id"]))
    assert_continues(before, shown_view(page))

    expect(page.locator("#job-badge")).to_have_text("succeeded", timeout=20_000)
    finished = shown_view(page)
    assert finished["counts"] == [20, 4]
    assert finished["items"][0] == "✓ item-1"
    assert finished["failed_items"] == [
        f"✗ item-{i} — item {i} is not divisible" for i in (5, 10, 15, 20)
    ]
    assert len(finished["items"]) == 24
    assert finished["log"] == [f"{i} items checked" for i in (4, 8, 12, 16, 20, 24)]

    page.reload()
    expect(page.locator("#job-badge")).to_have_text("succeeded")
    expect(page.locator("#connection-state")).to_have_text("closed")
    assert shown_view(page) == finished
    assert [c.last_event_id for c in job.connections] == [None, None, None]


def test_items_results_and_a_failed_job(page: Page, stack: FakeStack) -> None:
    page.goto(f"{stack.base_url}/")
    page.get_by_label("Job type", exact=True).select_option(label="Other…")
    page.get_by_label("Job type name").fill("demo.items")
    start_job(page, stack, {"n": 8, "fail_every": 4, "interval_ms": 10})

    expect(page.locator("#job-badge")).to_have_text("succeeded")
    expect(page.locator("#items-succeeded")).to_have_text("6")
    expect(page.locator("#items-failed")).to_have_text("2")
    items = page.locator("#item-list li")
    expect(items).to_have_count(8)
    expect(page.locator("#item-list li.failed")).to_have_text(
        [re.compile(r"item-4 — item 4 is not divisible"), re.compile(r"item-8")]
    )

    page.get_by_label("Job type name").fill("demo.fail")
    start_job(page, stack, {"at": 3, "interval_ms": 10})
    expect(page.locator("#job-badge")).to_have_text("failed")
    expect(page.get_by_role("alert")).to_have_text("step 3 failed")
    expect(page.locator("#log li.level-warning")).to_have_count(1)
    expect(page.locator("#items-section")).to_be_hidden()


def test_form_errors_are_shown_next_to_the_field(page: Page, stack: FakeStack) -> None:
    page.goto(f"{stack.base_url}/")
    created = len(stack.created)
    params = page.get_by_label("Parameters (JSON)")
    params.fill("{oops")
    page.get_by_role("button", name="Start job").click()
    expect(page.locator("#params-error")).to_contain_text("Not valid JSON")
    expect(params).to_have_attribute("aria-invalid", "true")
    expect(params).to_be_focused()

    params.fill("[1, 2]")
    page.get_by_role("button", name="Start job").click()
    expect(page.locator("#params-error")).to_contain_text("must be a JSON object")
    assert len(stack.created) == created

    # An unknown type: the API's list of known types is shown and offered in the select.
    page.get_by_label("Job type", exact=True).select_option(label="Other…")
    page.get_by_label("Job type name").fill("demo.nope")
    params.fill("{}")
    page.get_by_role("button", name="Start job").click()
    # Said once, next to the type (not the params), with the API's own list of known types.
    type_error = page.locator("#type-error")
    expect(type_error).to_have_text("unknown job type demo.nope")
    expect(page.locator("#params-error")).to_be_hidden()
    expect(page.get_by_label("Job type name")).to_have_attribute("aria-invalid", "true")
    options = page.locator("#job-type option").all_inner_texts()
    assert options == ["demo.count", "demo.items", "demo.fail", "Other…"]
    assert len(stack.created) == created


def test_the_form_works_from_the_keyboard(page: Page, stack: FakeStack) -> None:
    page.goto(f"{stack.base_url}/")
    focused = []
    for _ in range(4):
        page.keyboard.press("Tab")
        focused.append(
            page.evaluate("document.activeElement.id || document.activeElement.className")
        )
    assert focused == ["skip-link", "job-type", "job-params", "start-button"]

    created = len(stack.created)
    page.get_by_label("Parameters (JSON)").fill('{"n": 5, "interval_ms": 10}')
    page.get_by_role("button", name="Start job").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#job-badge")).to_have_text("succeeded")
    assert len(stack.created) == created + 1
    # Focus moved to the new job's heading, so screen reader users land on it.
    expect(page.locator("#job-heading")).to_be_focused()


def test_text_events_append_by_offset_and_survive_a_reload(page: Page, stack: FakeStack) -> None:
    job = stack.add_job(
        [
            ("text", {"delta": "Hel", "offset": 0}),
            # Overlaps what is shown: only "lo" is new.
            ("text", {"delta": "llo", "offset": 2}),
            ("text", {"delta": " wör", "offset": 5}),
            # Already shown entirely: nothing to add.
            ("text", {"delta": "wö", "offset": 6}),
            # A gap (text never received) is marked, not glued on.
            ("text", {"delta": "!", "offset": 20}),
            ("complete", {"result": {"chars": 21}}),
        ],
        job_type="demo.typewriter",
    )
    page.goto(f"{stack.base_url}/")
    saved = {
        "job_id": job.job_id,
        "events_url": stack.events_url(job),
        "token": job.token,
        "lastEventId": "",
    }
    page.evaluate("(job) => sessionStorage.setItem('jobstream.demo.job', job)", json.dumps(saved))
    page.reload()

    text = page.locator("#text-output")
    expect(page.locator("#job-badge")).to_have_text("succeeded")
    expect(text).to_have_text("Hello wör[…]!")
    expect(text).not_to_have_class(re.compile("typing"))

    # A reload replays the log: the text is rebuilt from its events, not kept in storage.
    page.reload()
    expect(page.locator("#connection-state")).to_have_text("closed")
    expect(text).to_have_text("Hello wör[…]!")
    assert [c.last_event_id for c in job.connections] == [None, None]
    assert "text" not in page.evaluate("sessionStorage.getItem('jobstream.demo.job')")

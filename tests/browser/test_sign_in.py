"""The demo page under caller authentication, against the REAL local stack with its dev issuer
(`JOBSTREAM_API_AUTH=jwt make run`): it signs in as either example caller, the job belongs to
that caller, and a refused caller is said in the sign-in card, not under the parameters."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from jobstream.settings import Settings
from jobstream_local.stack import LocalStack
from tests.browser.chromium import skip_without_chromium

skip_without_chromium()


@pytest.fixture(scope="module")
def jwt_stack() -> Iterator[LocalStack]:
    settings = Settings(table=f"jobstream-signin-{uuid.uuid4().hex[:8]}", api_auth="jwt")
    with LocalStack(
        port=0, function_timeout_s=5, stream_timeout_s=10, settings=settings, dev_issuer=True
    ) as local:
        yield local


def start(page: Page, params: str) -> None:
    page.get_by_label("Job type", exact=True).select_option("demo.count")
    page.get_by_label("Parameters (JSON)").fill(params)
    page.get_by_role("button", name="Start job").click()


def test_the_page_signs_in_as_either_caller_and_the_job_is_theirs(
    page: Page, jwt_stack: LocalStack
) -> None:
    page.goto(f"{jwt_stack.url}/")
    caller = page.get_by_label("Caller")
    expect(caller.locator("option")).to_have_text(["alice", "bob", "nobody (no token)"])
    expect(caller).to_have_value("alice")
    expect(page.locator("#signin-status")).to_have_text("Signed in as alice.")
    # Signed in, the API lists its types.
    expect(page.locator("#job-type option[value='demo.count']")).to_be_attached()

    caller.select_option("bob")
    expect(page.locator("#signin-status")).to_have_text("Signed in as bob.")
    start(page, '{"n": 3, "interval_ms": 50}')
    expect(page.locator("#job-badge")).to_have_text("succeeded", timeout=30_000)
    job_id = page.locator("#job-id").inner_text()
    # The owner is the dev issuer's bob: its issuer and subject.
    assert jwt_stack.jobs.store.get_job(job_id).owner == f"{jwt_stack.settings.jwt_issuer}#bob"

    # A reload keeps the caller.
    page.reload()
    expect(page.get_by_label("Caller")).to_have_value("bob")


def test_a_refused_caller_is_said_where_the_caller_is_chosen(
    page: Page, jwt_stack: LocalStack
) -> None:
    page.goto(f"{jwt_stack.url}/")
    expect(page.locator("#job-type option[value='demo.count']")).to_be_attached()
    page.get_by_label("Caller").select_option("nobody (no token)")

    # Listing the types is refused: the sign-in card says so, the type field says where to go.
    error = page.locator("#signin-error")
    expect(error).to_contain_text("Sign in to use this API")
    expect(error).to_contain_text("Authorization: Bearer <JWT>")
    expect(page.locator("#type-hint")).to_contain_text("Sign in (above)")
    expect(page.locator("#job-type option")).to_have_text(["Other…"])

    # Starting one anyway is refused too, and said in the same place, not under the params.
    page.get_by_label("Job type name").fill("demo.count")
    page.get_by_label("Parameters (JSON)").fill('{"n": 3}')
    page.get_by_role("button", name="Start job").click()
    expect(error).to_contain_text("The API refused the caller")
    expect(page.locator("#params-error")).to_be_hidden()
    expect(page.get_by_label("Parameters (JSON)")).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Caller")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Caller")).to_be_focused()
    expect(page.locator("#job-panel")).to_be_hidden()

    # Signing in again clears it and lists the types.
    page.get_by_label("Caller").select_option("alice")
    expect(error).to_be_hidden()
    expect(page.locator("#job-type option[value='demo.count']")).to_be_attached()


def test_an_api_without_caller_authentication_shows_no_sign_in(page: Page) -> None:
    with LocalStack(
        port=0,
        function_timeout_s=5,
        stream_timeout_s=10,
        settings=Settings(table=f"jobstream-signin-{uuid.uuid4().hex[:8]}"),
    ) as local:
        page.goto(f"{local.url}/")
        expect(page.locator("#job-type option[value='demo.count']")).to_be_attached()
        expect(page.locator("#signin")).to_be_hidden()

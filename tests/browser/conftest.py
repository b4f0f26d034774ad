"""Browser-test fixtures: the fake stack on a free loopback port and Debian's Chromium.

Playwright never downloads a browser here: it drives /usr/bin/chromium (CI installs the Debian
package). Test modules skip themselves when it is absent (see chromium.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.browser.fake_stack import FakeStack, ServerThread


@pytest.fixture(scope="session")
def stack() -> Iterator[FakeStack]:
    fake = FakeStack()
    server = ServerThread(fake.app)
    server.start()
    fake.base_url = server.url
    try:
        yield fake
    finally:
        server.stop()


# Module scope, not session: Playwright's sync API keeps an asyncio loop running on this thread
# while it is open, so async tests collected after the browser tests (tests/functional/api under
# anyio) would fail with "Cannot run the event loop while another loop is running".
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _open_page(browser: Browser) -> tuple[BrowserContext, Page, list[str]]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    def on_console(message: ConsoleMessage) -> None:
        # Failed requests the tests provoke on purpose (401, 503, resets) are logged by Chromium
        # as console errors too; only script errors count.
        if message.type == "error" and "Failed to load resource" not in message.text:
            problems.append(f"console error: {message.text}")

    page.on("console", on_console)
    return context, page, problems


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh context (own sessionStorage and cache) per test; a script error fails the test."""
    context, page, problems = _open_page(browser)
    try:
        yield page
    finally:
        context.close()
    if problems:
        pytest.fail("\n".join(problems))


@pytest.fixture(scope="module")
def blank_page(browser: Browser, stack: FakeStack) -> Iterator[Page]:
    """A page on the fake stack's origin with nothing running, shared by a module's
    page.evaluate scripts (each script builds its own state; a new context per test would
    cost more than the tests themselves)."""
    context, page, problems = _open_page(browser)
    page.goto(f"{stack.base_url}/test/blank.html")
    try:
        yield page
    finally:
        context.close()
    if problems:
        pytest.fail("\n".join(problems))

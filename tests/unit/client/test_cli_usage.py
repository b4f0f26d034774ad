"""The CLI's exit codes and its usage errors, which it reports before any request (the CLI
against a scripted server: tests/integration/client/test_cli.py)."""

from __future__ import annotations

from io import StringIO

import httpx
import pytest
from rich.console import Console

from jobstream_client.cli import ExitCode, main


class Run:
    """``main()`` with a captured console and an injected sleep that never waits."""

    def __init__(self, http_client: httpx.Client | None = None) -> None:
        self.http_client = http_client
        self.buffer = StringIO()
        self.console = Console(file=self.buffer, force_terminal=False, width=120)
        self.sleeps: list[float] = []

    def __call__(self, *argv: str, sleep_raises: BaseException | None = None) -> int:
        def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)
            if sleep_raises is not None:
                raise sleep_raises

        return main(list(argv), console=self.console, sleep=sleep, http_client=self.http_client)

    @property
    def output(self) -> str:
        return self.buffer.getvalue()


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.delenv("JOBSTREAM_TOKEN", raising=False)
    monkeypatch.delenv("JOBSTREAM_API", raising=False)
    return Run()


def test_exit_codes_are_distinct() -> None:
    assert len({int(c) for c in ExitCode}) == len(ExitCode)


@pytest.mark.parametrize(
    "argv",
    [
        ["start", "demo.count", "--param", "no-equals-sign"],
        ["start", "demo.count", "--params", "[1, 2]"],
        ["start", "demo.count", "--params", "{not json"],
        ["attach", "--events-url", "http://x/jobs/1/events", "--last-event-id", "-1"],
        ["attach"],
        ["attach", "--job-id", "1", "--token-file", "/nonexistent/token"],
    ],
)
def test_usage_errors_exit_2(run: Run, argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        run(*argv)

    assert exited.value.code == ExitCode.USAGE

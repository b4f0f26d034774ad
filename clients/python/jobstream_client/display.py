"""The terminal view of a job: a rich progress bar with log lines printed above it.

Everything the server sends is shown as plain text (``rich.text.Text``, never markup) after
``printable()`` has neutralised control characters, so a log message cannot restyle or move
around the user's terminal.
"""

from __future__ import annotations

import json
from types import TracebackType
from typing import Any, Self, TypeGuard

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from jobstream_client.errors import printable
from jobstream_client.sse import ServerSentEvent
from jobstream_client.stream import RetryNotice

__all__ = ["ProgressView"]

_MAX_LINE = 500
_LEVEL_STYLES = {"debug": "dim", "warning": "yellow", "warn": "yellow", "error": "red"}


class ProgressView:
    """Feed it events with ``show(event)``; use it as a context manager around the stream."""

    def __init__(self, console: Console, *, title: str) -> None:
        self.console = console
        self.title = printable(title, limit=80)
        self.phase: str | None = None
        self.succeeded = 0
        self.failed = 0
        self._progress = Progress(
            # markup=False: the description holds a phase name chosen by the server.
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[items]}"),
            TimeElapsedColumn(),
            console=console,
        )
        self._task: TaskID = self._progress.add_task(self.title, total=None, items="")

    def __enter__(self) -> Self:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def note(self, message: str, *, style: str = "dim") -> None:
        """A line of our own above the bar (not from the server)."""
        self._progress.console.print(Text(message, style=style))

    def retrying(self, notice: RetryNotice) -> None:
        if notice.consecutive_failures:
            message = (
                f"{notice.reason}; reconnecting in {notice.delay_s:.1f} s "
                f"(failure {notice.consecutive_failures} in a row)"
            )
        else:
            message = f"{notice.reason}; resuming in {notice.delay_s:.1f} s"
        if notice.last_event_id:
            message += f" after event {notice.last_event_id}"
        self.note(message)

    def show(self, event: ServerSentEvent) -> None:
        data = _json_object(event.data)
        handler = getattr(self, f"_on_{event.event}", None)
        if handler is not None:
            handler(data)
        # Unknown event types are tolerated silently: newer servers may send more.

    # --- one method per event type of the wire contract ---------------------------------------

    def _on_progress(self, data: dict[str, Any]) -> None:
        done, total, percent = data.get("done"), data.get("total"), data.get("percent")
        if _is_number(total) and total > 0 and _is_number(done):
            self._progress.update(self._task, total=total, completed=done)
        elif _is_number(percent):
            self._progress.update(self._task, total=100, completed=percent)
        phase = data.get("phase")
        if isinstance(phase, str) and phase:
            self._set_phase(phase)

    def _on_phase(self, data: dict[str, Any]) -> None:
        name = data.get("name")
        if isinstance(name, str) and name:
            self._set_phase(name)
            self.note(f"phase: {printable(name, limit=80)}", style="bold")

    def _on_log(self, data: dict[str, Any]) -> None:
        message = data.get("message")
        if not isinstance(message, str):
            return
        level = data.get("level")
        level = level.lower() if isinstance(level, str) else "info"
        self._progress.console.print(
            Text(printable(message, limit=_MAX_LINE), style=_LEVEL_STYLES.get(level, ""))
        )

    def _on_item(self, data: dict[str, Any]) -> None:
        ok = data.get("ok") is True
        succeeded, failed = data.get("succeeded"), data.get("failed")
        # The server's running totals win (they survive a reattach); else count what we saw.
        if isinstance(succeeded, int) and isinstance(failed, int):
            self.succeeded, self.failed = succeeded, failed
        elif ok:
            self.succeeded += 1
        else:
            self.failed += 1
        if not ok:
            key = printable(str(data.get("key", "?")), limit=80)
            reason = data.get("reason")
            line = f"✗ {key}" + (f": {printable(str(reason), limit=_MAX_LINE)}" if reason else "")
            self._progress.console.print(Text(line, style="red"))
        self._progress.update(
            self._task, items=f"[green]✓ {self.succeeded}[/] [red]✗ {self.failed}[/]"
        )

    def _on_complete(self, data: dict[str, Any]) -> None:
        task = self._progress.tasks[self._task]
        if task.total is not None:
            self._progress.update(self._task, completed=task.total)
        line = "✓ complete"
        if "result" in data and data["result"] is not None:
            result = json.dumps(data["result"], ensure_ascii=False, separators=(",", ":"))
            line += f": {printable(result, limit=_MAX_LINE)}"
        self._progress.console.print(Text(line, style="green"))

    def _on_error(self, data: dict[str, Any]) -> None:
        message = data.get("message")
        text = printable(message, limit=_MAX_LINE) if isinstance(message, str) else "job failed"
        self._progress.console.print(Text(f"✗ failed: {text}", style="bold red"))

    def _on_cancelled(self, data: dict[str, Any]) -> None:
        self._progress.console.print(Text("job cancelled", style="yellow"))

    def _set_phase(self, phase: str) -> None:
        self.phase = printable(phase, limit=60)
        self._progress.update(self._task, description=f"{self.title} · {self.phase}")


def _json_object(data: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)

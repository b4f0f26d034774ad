"""Where a job's events are born: the wire shape of every event type, in one place.

Clients (browser, CLI) rely on these shapes; change them only additively.

- ``progress``: ``{"done", "total", "percent", "phase"}`` (+ ``"message"``); total/percent are null
  when the amount of work is unknown.
- ``phase``: ``{"name", "weight", "index", "count", "percent"}`` (index/count null without a plan).
- ``log``: ``{"message", "level"}``.
- ``item``: ``{"key", "ok", "reason", "succeeded", "failed"}`` with running totals, so a viewer who
  joins late knows the counts without replaying the log.
- exactly one terminal event: ``complete`` ``{"result"}`` (+ ``"items"`` totals when items were
  reported), ``error`` ``{"message"}`` (client-safe text only), ``cancelled`` ``{"message"}``.
"""

from __future__ import annotations

from typing import Final, Literal

from jobstream.store.models import (
    CANCELLED_EVENT_TYPE,
    COMPLETE_EVENT_TYPE,
    ERROR_EVENT_TYPE,
    JSON,
    PROGRESS_EVENT_TYPE,
    NewEvent,
)

# The terminal types and progress are the store's (store/models.py): defined once, named here.
PROGRESS: Final = PROGRESS_EVENT_TYPE
PHASE: Final = "phase"
LOG: Final = "log"
ITEM: Final = "item"
COMPLETE: Final = COMPLETE_EVENT_TYPE
ERROR: Final = ERROR_EVENT_TYPE
CANCELLED: Final = CANCELLED_EVENT_TYPE

BUILT_IN_TYPES: Final = frozenset({PROGRESS, PHASE, LOG, ITEM, COMPLETE, ERROR, CANCELLED})

LogLevel = Literal["debug", "info", "warning", "error"]

CANCELLED_MESSAGE: Final = "The job was cancelled."


def progress(
    *,
    done: float,
    total: float | None,
    percent: float | None,
    phase: str | None,
    message: str | None,
) -> NewEvent:
    data: dict[str, JSON] = {"done": done, "total": total, "percent": percent, "phase": phase}
    if message is not None:
        data["message"] = message
    return NewEvent(PROGRESS, data)


def phase(
    *, name: str, weight: float | None, index: int | None, count: int | None, percent: float | None
) -> NewEvent:
    return NewEvent(
        PHASE,
        {"name": name, "weight": weight, "index": index, "count": count, "percent": percent},
    )


def log(*, message: str, level: LogLevel) -> NewEvent:
    return NewEvent(LOG, {"message": message, "level": level})


def item(*, key: str, ok: bool, reason: str | None, succeeded: int, failed: int) -> NewEvent:
    return NewEvent(
        ITEM,
        {"key": key, "ok": ok, "reason": reason, "succeeded": succeeded, "failed": failed},
    )


def complete(*, result: JSON, succeeded: int, failed: int) -> NewEvent:
    data: dict[str, JSON] = {"result": result}
    if succeeded or failed:
        data["items"] = {"succeeded": succeeded, "failed": failed}
    return NewEvent(COMPLETE, data)


def error(*, message: str) -> NewEvent:
    return NewEvent(ERROR, {"message": message})


def cancelled(*, message: str = CANCELLED_MESSAGE) -> NewEvent:
    return NewEvent(CANCELLED, {"message": message})

"""The one rule set for an event, and how events are laid out inside event items.

Every event is checked and encoded HERE, once: the job context calls ``encode_event`` when a job
emits (so a bad event fails the step that made it, with a clear error), and the store writes the
``EncodedEvent`` it got as it is. The rules (schema.py has the numbers):

- JSON: compact, UTF-8 (``ensure_ascii=False``); NaN and Infinity refused (browsers' JSON.parse
  rejects them), as are lone surrogates (DynamoDB would) and anything json cannot encode;
- type: 1-64 of ``A-Z a-z 0-9 . _`` (EVENT_TYPE_MAX_BYTES);
- data: a JSON object, at most EVENT_DATA_MAX_BYTES encoded (PROGRESS_MAX_BYTES for ``progress``);
- every size is counted in UTF-8 bytes of that encoding, never in characters.

An event item holds a run of consecutive events as ONE JSON string
``[[type, data, created_at], ...]`` (ids implied by the item's first id). A single string attribute
is both the most compact form and the one whose stored size is exactly its UTF-8 length, so the
item size checks below are exact.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from jobstream.store import schema
from jobstream.store.errors import PayloadTooLarge
from jobstream.store.models import JSON, PROGRESS_EVENT_TYPE, JSONObject, StoredEvent

_EVENT_TYPE: Final = re.compile(rf"[A-Za-z0-9._]{{1,{schema.EVENT_TYPE_MAX_BYTES}}}")


def dump_json(value: JSON, what: str = "value") -> str:
    """Compact JSON, or ValueError naming ``what`` (NaN, Infinity and non-JSON types refused)."""
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} is not JSON-serialisable: {exc}") from None


def utf8_len(text: str) -> int:
    # Also refuses lone surrogates (UnicodeEncodeError, a ValueError), which DynamoDB would reject.
    return len(text.encode("utf-8"))


def check_event_type(event_type: str) -> None:
    if not isinstance(event_type, str) or not _EVENT_TYPE.fullmatch(event_type):
        raise ValueError(
            f"event type {event_type!r} must be 1-{schema.EVENT_TYPE_MAX_BYTES} of the "
            "characters A-Z, a-z, 0-9, '.' and '_'"
        )


def _data_limit(event_type: str) -> int:
    return (
        schema.PROGRESS_MAX_BYTES
        if event_type == PROGRESS_EVENT_TYPE
        else schema.EVENT_DATA_MAX_BYTES
    )


@dataclass(frozen=True, slots=True)
class EncodedEvent:
    """An event checked and encoded by ``encode_event`` (the only way to make one)."""

    type: str
    data: JSONObject  # decoded from data_json: exactly what readers will get, and a private copy
    created_at: float
    data_json: str
    fragment: str  # this event's JSON inside the item's list
    size: int  # UTF-8 bytes of fragment


def encode_event(event_type: str, data: JSONObject, created_at: float) -> EncodedEvent:
    """Check and encode one event (ValueError, TypeError, PayloadTooLarge: nothing was written)."""
    check_event_type(event_type)
    if not isinstance(data, dict):
        raise TypeError(f"event data must be a JSON object (dict), not {type(data).__name__}")
    data_json = dump_json(data, f"{event_type} event data")
    data_size = utf8_len(data_json)
    limit = _data_limit(event_type)
    if data_size > limit:
        raise PayloadTooLarge(f"{event_type!r} event data", data_size, limit)
    created_at = round(created_at, 3)
    # The type is plain ASCII and created_at a number: the fragment is data_json plus a few bytes,
    # assembled rather than encoded a second time.
    fragment = f'["{event_type}",{data_json},{dump_json(created_at)}]'
    return EncodedEvent(
        type=event_type,
        data=json.loads(data_json),
        created_at=created_at,
        data_json=data_json,
        fragment=fragment,
        size=utf8_len(fragment),
    )


@dataclass(frozen=True, slots=True)
class EventItemBody:
    """The events of one event item: ids first_id..last_id and their JSON list."""

    first_id: int
    last_id: int
    events_json: str
    size: int  # bytes of the whole item, numbers counted at their maximum


def pack_items(
    job_id: str, first_id: int, events: Sequence[EncodedEvent], *, max_events: int
) -> list[EventItemBody]:
    """Split consecutive events into as few items as the item size and count limits allow."""
    overhead = schema.event_item_overhead(job_id)
    bodies: list[EventItemBody] = []
    run: list[str] = []
    run_bytes = 2  # the list's brackets

    def close_run() -> None:
        nonlocal run, run_bytes
        start = bodies[-1].last_id + 1 if bodies else first_id
        bodies.append(
            EventItemBody(
                first_id=start,
                last_id=start + len(run) - 1,
                events_json="[" + ",".join(run) + "]",
                size=overhead + run_bytes,
            )
        )
        run, run_bytes = [], 2

    for event in events:
        extra = event.size + (1 if run else 0)  # the separating comma
        if run and (len(run) >= max_events or overhead + run_bytes + extra > schema.ITEM_MAX_BYTES):
            close_run()
            extra = event.size
        run.append(event.fragment)
        run_bytes += extra
    if run:
        close_run()
    return bodies


def decode_events(first_id: int, events_json: str, *, after_id: int = 0) -> Iterator[StoredEvent]:
    """The events of one item with id > ``after_id``, in order."""
    raw = json.loads(events_json)
    for offset in range(max(0, after_id + 1 - first_id), len(raw)):
        event_type, data, created_at = raw[offset]
        yield StoredEvent(id=first_id + offset, type=event_type, data=data, created_at=created_at)

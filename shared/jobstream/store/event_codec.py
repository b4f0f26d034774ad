"""How events are laid out inside event items: compact JSON, measured in bytes before any write.

An event item holds a run of consecutive events as ONE JSON string
``[[type, data, created_at], ...]`` (ids implied by the item's first id). A single string attribute
is both the most compact form and the one whose stored size is exactly its UTF-8 length, so the
400 KB check below is exact.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from jobstream.store import schema
from jobstream.store.errors import PayloadTooLarge
from jobstream.store.models import JSON, JSONObject, StoredEvent


def dump_json(value: JSON) -> str:
    """Compact JSON; NaN/Infinity are refused because browsers' JSON.parse rejects them."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def utf8_len(text: str) -> int:
    # Also refuses lone surrogates (UnicodeEncodeError, a ValueError), which DynamoDB would reject.
    return len(text.encode("utf-8"))


def max_event_bytes(job_id: str) -> int:
    """The largest encoded event that fits alone in one event item of ``job_id``."""
    return schema.ITEM_MAX_BYTES - schema.event_item_overhead(job_id) - len("[]")


def check_event_type(event_type: str) -> None:
    # The type becomes the SSE ``event:`` field, which cannot hold line breaks or NUL.
    if not isinstance(event_type, str) or not 0 < len(event_type) <= schema.EVENT_TYPE_MAX_CHARS:
        raise ValueError(
            f"event type must be a string of 1..{schema.EVENT_TYPE_MAX_CHARS} characters"
        )
    if any(c in event_type for c in "\r\n\0"):
        raise ValueError("event type must not contain CR, LF or NUL")


@dataclass(frozen=True, slots=True)
class EncodedEvent:
    type: str
    data: JSONObject
    created_at: float
    fragment: str  # this event's JSON inside the item's list
    size: int  # UTF-8 bytes of fragment


def encode_event(job_id: str, event_type: str, data: JSONObject, created_at: float) -> EncodedEvent:
    """Validate and encode one event; PayloadTooLarge if it could not fit in an item on its own."""
    check_event_type(event_type)
    if not isinstance(data, dict):
        raise TypeError(f"event data must be a JSON object, not {type(data).__name__}")
    created_at = round(created_at, 3)
    fragment = dump_json([event_type, data, created_at])
    size = utf8_len(fragment)
    limit = max_event_bytes(job_id)
    if size > limit:
        raise PayloadTooLarge(f"event {event_type!r}", size, limit)
    return EncodedEvent(
        type=event_type, data=data, created_at=created_at, fragment=fragment, size=size
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

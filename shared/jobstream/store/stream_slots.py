"""Stream slots: how many streams read a job at once, and which one is a viewer's newest.

Lambda never tells a stream that its client left, so a per-job cap on live streams and "one live
stream per viewer" are kept here, in the table, by the streams themselves:

- a job has ``cap`` slots (items ``LIVE#<index>`` in its partition); a stream claims one before
  its first byte, with a conditional put, and deletes it when it ends. A claim never blocks: with
  every slot held by a live stream it fails with StreamsAtCap, which the stream answers with 429
  and ``Retry-After``. A slot's lease ends at its ``expires_at`` (the holder's own end plus a
  grace), so a stream that crashed frees its slot by then;
- a stream that names its viewer takes over the slot that viewer's older stream holds (a reload,
  a network change): the older stream sees a newer generation in its slot at its next poll (the
  tail's Query reads the slots with the events, EventLog.events_after(live=...)) and ends.

Cost: a stream's open reads its job and the job's slots in one consistent Query (the slots
``LIVE#<index>`` sort right before the job item ``META`` in its partition: ``read_job_and_slots``),
then claims with one conditional put (more only when two claims race for one slot); the end is one
conditional delete; noticing a newer stream costs no request at all: the slots up to the stream's
own ride along in the poll's Query (about 90 bytes each, so at the default cap of 10 under 1 KB,
inside the read unit the Query pays anyway). A window's reconnect waits for the open's two
requests, so the slots come with the job item instead of costing a third.
"""

from __future__ import annotations

import contextlib
import math
import random
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from jobstream.store import attribute_values as av
from jobstream.store import schema, write_items
from jobstream.store.dynamo_calls import ConditionFailed
from jobstream.store.errors import JobNotFound, StreamsAtCap
from jobstream.store.expressions import Expression
from jobstream.store.job_codec import is_expired, job_from_item
from jobstream.store.models import Job
from jobstream.store.table_access import TableAccess

# Claims racing for the same free slot: each loser reads the slots again and picks another.
_CLAIM_ATTEMPTS = 4
# A slot's lease outlives its stream's planned end by this much. A stream ends by itself and
# deletes its slot then; the lease only frees the slot of a stream that crashed (or whose delete
# failed), and must not free one whose stream is a moment late.
LEASE_GRACE_S = 10.0


@dataclass(frozen=True, slots=True)
class StreamSlot:
    """The slot one stream holds: release it with StreamSlots.release_stream_slot."""

    job_id: str
    index: int
    stream_id: str
    generation: int
    # The older stream of the same viewer this claim superseded, if any (for the logs).
    superseded: str | None = None


@dataclass(frozen=True, slots=True)
class _Held:
    stream_id: str
    viewer: str | None
    generation: int
    expires_at: float


@dataclass(frozen=True, slots=True)
class SlotsSeen:
    """The slots of a job as one consistent read saw them (``read_job_and_slots``): what a
    claim starts from instead of reading them again."""

    job_id: str
    held: Mapping[int, _Held]


class LiveSlots:
    """What one read of a job's slots saw: each slot's generation (filled by events_after).

    ``through``: the highest slot index the read needs (the reader's own): the Query's range
    ends at that slot's key, so it reads at most ``through + 1`` slot items (~90 bytes each).
    """

    def __init__(self, through: int) -> None:
        self.through = through
        self._generations: dict[int, int] = {}

    def note(self, item: Mapping[str, Any]) -> None:
        index = _slot_index(item)
        generation = av.get_int(item, schema.SLOT_GENERATION)
        if index is not None and generation is not None:
            self._generations[index] = generation

    def superseded(self, slot: StreamSlot) -> bool:
        """True when a newer claim took ``slot`` (a read lagging behind never says so)."""
        return self._generations.get(slot.index, 0) > slot.generation


class StreamSlots(TableAccess):
    def read_job_and_slots(self, job_id: str) -> tuple[Job, SlotsSeen]:
        """The job (JobNotFound if there is none, or it expired) and its stream slots, in one
        strongly consistent Query: the slots' keys (``LIVE#<index>``) sort right before the job
        item's (``META``) and after every event's (``EV#...``), so the range holds nothing else.
        """
        expression = Expression()
        pk, sk = expression.name(schema.PK), expression.name(schema.SK)
        request: dict[str, Any] = {
            "TableName": self._settings.table,
            "KeyConditionExpression": (
                f"{pk} = {expression.value(av.s(schema.job_pk(job_id)))} AND {sk} BETWEEN "
                f"{expression.value(av.s(schema.LIVE_SK_PREFIX))} AND "
                f"{expression.value(av.s(schema.JOB_SK))}"
            ),
            "ExpressionAttributeNames": expression.names,
            "ExpressionAttributeValues": expression.values,
            "ConsistentRead": True,
        }
        job_item: Mapping[str, Any] | None = None
        slots: dict[int, _Held] = {}
        for item in self._query_pages(request):
            if av.get_s(item, schema.SK) == schema.JOB_SK:
                job_item = item
            else:
                _note_held(slots, item)
        if job_item is None or is_expired(job_item, self._clock.time()):
            raise JobNotFound(job_id)
        return job_from_item(job_item), SlotsSeen(job_id=job_id, held=slots)

    def claim_stream_slot(
        self,
        job_id: str,
        *,
        cap: int,
        until: float,
        viewer: str | None = None,
        seen: SlotsSeen | None = None,
    ) -> StreamSlot:
        """Claim a slot of ``job_id`` for a stream that ends by ``until`` (epoch seconds): the
        slot ``viewer``'s older stream holds, else a free one. ``seen``: the slots as a read
        just made saw them (``read_job_and_slots``), for the first try. Raises StreamsAtCap,
        whose ``retry_after_s`` is when the soonest-ending holder plans to end."""
        if cap < 1:
            raise ValueError("cap must be at least 1")
        if seen is not None and seen.job_id != job_id:
            raise ValueError("the slots seen are another job's")
        stream_id = uuid.uuid4().hex
        for attempt in range(_CLAIM_ATTEMPTS):
            now = self._clock.time()
            slots = (
                dict(seen.held) if seen is not None and attempt == 0 else self._read_slots(job_id)
            )
            live = {i: held for i, held in slots.items() if held.expires_at > now and i < cap}
            own = next(
                (i for i, held in live.items() if viewer is not None and held.viewer == viewer),
                None,
            )
            if own is not None:
                index, expected = own, live[own]
            else:
                free = [i for i in range(cap) if i not in live]
                if not free:
                    soonest = min(held.expires_at for held in live.values()) - LEASE_GRACE_S
                    raise StreamsAtCap(job_id, cap, max(1, math.ceil(soonest - now)))
                # At random: claims arriving together mostly pick different slots.
                index = random.choice(free)
                expected = None
            previous = slots.get(index)
            generation = (previous.generation if previous is not None else 0) + 1
            try:
                self._put_slot(job_id, index, stream_id, viewer, generation, until, expected, now)
            except ConditionFailed:
                continue
            return StreamSlot(
                job_id=job_id,
                index=index,
                stream_id=stream_id,
                generation=generation,
                superseded=expected.stream_id if expected is not None else None,
            )
        raise StreamsAtCap(job_id, cap, 1)

    def release_stream_slot(self, slot: StreamSlot) -> None:
        """Free the slot, unless a newer stream took it over meanwhile."""
        expression = Expression()
        expression.require(
            f"{expression.name(schema.SLOT_STREAM)} = {expression.value(av.s(slot.stream_id))}"
        )
        request: dict[str, Any] = {
            "TableName": self._settings.table,
            "Key": write_items.key(schema.job_pk(slot.job_id), schema.live_sk(slot.index)),
            "ConditionExpression": expression.condition,
            "ExpressionAttributeNames": expression.names,
            "ExpressionAttributeValues": expression.values,
        }
        # Superseded, or expired and claimed again: then it is not ours to free.
        with contextlib.suppress(ConditionFailed):
            self._request("DeleteItem", partial(self.client.delete_item, **request))

    def _read_slots(self, job_id: str) -> dict[int, _Held]:
        expression = Expression()
        pk, sk = expression.name(schema.PK), expression.name(schema.SK)
        request: dict[str, Any] = {
            "TableName": self._settings.table,
            "KeyConditionExpression": (
                f"{pk} = {expression.value(av.s(schema.job_pk(job_id)))} AND "
                f"begins_with({sk}, {expression.value(av.s(schema.LIVE_SK_PREFIX))})"
            ),
            "ExpressionAttributeNames": expression.names,
            "ExpressionAttributeValues": expression.values,
            "ConsistentRead": True,
        }
        slots: dict[int, _Held] = {}
        for item in self._query_pages(request):
            _note_held(slots, item)
        return slots

    def _query_pages(self, request: dict[str, Any]) -> Iterator[Mapping[str, Any]]:
        while True:
            page = self._request("Query", partial(self.client.query, **request))
            yield from page.get("Items", [])
            start_key = page.get("LastEvaluatedKey")
            if not start_key:
                return
            request["ExclusiveStartKey"] = start_key

    def _put_slot(
        self,
        job_id: str,
        index: int,
        stream_id: str,
        viewer: str | None,
        generation: int,
        until: float,
        expected: _Held | None,
        now: float,
    ) -> None:
        item = {
            **write_items.key(schema.job_pk(job_id), schema.live_sk(index)),
            schema.SLOT_STREAM: av.s(stream_id),
            schema.SLOT_GENERATION: av.n(generation),
            schema.EXPIRES_AT: av.n(until + LEASE_GRACE_S),
        }
        if viewer is not None:
            item[schema.SLOT_VIEWER] = av.s(viewer)
        expression = Expression()
        if expected is not None:
            # Taking over the viewer's older stream: only if that stream still holds it.
            expression.require(
                f"{expression.name(schema.SLOT_STREAM)} = "
                f"{expression.value(av.s(expected.stream_id))}"
            )
        else:
            # A free slot: never written, or its holder's lease has ended.
            expression.require(
                f"attribute_not_exists({expression.name(schema.PK)}) OR "
                f"{expression.name(schema.EXPIRES_AT)} <= {expression.value(av.n(now))}"
            )
        self._request(
            "PutItem",
            lambda: self.client.put_item(
                **write_items.put(self._settings.table, item, expression, return_old=False)
            ),
        )


def _note_held(slots: dict[int, _Held], item: Mapping[str, Any]) -> None:
    index = _slot_index(item)
    stream_id = av.get_s(item, schema.SLOT_STREAM)
    if index is None or stream_id is None:
        return
    slots[index] = _Held(
        stream_id=stream_id,
        viewer=av.get_s(item, schema.SLOT_VIEWER),
        generation=av.get_int(item, schema.SLOT_GENERATION) or 0,
        expires_at=av.get_n(item, schema.EXPIRES_AT) or 0.0,
    )


def _slot_index(item: Mapping[str, Any]) -> int | None:
    sk = av.get_s(item, schema.SK)
    if sk is None or not sk.startswith(schema.LIVE_SK_PREFIX):
        return None
    digits = sk.removeprefix(schema.LIVE_SK_PREFIX)
    return int(digits) if digits.isascii() and digits.isdigit() else None

"""The job item <-> Job, and the checks on the sizes of what goes into it (in UTF-8 bytes, with the
one JSON encoder of event_codec.py; the job context runs the same checks at step time)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from jobstream.store import attribute_values as av
from jobstream.store import schema
from jobstream.store.errors import PayloadTooLarge
from jobstream.store.event_codec import dump_json, utf8_len
from jobstream.store.models import JSON, Checkpoint, Job, JobMode, JobStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef


def encode_limited(what: str, value: JSON, limit: int) -> str:
    """JSON-encode ``value``; ValueError if not JSON, PayloadTooLarge if over ``limit`` bytes."""
    text = dump_json(value, what)
    size = utf8_len(text)
    if size > limit:
        raise PayloadTooLarge(what, size, limit)
    return text


def encode_checkpoint(checkpoint: Checkpoint) -> str:
    """The checkpoint as stored: ``{"cursor", "state"}``, at most CHECKPOINT_MAX_BYTES."""
    return encode_limited(
        "checkpoint",
        {"cursor": checkpoint.cursor, "state": checkpoint.state},
        schema.CHECKPOINT_MAX_BYTES,
    )


def check_job_id(job_id: str) -> None:
    if not job_id or utf8_len(job_id) > schema.JOB_ID_MAX_BYTES:
        raise ValueError(f"job id must be 1..{schema.JOB_ID_MAX_BYTES} bytes")


def new_job_item(
    *,
    job_id: str,
    job_type: str,
    params_json: str,
    mode: JobMode,
    now: float,
    expires_at: float,
    sweep_at: float,
    owner: str | None = None,
) -> dict[str, AttributeValueTypeDef]:
    """A new job item; ``sweep_at``: when the scheduled sweep should first look at it
    (sweep_index.py), which puts it in the sweep's index until it ends."""
    item: dict[str, AttributeValueTypeDef] = {
        schema.PK: av.s(schema.job_pk(job_id)),
        schema.SK: av.s(schema.JOB_SK),
        schema.JOB_ID: av.s(job_id),
        schema.JOB_TYPE: av.s(job_type),
        schema.PARAMS: av.s(params_json),
        schema.MODE: av.s(mode.value),
        schema.STATUS: av.s(JobStatus.QUEUED.value),
        schema.CREATED_AT: av.n(now),
        schema.UPDATED_AT: av.n(now),
        schema.LAST_EVENT_ID: av.n(0),
        schema.CHECKPOINT: av.s(encode_checkpoint(Checkpoint())),
        schema.HOPS: av.n(0),
        schema.CANCEL_REQUESTED: av.boolean(False),
        schema.EXPIRES_AT: av.ttl(expires_at),
        schema.SWEEP_SHARD: av.s(schema.sweep_shard_of(job_id)),
        schema.SWEEP_AT: av.n(sweep_at),
    }
    if owner is not None:
        item[schema.OWNER] = av.s(owner)
    return item


def is_expired(item: Mapping[str, Any], now: float) -> bool:
    expires_at = av.get_n(item, schema.EXPIRES_AT)
    return expires_at is not None and expires_at <= now


def _json_or_none(item: Mapping[str, Any], name: str) -> JSON:
    text = av.get_s(item, name)
    return None if text is None else json.loads(text)


def job_from_item(item: Mapping[str, Any]) -> Job:
    checkpoint = _json_or_none(item, schema.CHECKPOINT) or {}
    return Job(
        job_id=av.get_s(item, schema.JOB_ID) or "",
        type=av.get_s(item, schema.JOB_TYPE) or "",
        params=_json_or_none(item, schema.PARAMS) or {},
        mode=JobMode(av.require_s(item, schema.MODE)),
        status=JobStatus(av.require_s(item, schema.STATUS)),
        created_at=av.get_n(item, schema.CREATED_AT) or 0.0,
        updated_at=av.get_n(item, schema.UPDATED_AT) or 0.0,
        last_event_id=av.get_int(item, schema.LAST_EVENT_ID) or 0,
        checkpoint=Checkpoint(cursor=checkpoint.get("cursor"), state=checkpoint.get("state") or {}),
        hops=av.get_int(item, schema.HOPS) or 0,
        cancel_requested=av.get_bool(item, schema.CANCEL_REQUESTED),
        lease_owner=av.get_s(item, schema.LEASE_OWNER),
        lease_expires_at=av.get_n(item, schema.LEASE_EXPIRES_AT),
        progress=_json_or_none(item, schema.PROGRESS),
        result=_json_or_none(item, schema.RESULT),
        error=av.get_s(item, schema.ERROR),
        expires_at=av.get_n(item, schema.EXPIRES_AT) or 0.0,
        execution_id=av.get_s(item, schema.EXECUTION_ID),
        owner=av.get_s(item, schema.OWNER),
    )

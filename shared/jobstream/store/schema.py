"""The table layout: every key, attribute name and size limit of the store, in one place.

One table holds every job. Per job (partition ``JOB#<id>``):

- the job item, ``sk = META``: status, lease, checkpoint, progress, result, ...;
- event items, ``sk = EV#<id of the item's LAST event, 0-padded to 12 digits>``, each holding one
  or more consecutive events. Sorting by sk sorts by id, and "the events after k" start in the
  first item whose sk is >= ``EV#<k+1>``: a replay reads only the items it needs.

All items of a job carry the same ``expires_at`` (job creation + retention), so a job and its whole
log expire together: a reader never sees a log whose head has expired before its tail.
"""

from __future__ import annotations

import zlib
from typing import Final

# --- Keys -----------------------------------------------------------------------------------------
PK: Final = "pk"
SK: Final = "sk"
JOB_PK_PREFIX: Final = "JOB#"
JOB_SK: Final = "META"
EVENT_SK_PREFIX: Final = "EV#"
EVENT_ID_DIGITS: Final = 12
MAX_EVENT_ID: Final = 10**EVENT_ID_DIGITS - 1

# --- Attributes shared by every item -------------------------------------------------------------
# The TTL attribute named in template.yaml (TimeToLiveSpecification), epoch seconds.
EXPIRES_AT: Final = "expires_at"

# --- Job item -------------------------------------------------------------------------------------
JOB_ID: Final = "job_id"
JOB_TYPE: Final = "job_type"
PARAMS: Final = "params"  # JSON string
MODE: Final = "mode"
STATUS: Final = "status"
CREATED_AT: Final = "created_at"
UPDATED_AT: Final = "updated_at"
LAST_EVENT_ID: Final = "last_event_id"
CHECKPOINT: Final = "checkpoint"  # JSON string {"cursor": ..., "state": {...}}
HOPS: Final = "hops"
CANCEL_REQUESTED: Final = "cancel_requested"
LEASE_OWNER: Final = "lease_owner"  # absent when nobody holds the job
LEASE_EXPIRES_AT: Final = "lease_expires_at"
PROGRESS: Final = "progress"  # JSON string, absent before the first progress event
RESULT: Final = "result"  # JSON string, absent until set
ERROR: Final = "error"
# Durable driver: the ARN of the durable execution that drives the job (absent on the chain).
EXECUTION_ID: Final = "execution_id"
# Token of the last append that changed the item: lets an append whose reply was lost recognise
# its own committed write instead of mistaking it for a lost lease.
APPEND_TOKEN: Final = "append_token"  # noqa: S105 - an attribute name, not a secret

# Who created the job (jobs API under jwt/iam auth); absent under "none". With CREATED_AT it keys
# the OWNER_INDEX (template.yaml JobsTable), so only owned job items are in that index.
OWNER: Final = "owner"
OWNER_INDEX: Final = "OwnerIndex"

# The sweep's index (sweep_index.py): every unfinished job item carries SWEEP_SHARD and SWEEP_AT,
# when the scheduled sweep should next look at it; the append that ends a job removes both, so the
# SWEEP_INDEX (template.yaml JobsTable, keys only) holds unfinished jobs alone. SWEEP_SHARDS
# spread the index's writes over that many partitions; the sweep queries each.
SWEEP_SHARD: Final = "sweep_shard"
SWEEP_AT: Final = "sweep_at"
SWEEP_INDEX: Final = "SweepIndex"
SWEEP_SHARDS: Final = 4

# --- Caller items (partition ``CALLER#<owner>``): per-caller quotas ----------------------------
# sk = ACTIVE: a string set of the caller's unfinished jobs, one "<expires_at> <job_id>" entry
# each. A create adds its entry in the transaction that puts the job item, on condition that the set
# has room; the append that ends the job deletes it in the same transaction. The expiry in the entry
# lets a job that expired unfinished (so never ended) be pruned without reading its item.
# sk = RATE: the caller's create rate, a token bucket kept as one number (quotas.py): RATE_TAT, the
# theoretical arrival time of its next create, in epoch milliseconds.
CALLER_PK_PREFIX: Final = "CALLER#"
ACTIVE_SK: Final = "ACTIVE"
RATE_SK: Final = "RATE"
ACTIVE_JOBS: Final = "active"
RATE_TAT: Final = "tat"

# --- Stream slots (partition ``JOB#<id>``, sk = ``LIVE#<index>``): who is streaming the job -------
# One item per slot a live stream holds (stream_slots.py): at most the per-job stream cap of them.
# ``LIVE#`` sorts between the event items (``EV#``) and the job item (``META``), so the tail's
# Query of the events after k reads the slots in the same request (events_after(live=...)): that is
# how a stream notices that a newer stream of its viewer took its slot, at no extra request.
LIVE_SK_PREFIX: Final = "LIVE#"
SLOT_DIGITS: Final = 4
SLOT_STREAM: Final = "stream"  # the holding stream's id
SLOT_VIEWER: Final = "viewer"  # absent for a stream that named no viewer
# Incremented by every claim of the slot (each claim is conditional on what it saw): a stream was
# superseded when its slot shows a higher generation than its own; a read lagging behind shows a
# lower or equal one, never a false supersede.
SLOT_GENERATION: Final = "gen"
# A slot's lease ends at the item's EXPIRES_AT (the holding stream's end at the latest, plus a
# grace): a stream that crashed frees its slot by then.

# --- Event item -----------------------------------------------------------------------------------
FIRST_EVENT_ID: Final = "first"
# JSON string: a list of [type, data, created_at] triples, ids first, first+1, ...
EVENTS: Final = "ev"


# --- Limits ---------------------------------------------------------------------------------------
# DynamoDB's item limit is 400 KB including attribute names ("Service, account, and table quotas in
# Amazon DynamoDB"); we budget against 400,000 bytes, below both AWS (409,600) and moto (405,000).
ITEM_MAX_BYTES: Final = 400_000
# An upper bound of one Number attribute's stored size (38 significant digits: 21 bytes).
NUMBER_MAX_BYTES: Final = 21
# Keeps one item's replay cost small for a reader that needs only its last few events.
MAX_EVENTS_PER_ITEM: Final = 100
# TransactWriteItems: at most 100 actions and 4 MB in all; one action is the job item update.
TRANSACTION_MAX_ACTIONS: Final = 100
TRANSACTION_EVENT_BYTES: Final = 3_500_000

# Per-field budgets of the job item, so that it can never outgrow ITEM_MAX_BYTES however appends
# combine them (params are bounded by Settings.max_params_bytes and by PARAMS_MAX_BYTES).
CHECKPOINT_MAX_BYTES: Final = 96 * 1024
RESULT_MAX_BYTES: Final = 96 * 1024
PROGRESS_MAX_BYTES: Final = 16 * 1024
ERROR_MAX_BYTES: Final = 4 * 1024
JOB_TYPE_MAX_BYTES: Final = 256
JOB_ID_MAX_BYTES: Final = 256
# Matches jobstream.auth.callers.MAX_CALLER_BYTES (DynamoDB allows 2048 in an index key).
OWNER_MAX_BYTES: Final = 1024
# Room for keys, attribute names, numbers, status, mode, lease and token.
JOB_ITEM_OVERHEAD_BYTES: Final = 4 * 1024
PARAMS_MAX_BYTES: Final = (
    ITEM_MAX_BYTES
    - JOB_ITEM_OVERHEAD_BYTES
    - JOB_ID_MAX_BYTES
    - JOB_TYPE_MAX_BYTES
    - OWNER_MAX_BYTES
    - CHECKPOINT_MAX_BYTES
    - RESULT_MAX_BYTES
    - PROGRESS_MAX_BYTES
    - ERROR_MAX_BYTES
)

# --- Event limits: the one set, applied by store/event_codec.py when a job emits (so a bad event
# fails its step) and to any event the store is handed unchecked; UTF-8 bytes of compact JSON. -----
# An event type: 1-64 of A-Z a-z 0-9 . _ (ASCII, so characters and bytes agree). It becomes the SSE
# ``event:`` field and a name clients switch on, so nothing that could break a line or look alike.
EVENT_TYPE_MAX_BYTES: Final = 64
# One event's data. Far below the item limit so that events coalesce well and a replay never drags
# huge items; big payloads belong elsewhere, linked from an event. It admits the largest result
# (the ``complete`` event carries it) with room for the event's other fields.
EVENT_DATA_MAX_BYTES: Final = 128 * 1024
# A ``progress`` event's data is also mirrored onto the job item (PROGRESS), so it has that budget.
# One text argument of the job context (a log message, phase name, item key or reason).
TEXT_MAX_BYTES: Final = 8 * 1024
# What one append may carry and still be ONE transaction (atomic): a step's events, and a batch of
# steps, stay within this (at most 10 items of 100 events, well under TransactWriteItems' limits).
ATOMIC_APPEND_MAX_EVENTS: Final = 1_000
ATOMIC_APPEND_MAX_BYTES: Final = 1_000_000


def job_pk(job_id: str) -> str:
    return JOB_PK_PREFIX + job_id


def sweep_shard_key(shard: int) -> str:
    return f"S{shard}"


def sweep_shard_of(job_id: str) -> str:
    """The job's shard of the sweep's index: stable per job, spread evenly over the shards."""
    return sweep_shard_key(zlib.crc32(job_id.encode()) % SWEEP_SHARDS)


def caller_pk(owner: str) -> str:
    return CALLER_PK_PREFIX + owner


def active_entry(job_id: str, expires_at: float) -> str:
    """The job's entry in its owner's ACTIVE set (expires_at: the job item's TTL, whole seconds)."""
    return f"{int(expires_at)} {job_id}"


def active_entry_expires_at(entry: str) -> int | None:
    head, _, _ = entry.partition(" ")
    return int(head) if head.isascii() and head.isdigit() else None


def live_sk(index: int) -> str:
    if not 0 <= index < 10**SLOT_DIGITS:
        raise ValueError(f"slot {index} is outside 0..{10**SLOT_DIGITS - 1}")
    return f"{LIVE_SK_PREFIX}{index:0{SLOT_DIGITS}d}"


def event_sk(last_id: int) -> str:
    if not 0 <= last_id <= MAX_EVENT_ID:
        raise ValueError(f"event id {last_id} is outside 0..{MAX_EVENT_ID}")
    return f"{EVENT_SK_PREFIX}{last_id:0{EVENT_ID_DIGITS}d}"


def event_item_overhead(job_id: str) -> int:
    """Bytes of an event item other than its EVENTS string (numbers counted at their maximum)."""
    return (
        len(PK)
        + len(job_pk(job_id).encode())
        + len(SK)
        + len(EVENT_SK_PREFIX)
        + EVENT_ID_DIGITS
        + len(FIRST_EVENT_ID)
        + NUMBER_MAX_BYTES
        + len(EXPIRES_AT)
        + NUMBER_MAX_BYTES
        + len(EVENTS)
    )

"""The opaque cursor of an owner's job listing <-> the owner index's position.

The cursor carries only the last job's creation time and id. The owner is never in it: the next
query puts the caller's own owner into the start key, so a forged cursor can only move within the
caller's own jobs, and a malformed one is InvalidCursor (a 400) rather than a DynamoDB error.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from jobstream.store import attribute_values as av
from jobstream.store import schema
from jobstream.store.errors import InvalidCursor

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

MAX_CURSOR_CHARS = 1024
# created_at as the store writes it (attribute_values.n: fixed notation, microseconds).
_NUMBER = re.compile(r"\d{1,15}(\.\d{1,9})?")
_JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


def encode_cursor(last_key: Mapping[str, Any]) -> str:
    """The cursor for the page after the one whose LastEvaluatedKey is ``last_key``."""
    created_at = str(last_key[schema.CREATED_AT]["N"])
    job_id = av.require_s(last_key, schema.PK).removeprefix(schema.JOB_PK_PREFIX)
    raw = json.dumps([created_at, job_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def start_key(cursor: str, owner: str) -> dict[str, AttributeValueTypeDef]:
    """The owner index's ExclusiveStartKey for ``cursor``, within ``owner``'s jobs only
    (InvalidCursor if it is not a cursor encode_cursor made)."""
    if not cursor or len(cursor) > MAX_CURSOR_CHARS or not cursor.isascii():
        raise InvalidCursor()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        decoded = json.loads(raw)
    except (binascii.Error, ValueError):
        raise InvalidCursor() from None
    if (
        not isinstance(decoded, list)
        or len(decoded) != 2
        or not all(isinstance(part, str) for part in decoded)
        or _NUMBER.fullmatch(decoded[0]) is None
        or _JOB_ID.fullmatch(decoded[1]) is None
    ):
        raise InvalidCursor()
    created_at, job_id = decoded
    return {
        schema.PK: av.s(schema.job_pk(job_id)),
        schema.SK: av.s(schema.JOB_SK),
        schema.OWNER: av.s(owner),
        schema.CREATED_AT: {"N": created_at},
    }

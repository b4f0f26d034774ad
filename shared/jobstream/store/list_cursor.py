"""The opaque cursor of an owner's job listing <-> the owner index's position.

The cursor carries only the last job's creation time and id (and whether it is among the jobs
under the owner's former name, listed after its own). The owner is never in it: the next
query puts the caller's own owner into the start key, so a forged cursor can only move within the
caller's own jobs, and a malformed one is InvalidCursor (a 400) rather than a DynamoDB error.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
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


# A cursor's marker for a position among the jobs under the owner's former name (list_jobs'
# former_owner), listed after the owner's own.
_FORMER = "former"


@dataclass(frozen=True, slots=True)
class ListPosition:
    """Where a listing goes on: among the owner's own jobs, or (``former``) among those stored
    under its former name; after the job ``after`` (creation time as stored, job id), or from
    the newest when None."""

    former: bool
    after: tuple[str, str] | None

    def start_key(self, owner: str) -> dict[str, AttributeValueTypeDef] | None:
        """The owner index's ExclusiveStartKey among ``owner``'s jobs (None: from the start)."""
        if self.after is None:
            return None
        created_at, job_id = self.after
        return {
            schema.PK: av.s(schema.job_pk(job_id)),
            schema.SK: av.s(schema.JOB_SK),
            schema.OWNER: av.s(owner),
            schema.CREATED_AT: {"N": created_at},
        }


def _encode(parts: list[str]) -> str:
    raw = json.dumps(parts, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def encode_cursor(last_key: Mapping[str, Any], *, former: bool = False) -> str:
    """The cursor for the page after the one whose LastEvaluatedKey is ``last_key`` (a key
    among the jobs under the former name if ``former``)."""
    created_at = str(last_key[schema.CREATED_AT]["N"])
    job_id = av.require_s(last_key, schema.PK).removeprefix(schema.JOB_PK_PREFIX)
    return _encode([created_at, job_id, _FORMER] if former else [created_at, job_id])


def former_start_cursor() -> str:
    """The cursor for the first page of the jobs under the former name."""
    return _encode([_FORMER])


def read_cursor(cursor: str) -> ListPosition:
    """The position ``cursor`` holds (InvalidCursor if it is not a cursor this module made)."""
    if not cursor or len(cursor) > MAX_CURSOR_CHARS or not cursor.isascii():
        raise InvalidCursor()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        decoded = json.loads(raw)
    except (binascii.Error, ValueError):
        raise InvalidCursor() from None
    if decoded == [_FORMER]:
        return ListPosition(former=True, after=None)
    former = isinstance(decoded, list) and len(decoded) == 3 and decoded[2] == _FORMER
    if former:
        decoded = decoded[:2]
    if (
        not isinstance(decoded, list)
        or len(decoded) != 2
        or not all(isinstance(part, str) for part in decoded)
        or _NUMBER.fullmatch(decoded[0]) is None
        or _JOB_ID.fullmatch(decoded[1]) is None
    ):
        raise InvalidCursor()
    return ListPosition(former=former, after=(decoded[0], decoded[1]))


def start_key(cursor: str, owner: str) -> dict[str, AttributeValueTypeDef]:
    """The owner index's ExclusiveStartKey for ``cursor``, within ``owner``'s jobs only
    (InvalidCursor if it is not a cursor encode_cursor made)."""
    key = read_cursor(cursor).start_key(owner)
    if key is None:
        raise InvalidCursor()
    return key

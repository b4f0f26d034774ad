"""The one builder of the store's write requests: a key, an Update and a Put.

DynamoDB gives a transaction's ``Update``/``Put`` action and the single-item ``UpdateItem``/
``PutItem`` call the same fields, so one body serves both: ``{"Update": update(...)}`` inside
``TransactWriteItems``, ``client.update_item(**update(...))`` alone. Empty parts are left out
(DynamoDB refuses an empty ``ExpressionAttributeValues`` or ``ConditionExpression``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobstream.store import attribute_values as av
from jobstream.store import schema

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mypy_boto3_dynamodb.type_defs import (
        AttributeValueTypeDef,
        PutTypeDef,
        UpdateTypeDef,
    )

    from jobstream.store.expressions import Expression


def key(pk: str, sk: str) -> dict[str, AttributeValueTypeDef]:
    return {schema.PK: av.s(pk), schema.SK: av.s(sk)}


def job_key(job_id: str) -> dict[str, AttributeValueTypeDef]:
    """The job item's key."""
    return key(schema.job_pk(job_id), schema.JOB_SK)


def update(
    table: str,
    item_key: Mapping[str, AttributeValueTypeDef],
    expression: Expression,
    *,
    return_old: bool = True,
) -> UpdateTypeDef:
    """An update of one item, conditional if ``expression`` requires anything; with
    ``return_old`` a failed condition returns the item as it was (ConditionFailed.old_items)."""
    body: UpdateTypeDef = {
        "TableName": table,
        "Key": item_key,
        "UpdateExpression": expression.update,
    }
    _add_expression(body, expression, return_old=return_old)
    return body


def put(
    table: str,
    item: Mapping[str, AttributeValueTypeDef],
    expression: Expression,
    *,
    return_old: bool = True,
) -> PutTypeDef:
    """A put of one item, conditional like :func:`update`."""
    body: PutTypeDef = {"TableName": table, "Item": item}
    _add_expression(body, expression, return_old=return_old)
    return body


def _add_expression(
    body: UpdateTypeDef | PutTypeDef, expression: Expression, *, return_old: bool
) -> None:
    if expression.names:
        body["ExpressionAttributeNames"] = expression.names
    if expression.values:
        body["ExpressionAttributeValues"] = expression.values
    if expression.condition:
        body["ConditionExpression"] = expression.condition
        if return_old:
            body["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"

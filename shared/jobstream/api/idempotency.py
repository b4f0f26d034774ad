"""``Idempotency-Key`` on job creation, through Powertools Idempotency on the jobs table.

The record lives in the one table, under ``pk = "IDEMPOTENCY"``, ``sk = "<prefix>#<sha256 of the
key>"``, and DynamoDB's TTL (``expires_at``) removes it after Settings.idempotency_ttl_seconds. One
partition holds every record: DynamoDB allows ~1000 writes/s per partition and each keyed create
writes twice, so keyed creates top out near 500/s per table (creates without a key are unaffected).

The payload Powertools sees is ``{"key": <header value>, "body": <request body>}``: the key alone
selects the record and the body is validated against it, so reusing a key with a different body is
refused (IdempotencyValidationError) instead of silently returning another job.

Keys are scoped (``scoped_key``): under caller authentication (jwt, iam) to the caller; under
``none``, where there is no caller, to the request's source address, so that a key guessed or seen
elsewhere (``order-42``) cannot return another client's job and token: from another address it is
another request. Why the address and not a rule that keys look random: no check of a client-chosen
string can tell a random key from a predictable one (a timestamp or an order number passes any
length and alphabet rule), while the address is the Function URL's ``requestContext.http.
sourceIp``, which Lambda sets and a client cannot (unlike X-Forwarded-For); it is also what the
create quota counts under ``none``. Its limits (docs/deploy.md, "Who may start jobs"): clients
behind one NAT share a scope; a retry from a new address (a phone changing networks) is a new
request; and behind a proxy in front of the API URL every client shares the proxy's address (use
jwt or iam there).

The stored response includes the job's token. That adds no exposure: whoever can read the table
can read the job's events directly, which is all the token grants.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from jobstream.invocation_context import RemainingTime
from jobstream.lazy import Lazy
from jobstream.settings import Settings
from jobstream.store.models import JSONObject

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from mypy_boto3_dynamodb import DynamoDBClient

IDEMPOTENCY_PARTITION = "IDEMPOTENCY"
# Fixed so that records written by the Lambda function and by the local server agree (Powertools'
# default prefix includes the function name).
KEY_PREFIX = "jobstream.api.create_job"
MAX_KEY_CHARS = 255


def scoped_key(key: str, *, caller: str | None, address: str | None) -> str:
    """The record's key for ``key``: the caller's (jwt, iam), else its source address's (none).
    Two elements for a caller (the form records were first written in), three for an address, so
    the two scopes never meet."""
    if caller is not None:
        return json.dumps([caller, key])
    return json.dumps(["address", address or "", key])


class IdempotentCreate:
    """Run a create function at most once per key and replay its JSON result for retries."""

    def __init__(self, *, settings: Settings, client_factory: Callable[[], DynamoDBClient]) -> None:
        self._settings = settings
        self._client_factory = client_factory
        # Built on first use: constructing it creates (or takes) the boto3 client.
        self._persistence = Lazy(self._build_persistence)

    def _build_persistence(self) -> DynamoDBPersistenceLayer:
        return DynamoDBPersistenceLayer(
            table_name=self._settings.table,
            key_attr="pk",
            sort_key_attr="sk",
            static_pk_value=IDEMPOTENCY_PARTITION,
            expiry_attr="expires_at",
            boto3_client=self._client_factory(),
        )

    def run(
        self,
        *,
        key: str,
        body: JSONObject,
        remaining_time: RemainingTime,
        create: Callable[[], JSONObject],
        on_replay: Callable[[], None] | None = None,
    ) -> JSONObject:
        """``create()``'s result, or the stored result of the first call with this key (then
        ``on_replay`` is called). Raises IdempotencyValidationError (same key, other body) and
        IdempotencyAlreadyInProgressError (the first call has not finished)."""

        def replayed(response: Any, idempotent_data: DataRecord) -> Any:
            del idempotent_data
            if on_replay is not None:
                on_replay()
            return response

        # A config per call: it carries this request's context, and a shared one would let
        # concurrent requests on the local server overwrite each other's.
        config = IdempotencyConfig(
            event_key_jmespath="key",
            payload_validation_jmespath="body",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=self._settings.idempotency_ttl_seconds,
            hash_function="sha256",
            lambda_context=cast("LambdaContext", remaining_time),
            response_hook=replayed,
        )
        once = idempotent_function(
            _call,
            data_keyword_argument="request",
            persistence_store=self._persistence(),
            config=config,
            key_prefix=KEY_PREFIX,
        )
        result: JSONObject = once(request={"key": key, "body": body}, create=create)
        return result


def _call(*, request: dict[str, Any], create: Callable[[], JSONObject]) -> JSONObject:
    del request  # only the idempotency key material
    return create()

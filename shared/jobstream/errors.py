"""Every error jobstream raises on purpose has one root, ``JobstreamError``: catch it for "anything
from jobstream". The whole family, where each is defined and what it means::

    JobstreamError
    ├── ConfigurationError ............ a setting is wrong: fix it, do not retry
    │   ├── SettingsError ............. env_settings.py: JOBSTREAM_* values that cannot be read
    │   ├── SigningKeyNotConfigured ... auth/keys.py: no token key anywhere
    │   ├── RotationRefused ........... auth/rotation.py: the key secret is not in a rotatable state
    │   ├── JwtSettingsMissing ........ auth/jwt_verifier.py: api_auth=jwt without issuer/audience
    │   ├── JwtKeysUnusable ........... auth/jwt_verifier.py: the JWKS URL cannot serve keys
    │   ├── ScopeWithoutJwt, ScopeMalformed  api/callers.py: scopes set but unusable
    │   ├── WorkerFunctionNotConfigured  here: no worker function to start jobs on
    │   ├── RegistryNotFound .......... jobs/errors.py: job_registry names nothing importable
    │   └── HandlerLoadError .......... lambda_runtime/handler_loader.py: _HANDLER cannot load
    ├── UnknownJobType ................ here: a job request names no registered type
    ├── InvalidParams ................. here: its params fail the type's pydantic model
    ├── Refused ....................... http_errors.py: refused by a transport, with its answer
    │   └── StreamRejected ............ tail/errors.py: no route, not GET, bad Last-Event-ID
    ├── TokenError .................... auth/tokens.py: a job's bearer token
    │   ├── TokenMissing
    │   └── TokenInvalid
    │       ├── TokenExpired
    │       └── TokenScopeTooNarrow
    ├── CallerError ................... auth/callers.py: who calls the jobs API
    │   ├── CallerMissing
    │   ├── CallerRefused
    │   ├── CallerLacksScope .......... a valid JWT without the operation's scope (a 403)
    │   └── IdentityProviderUnavailable
    ├── StoreError .................... store/errors.py: the job store
    │   ├── JobNotFound, JobAlreadyExists, JobFinished
    │   ├── LeaseHeld, LeaseLost ...... another driver holds the job / this one lost it
    │   ├── PayloadTooLarge ........... (a ValueError too) over a limit of store/schema.py
    │   ├── QuotaExceeded, InvalidCursor
    │   ├── StreamsAtCap .............. the job's cap on live streams (store/stream_slots.py)
    │   └── StoreRequestFailed ........ DynamoDB failed the request (after retries)
    ├── ConditionFailed ............... store/dynamo_calls.py: a write's condition (store-internal)
    ├── JobError ...................... jobs/errors.py: a job fails itself, a message for clients
    ├── StepContractError ............. jobs/errors.py: a job function broke the step rules
    ├── CommitterClosed ............... jobs/commit.py: a write after close or a failed write
    ├── DurableStepFailed, RetryLater . jobs/durable_driver.py: a durable step's outcome
    ├── SSEFieldError ................. sse/encode.py: a value an event stream cannot carry
    ├── RuntimeAPIError ............... lambda_runtime/api_client.py: the Runtime API refused
    └── PreludeTooLarge ............... lambda_runtime/prelude.py: status and headers too large

Where an error is also a built-in's kind (a ValueError, a LookupError, a RuntimeError) it derives
from both, so existing ``except ValueError`` still holds. Not in the family, on purpose:
``SleepDeferred`` (jobs/runner.py) is a BaseException so no ``except Exception`` in a job swallows
it, and the API's ``RequestBodyTooLarge`` is Starlette's HTTPException, which FastAPI's body
reader must re-raise unchanged. How each error answers over HTTP is one table,
jobstream.http_errors; tests/unit/test_errors.py keeps this tree true.

``UnknownJobType`` and ``InvalidParams`` are raised by the job registry and answered by the API:
they live here, below both, so the table can name them without loading the job engine (the
stream function's read path never imports jobstream.jobs).
"""

from __future__ import annotations

from typing import Any


class JobstreamError(Exception):
    """Base class of every error jobstream raises on purpose."""


class ConfigurationError(JobstreamError):
    """The deployment's settings are wrong: found when a container starts or first builds what
    needs them, and fixed by changing a setting, never by retrying."""


class UnknownJobType(JobstreamError, LookupError):
    def __init__(self, type: str, known: list[str]) -> None:
        super().__init__(f"unknown job type {type!r}; known types: {', '.join(known) or 'none'}")
        self.type = type
        self.known = known


class InvalidParams(JobstreamError, ValueError):
    """The params do not satisfy the job type's pydantic model; ``errors`` is JSON-serialisable."""

    def __init__(self, type: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"invalid params for job type {type!r}: {len(errors)} error(s)")
        self.type = type
        self.errors = errors


class WorkerFunctionNotConfigured(ConfigurationError, RuntimeError):
    """A JobService for Lambda needs the worker function to start jobs on."""

    def __init__(self) -> None:
        super().__init__(
            "starting jobs on Lambda needs the worker function: set JOBSTREAM_WORKER_FUNCTION"
        )

"""The context object handed to a handler: the attributes of Lambda's own Python context.

Handlers (and Powertools decorators such as ``Logger.inject_lambda_context``) read these attributes;
they cannot tell whether they run under Lambda's managed loop, jobstream's streaming loop, the local
Function URL server or a test. Attribute sources follow the AWS Lambda Developer Guide, "Using the
Lambda context object to retrieve Python function information" and "Using the Lambda runtime API
for custom runtimes" (next-invocation response headers).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from jobstream.clock import SYSTEM_CLOCK, Clock

logger = logging.getLogger(__name__)

# Next-invocation response headers (AWS DG, "Using the Lambda runtime API for custom runtimes").
REQUEST_ID_HEADER = "Lambda-Runtime-Aws-Request-Id"
DEADLINE_HEADER = "Lambda-Runtime-Deadline-Ms"
FUNCTION_ARN_HEADER = "Lambda-Runtime-Invoked-Function-Arn"
TRACE_ID_HEADER = "Lambda-Runtime-Trace-Id"
CLIENT_CONTEXT_HEADER = "Lambda-Runtime-Client-Context"
COGNITO_IDENTITY_HEADER = "Lambda-Runtime-Cognito-Identity"
TENANT_ID_HEADER = "Lambda-Runtime-Aws-Tenant-Id"


class RemainingTime(Protocol):
    """The one method of an invocation's context that jobstream reads: how long the invocation
    has left. Lambda's own context, ``InvocationContext`` and the local stand-ins all have it, so
    code that only needs the deadline takes this and runs under any of them."""

    def get_remaining_time_in_millis(self) -> int: ...


@dataclass(frozen=True, slots=True)
class CognitoIdentity:
    """``context.identity``: always present; attributes are None unless the Mobile SDK invoked."""

    cognito_identity_id: str | None = None
    cognito_identity_pool_id: str | None = None


@dataclass(frozen=True, slots=True)
class MobileClient:
    installation_id: str | None = None
    app_title: str | None = None
    app_version_name: str | None = None
    app_version_code: str | None = None
    app_package_name: str | None = None


@dataclass(frozen=True, slots=True)
class ClientContext:
    """``context.client_context``: None unless the invoker passed one."""

    client: MobileClient | None = None
    custom: dict[str, Any] = field(default_factory=dict)
    env: dict[str, Any] = field(default_factory=dict)


class InvocationContext:
    """One invocation's context, duck-compatible with Lambda's Python ``LambdaContext``.

    ``memory_limit_in_mb`` is an int, as Powertools' ``LambdaContext`` types it (Lambda's own
    runtime passes the raw environment string; both coerce the same in Powertools' models). No
    ``__slots__``: like Lambda's own context object, it accepts attributes tools attach to it.
    """

    def __init__(
        self,
        *,
        aws_request_id: str,
        deadline_ms: int,
        invoked_function_arn: str,
        function_name: str,
        function_version: str = "$LATEST",
        memory_limit_in_mb: int = 128,
        log_group_name: str = "",
        log_stream_name: str = "",
        identity: CognitoIdentity | None = None,
        client_context: ClientContext | None = None,
        tenant_id: str | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.aws_request_id = aws_request_id
        self.invoked_function_arn = invoked_function_arn
        self.function_name = function_name
        self.function_version = function_version
        self.memory_limit_in_mb = memory_limit_in_mb
        self.log_group_name = log_group_name
        self.log_stream_name = log_stream_name
        self.identity = identity if identity is not None else CognitoIdentity()
        self.client_context = client_context
        self.tenant_id = tenant_id
        self._deadline_ms = deadline_ms
        self._clock = clock

    @property
    def deadline_ms(self) -> int:
        """The invocation deadline in epoch milliseconds."""
        return self._deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(self._clock.time() * 1000))

    def log(self, message: str) -> None:
        """Lambda's ``context.log``: write to the function's log stream (stdout)."""
        sys.stdout.write(message if message.endswith("\n") else message + "\n")
        sys.stdout.flush()

    def __repr__(self) -> str:
        return (
            f"InvocationContext(aws_request_id={self.aws_request_id!r}, "
            f"function_name={self.function_name!r}, "
            f"remaining_ms={self.get_remaining_time_in_millis()})"
        )

    @classmethod
    def from_invocation(
        cls,
        headers: Mapping[str, str],
        env: Mapping[str, str],
        *,
        clock: Clock = SYSTEM_CLOCK,
    ) -> InvocationContext:
        """Build the context from a next-invocation response's headers and the function's env."""
        headers = {name.lower(): value for name, value in headers.items()}
        return cls(
            aws_request_id=headers.get(REQUEST_ID_HEADER.lower(), ""),
            deadline_ms=_int(headers.get(DEADLINE_HEADER.lower()), default=0),
            invoked_function_arn=headers.get(FUNCTION_ARN_HEADER.lower(), ""),
            function_name=env.get("AWS_LAMBDA_FUNCTION_NAME", ""),
            function_version=env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
            memory_limit_in_mb=_int(env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), default=0),
            log_group_name=env.get("AWS_LAMBDA_LOG_GROUP_NAME", ""),
            log_stream_name=env.get("AWS_LAMBDA_LOG_STREAM_NAME", ""),
            identity=_cognito_identity(headers.get(COGNITO_IDENTITY_HEADER.lower())),
            client_context=_client_context(headers.get(CLIENT_CONTEXT_HEADER.lower())),
            tenant_id=headers.get(TENANT_ID_HEADER.lower()) or None,
            clock=clock,
        )

    @classmethod
    def for_timeout(
        cls,
        seconds: float,
        *,
        function_name: str = "local",
        clock: Clock = SYSTEM_CLOCK,
    ) -> InvocationContext:
        """A context whose deadline is ``seconds`` from now: for the local server and tests."""
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        return cls(
            aws_request_id=str(uuid.uuid4()),
            deadline_ms=int((clock.time() + seconds) * 1000),
            invoked_function_arn=f"arn:aws:lambda:{region}:000000000000:function:{function_name}",
            function_name=function_name,
            log_group_name=f"/aws/lambda/{function_name}",
            log_stream_name="local",
            clock=clock,
        )


def _int(value: str | None, *, default: int) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        return default


def _json_object(raw: str | None, header: str) -> dict[str, Any] | None:
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        logger.warning("Ignoring %s: not JSON", header)
        return None
    return value if isinstance(value, dict) else None


def _cognito_identity(raw: str | None) -> CognitoIdentity:
    data = _json_object(raw, COGNITO_IDENTITY_HEADER) or {}
    return CognitoIdentity(
        cognito_identity_id=data.get("cognitoIdentityId"),
        cognito_identity_pool_id=data.get("cognitoIdentityPoolId"),
    )


def _client_context(raw: str | None) -> ClientContext | None:
    data = _json_object(raw, CLIENT_CONTEXT_HEADER)
    if data is None:
        return None
    client = data.get("client")
    return ClientContext(
        client=MobileClient(
            installation_id=client.get("installation_id"),
            app_title=client.get("app_title"),
            app_version_name=client.get("app_version_name"),
            app_version_code=client.get("app_version_code"),
            app_package_name=client.get("app_package_name"),
        )
        if isinstance(client, dict)
        else None,
        custom=dict(data.get("custom") or {}),
        env=dict(data.get("env") or {}),
    )

from __future__ import annotations

import json

import pytest

from jobstream.invocation_context import InvocationContext
from tests.clock import FakeClock

ENV = {
    "AWS_LAMBDA_FUNCTION_NAME": "fn",
    "AWS_LAMBDA_FUNCTION_VERSION": "3",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
    "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/fn",
    "AWS_LAMBDA_LOG_STREAM_NAME": "stream",
}


def test_attributes_come_from_headers_in_any_case_and_the_environment() -> None:
    context = InvocationContext.from_invocation(
        {
            "lambda-runtime-aws-request-id": "req-1",
            "LAMBDA-RUNTIME-DEADLINE-MS": "10000",
            "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:eu-west-1:1:function:fn",
            "Lambda-Runtime-Cognito-Identity": json.dumps(
                {"cognitoIdentityId": "i", "cognitoIdentityPoolId": "p"}
            ),
            "Lambda-Runtime-Client-Context": json.dumps(
                {"client": {"installation_id": "inst"}, "custom": {"a": 1}, "env": {"b": 2}}
            ),
            "Lambda-Runtime-Aws-Tenant-Id": "tenant-9",
        },
        ENV,
        clock=FakeClock(4.0),
    )
    assert context.aws_request_id == "req-1"
    assert context.invoked_function_arn == "arn:aws:lambda:eu-west-1:1:function:fn"
    assert context.function_name == "fn"
    assert context.function_version == "3"
    assert context.memory_limit_in_mb == 1024
    assert context.log_group_name == "/aws/lambda/fn"
    assert context.log_stream_name == "stream"
    assert context.identity.cognito_identity_id == "i"
    assert context.identity.cognito_identity_pool_id == "p"
    assert context.client_context is not None
    assert context.client_context.client is not None
    assert context.client_context.client.installation_id == "inst"
    assert context.client_context.custom == {"a": 1}
    assert context.client_context.env == {"b": 2}
    assert context.tenant_id == "tenant-9"
    assert context.get_remaining_time_in_millis() == 6000


def test_missing_or_malformed_optional_headers_give_empty_values() -> None:
    context = InvocationContext.from_invocation(
        {
            "Lambda-Runtime-Aws-Request-Id": "r",
            "Lambda-Runtime-Deadline-Ms": "not a number",
            "Lambda-Runtime-Client-Context": "{not json",
        },
        {},
        clock=FakeClock(1.0),
    )
    assert context.identity.cognito_identity_id is None
    assert context.client_context is None
    assert context.tenant_id is None
    assert context.memory_limit_in_mb == 0
    assert context.get_remaining_time_in_millis() == 0


def test_remaining_time_counts_down_and_never_goes_negative() -> None:
    now = FakeClock(100.0)
    context = InvocationContext.for_timeout(2.5, function_name="stream", clock=now)
    assert context.get_remaining_time_in_millis() == 2500
    now.now = 101.0
    assert context.get_remaining_time_in_millis() == 1500
    now.now = 200.0
    assert context.get_remaining_time_in_millis() == 0
    assert context.function_name == "stream"
    assert context.invoked_function_arn.endswith(":function:stream")
    assert context.aws_request_id


def test_for_timeout_gives_each_invocation_its_own_request_id() -> None:
    first = InvocationContext.for_timeout(1)
    second = InvocationContext.for_timeout(1)
    assert first.aws_request_id != second.aws_request_id


def test_powertools_logger_accepts_the_context() -> None:
    from aws_lambda_powertools.logging.lambda_context import build_lambda_context_model

    context = InvocationContext.from_invocation(
        {"Lambda-Runtime-Aws-Request-Id": "req-2", "Lambda-Runtime-Deadline-Ms": "1"}, ENV
    )
    model = build_lambda_context_model(context)
    assert model.function_request_id == "req-2"
    assert model.function_memory_size == 1024
    assert model.function_name == "fn"


def test_log_writes_a_line_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    InvocationContext.for_timeout(1).log("hello")
    assert capsys.readouterr().out == "hello\n"

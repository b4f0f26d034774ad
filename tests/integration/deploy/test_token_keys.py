"""The token key's template side: Secrets Manager rotates it on a schedule through the rotation
function (which only it may invoke, and which may touch only that secret), unless
TokenKeyRotationDays is 0; the token lifetimes reach the API as settings it accepts."""

from __future__ import annotations

from typing import Any

import pytest

from jobstream.settings import Settings
from tests.integration.deploy.render import Stack
from tests.integration.deploy.test_template import translated

ROTATION = {"TokenKeyRotationFunction", "TokenKeyRotationPermission", "TokenKeyRotationSchedule"}


def _stack(**parameters: str) -> dict[str, dict[str, Any]]:
    return Stack(translated(), parameters).resources()


def test_the_key_rotates_on_a_schedule_through_its_own_function() -> None:
    resources = _stack()
    schedule = resources["TokenKeyRotationSchedule"]["Properties"]

    assert schedule["SecretId"] == {"Ref": "TokenKeySecret"}
    assert schedule["RotationLambdaARN"] == {"Fn::GetAtt": ["TokenKeyRotationFunction", "Arn"]}
    assert schedule["RotationRules"] == {
        "ScheduleExpression": {"Fn::Sub": "rate(${TokenKeyRotationDays} days)"}
    }
    assert translated()["Parameters"]["TokenKeyRotationDays"]["Default"] == 30
    function = resources["TokenKeyRotationFunction"]["Properties"]
    assert function["Handler"] == "app.handler"
    permission = resources["TokenKeyRotationPermission"]["Properties"]
    assert permission["Principal"] == "secretsmanager.amazonaws.com"
    assert permission["FunctionName"] == {"Fn::GetAtt": ["TokenKeyRotationFunction", "Arn"]}
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}


def test_the_rotation_function_may_touch_only_its_secret_and_only_as_rotation_does() -> None:
    role = _stack()["TokenKeyRotationFunctionRole"]["Properties"]
    statements = [
        statement
        for policy in role.get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
    ]

    assert statements == [
        {
            "Effect": "Allow",
            "Action": [
                "secretsmanager:DescribeSecret",
                "secretsmanager:GetSecretValue",
                "secretsmanager:PutSecretValue",
                "secretsmanager:UpdateSecretVersionStage",
            ],
            "Resource": {"Ref": "TokenKeySecret"},
        }
    ]


def test_no_rotation_means_no_function_schedule_or_permission() -> None:
    resources = _stack(TokenKeyRotationDays="0")

    assert not ROTATION & set(resources)
    assert "TokenKeySecret" in resources
    assert set(_stack(TokenKeyRotationDays="7")) >= ROTATION


@pytest.mark.parametrize(
    ("parameter", "variable", "default"),
    [
        ("ViewTokenTtlSeconds", "JOBSTREAM_TOKEN_TTL_SECONDS", "600"),
        ("ControlTokenTtlSeconds", "JOBSTREAM_CONTROL_TOKEN_TTL_SECONDS", "604800"),
    ],
)
def test_token_lifetimes_reach_the_api_as_settings_it_accepts(
    parameter: str, variable: str, default: str
) -> None:
    spec = translated()["Parameters"][parameter]
    for value in (default, str(spec["MinValue"]), str(spec["MaxValue"])):
        variables = _stack(**{parameter: value})["ApiFunction"]["Properties"]["Environment"][
            "Variables"
        ]
        assert variables[variable] == value
        field = variable.removeprefix("JOBSTREAM_").lower()
        settings = Settings(token_key="k" * 40, worker_function="w", **{field: float(value)})
        assert getattr(settings, field) == float(value)
    # View tokens live minutes by default.
    assert int(translated()["Parameters"]["ViewTokenTtlSeconds"]["Default"]) <= 900

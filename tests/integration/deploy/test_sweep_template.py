"""The scheduled sweep in the template: an EventBridge schedule runs it, it may read the sweep's
index and end jobs and nothing more, and the index is the one the store queries."""

from __future__ import annotations

import re
from typing import Any

import pytest

from jobstream.store import schema
from jobstream_local.template_table import load_template
from tests.conftest import TEMPLATE
from tests.integration.deploy.render import Stack
from tests.integration.deploy.test_template import translated


def _resources() -> dict[str, dict[str, Any]]:
    return Stack(translated(), {}).resources()


def test_an_eventbridge_schedule_runs_the_sweep() -> None:
    resources = _resources()
    [rule] = [r for r in resources.values() if r["Type"] == "AWS::Events::Rule"]
    properties = rule["Properties"]
    assert properties["ScheduleExpression"] == "rate(5 minutes)"
    [target] = properties["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["SweepFunction", "Arn"]}
    [permission] = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::Permission"
        and r["Properties"]["FunctionName"] == {"Ref": "SweepFunction"}
    ]
    assert permission["Principal"] == "events.amazonaws.com"
    sweep = resources["SweepFunction"]["Properties"]
    # A failed run is not retried: the next one looks at the same due jobs.
    config = next(
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::EventInvokeConfig"
        and r["Properties"]["FunctionName"] == {"Ref": "SweepFunction"}
    )
    assert config["MaximumRetryAttempts"] == 0
    assert sweep["Environment"]["Variables"]["JOBSTREAM_TABLE"] == {"Ref": "JobsTable"}


def test_the_sweep_may_query_its_index_and_end_jobs_and_nothing_more() -> None:
    role = _resources()["SweepFunctionRole"]["Properties"]
    granted: set[tuple[str, str]] = set()
    for policy in role["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            actions = statement["Action"]
            resource = statement["Resource"]
            for action in [actions] if isinstance(actions, str) else actions:
                granted.add((action, str(resource)))
    table = str({"Fn::GetAtt": ["JobsTable", "Arn"]})
    index = str({"Fn::Sub": "${JobsTable.Arn}/index/" + schema.SWEEP_INDEX})
    assert granted == {
        ("dynamodb:Query", index),
        ("dynamodb:GetItem", table),
        ("dynamodb:UpdateItem", table),
        ("dynamodb:PutItem", table),
    }
    # Beyond these, only what every function has: its logs, and X-Ray (LambdaTracing).
    managed = {str(arn).rsplit("/", 1)[-1] for arn in role["ManagedPolicyArns"]}
    assert managed == {"AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess"}


def test_the_sweep_index_is_the_one_the_store_queries() -> None:
    table = load_template(TEMPLATE)["Resources"]["JobsTable"]["Properties"]
    [index] = [i for i in table["GlobalSecondaryIndexes"] if i["IndexName"] == schema.SWEEP_INDEX]
    assert [k["AttributeName"] for k in index["KeySchema"]] == [schema.SWEEP_SHARD, schema.SWEEP_AT]
    # Keys only: no attribute an append changes is projected, so appends cost no index writes.
    assert index["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    assert (types[schema.SWEEP_SHARD], types[schema.SWEEP_AT]) == ("S", "N")


@pytest.mark.parametrize(
    ("expression", "allowed"),
    [
        ("rate(5 minutes)", True),
        ("rate(1 hour)", True),
        ("cron(0/10 * * * ? *)", True),
        ("", False),
        ("every 5 minutes", False),
        ("rate()", False),
    ],
)
def test_the_schedule_parameter_takes_eventbridge_expressions(
    expression: str, allowed: bool
) -> None:
    pattern = load_template(TEMPLATE)["Parameters"]["SweepSchedule"]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, expression)) is allowed

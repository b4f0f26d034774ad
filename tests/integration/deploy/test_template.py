"""template.yaml as CloudFormation sees it after SAM's transform, checked offline."""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from jobstream.api import create_app
from jobstream.jobs.registry import load_registry
from jobstream.settings import Settings
from jobstream.store import schema
from jobstream.tail import cors as stream_cors
from jobstream_local.template_table import load_template
from tests.conftest import REPO_ROOT, TEMPLATE

HERE = Path(__file__).parent


@cache
def translated() -> dict[str, Any]:
    sam = os.environ.get("SAM_CLI") or str(REPO_ROOT / ".venv-sam" / "bin" / "sam")
    python = Path(sam).with_name("python")
    if not python.exists():
        pytest.fail("SAM CLI's venv not found: run `make test` (it installs .venv-sam)")
    result = subprocess.run(
        [str(python), str(HERE / "sam_translate.py"), str(TEMPLATE)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def resources(kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in translated()["Resources"].items() if v["Type"] == kind}


def _refers_to(value: Any, logical_id: str) -> bool:
    return value == {"Ref": logical_id} or value == logical_id


def _condition_is(name: str | None, parameter: str, value: str) -> bool:
    if name is None:
        return False
    condition = translated()["Conditions"][name]
    return condition == {"Fn::Equals": [{"Ref": parameter}, value]}


def test_every_public_function_url_has_both_public_permissions() -> None:
    """Since October 2025 a public URL needs lambda:InvokeFunctionUrl and lambda:InvokeFunction;
    SAM adds them only for a literal AuthType NONE."""
    permissions = resources("AWS::Lambda::Permission").values()
    for name, url in resources("AWS::Lambda::Url").items():
        auth = url["Properties"]["AuthType"]
        function = url["Properties"]["TargetFunctionArn"]["Ref"]
        if auth == "AWS_IAM":
            continue
        mine = [p for p in permissions if _refers_to(p["Properties"]["FunctionName"], function)]
        if isinstance(auth, dict) and "Fn::If" in auth:
            # AWS_IAM under a condition, else NONE: the permissions exist exactly when it is false.
            condition, when_true, when_false = auth["Fn::If"]
            assert (when_true, when_false) == ("AWS_IAM", "NONE"), name
            negated = {"Fn::Not": [{"Condition": condition}]}
            conditions = translated()["Conditions"]
            mine = [p for p in mine if conditions.get(p.get("Condition", "")) == negated]
        elif auth != "NONE":  # a parameter: the permissions must exist exactly when it is NONE
            parameter = auth["Ref"]
            mine = [p for p in mine if _condition_is(p.get("Condition"), parameter, "NONE")]
        actions = {
            (p["Properties"]["Action"], p["Properties"]["Principal"])
            for p in mine
            if p["Properties"].get("FunctionUrlAuthType") == "NONE"
            or p["Properties"].get("InvokedViaFunctionUrl") is True
        }
        assert actions == {("lambda:InvokeFunctionUrl", "*"), ("lambda:InvokeFunction", "*")}, name


def test_the_stream_streams_through_the_exec_wrapper_shipped_in_the_layer() -> None:
    url = translated()["Resources"]["StreamFunctionUrl"]["Properties"]
    assert url["InvokeMode"] == "RESPONSE_STREAM"
    function = translated()["Resources"]["StreamFunction"]["Properties"]
    wrapper = function["Environment"]["Variables"]["AWS_LAMBDA_EXEC_WRAPPER"]
    # The layer's content (shared/) lands under /opt/python in the function.
    assert wrapper.startswith("/opt/python/")
    source = REPO_ROOT / "shared" / wrapper.removeprefix("/opt/python/")
    assert source.is_file()
    assert os.access(source, os.X_OK)
    assert "VpcConfig" not in function  # streaming URLs are not available in a VPC


def test_the_worker_may_chain_itself_and_retries_into_a_failure_queue() -> None:
    worker = translated()["Resources"]["WorkerFunction"]["Properties"]
    assert worker["RecursiveLoop"] == "Allow"
    # The worker's (by name: the sweep has one too, test_sweep_template.py).
    config = next(
        c["Properties"]
        for c in resources("AWS::Lambda::EventInvokeConfig").values()
        if c["Properties"]["FunctionName"] == {"Ref": "WorkerFunction"}
    )
    assert config["MaximumRetryAttempts"] == 2
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["WorkerFailureQueue", "Arn"]
    }


def _dynamodb_actions(role: dict[str, Any], *, inline: bool) -> set[str]:
    actions: set[str] = set()
    for policy in role["Properties"].get("Policies", []):
        if "Fn::If" in policy:  # a policy that exists only under a condition
            condition, when_true, when_false = policy["Fn::If"]
            assert condition == "InlineEnabled"
            policy = when_true if inline else when_false
            if policy == {"Ref": "AWS::NoValue"}:
                continue
        for statement in policy["PolicyDocument"]["Statement"]:
            listed = statement["Action"]
            actions.update([listed] if isinstance(listed, str) else listed)
    return {a for a in actions if a.startswith("dynamodb:")}


@pytest.mark.parametrize(
    ("role", "inline", "expected"),
    [
        # A stream reads; it writes only its own stream-slot item (put, then delete at its end).
        (
            "StreamFunctionRole",
            False,
            {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:DeleteItem"},
        ),
        (
            "StreamFunctionRole",
            True,
            {
                "dynamodb:GetItem",
                "dynamodb:Query",
                "dynamodb:UpdateItem",
                "dynamodb:PutItem",
                "dynamodb:DeleteItem",
            },
        ),
        (
            "ApiFunctionRole",
            True,
            {
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
                "dynamodb:Query",
            },
        ),
        (
            "WorkerFunctionRole",
            True,
            {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"},
        ),
    ],
)
def test_table_access_is_least_privilege(role: str, inline: bool, expected: set[str]) -> None:
    assert _dynamodb_actions(translated()["Resources"][role], inline=inline) == expected


def test_the_api_queries_only_the_owner_index() -> None:
    role = translated()["Resources"]["ApiFunctionRole"]
    queries = [
        statement["Resource"]
        for policy in role["Properties"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
        if "dynamodb:Query"
        in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    ]
    assert queries == [{"Fn::Sub": "${JobsTable.Arn}/index/" + schema.OWNER_INDEX}]


def test_the_owner_index_is_the_one_the_store_queries() -> None:
    table = load_template(TEMPLATE)["Resources"]["JobsTable"]["Properties"]
    # By name: the table also has the sweep's index (test_sweep_template.py).
    [index] = [i for i in table["GlobalSecondaryIndexes"] if i["IndexName"] == schema.OWNER_INDEX]
    assert [k["AttributeName"] for k in index["KeySchema"]] == [schema.OWNER, schema.CREATED_AT]
    # Only what a listing shows: nothing an event append rewrites besides status.
    assert set(index["Projection"]["NonKeyAttributes"]) == {
        schema.JOB_ID,
        schema.JOB_TYPE,
        schema.STATUS,
        schema.EXPIRES_AT,
    }


def test_auth_is_on_by_default_and_jwt_demands_its_issuer() -> None:
    template = load_template(TEMPLATE)
    parameters = template["Parameters"]
    assert parameters["ApiAuth"]["Default"] == "jwt"
    assert parameters["DemoJobs"]["Default"] == "false"
    rule = template["Rules"]["JwtNeedsItsIssuer"]
    assert rule["RuleCondition"] == {"Equals": [{"Ref": "ApiAuth"}, "jwt"]}
    asserted = [a["Assert"] for a in rule["Assertions"]]
    assert {"Not": [{"Equals": [{"Ref": "JwtIssuer"}, ""]}]} in asserted
    assert {"Not": [{"Equals": [{"Ref": "JwtAudience"}, ""]}]} in asserted


def test_every_function_is_told_who_may_use_the_api() -> None:
    """The code has no default auth mode (a function deployed without it does not start): the
    template gives every function ApiAuth, as deployed (SAM's Globals merged in)."""
    resources = translated()["Resources"]
    functions = {
        name: resource["Properties"]
        for name, resource in resources.items()
        if resource["Type"] == "AWS::Lambda::Function"
    }
    assert {"ApiFunction", "StreamFunction", "WorkerFunction"} <= functions.keys()
    for name, properties in functions.items():
        variables = properties["Environment"]["Variables"]
        assert variables["JOBSTREAM_API_AUTH"] == {"Ref": "ApiAuth"}, name


def test_every_function_serves_the_registry_the_parameters_choose() -> None:
    """DemoJobs off and no JobRegistry: no job types at all; each spec named here loads."""
    variables = load_template(TEMPLATE)["Globals"]["Function"]["Environment"]["Variables"]
    condition, custom, fallback = variables["JOBSTREAM_JOB_REGISTRY"]["If"]
    assert (condition, custom) == ("HasJobRegistry", {"Ref": "JobRegistry"})
    demo_condition, demo, nothing = fallback["If"]
    assert demo_condition == "DemoJobsOn"
    assert len(load_registry(demo)) > 0
    assert len(load_registry(nothing)) == 0


def test_the_rest_front_streams_to_the_stream_function() -> None:
    api = translated()["Resources"]["StreamRestApi"]
    assert _condition_is(api.get("Condition"), "StreamFront", "RestApi")
    integration = api["Properties"]["Body"]["paths"]["/jobs/{job_id}/events"]["get"][
        "x-amazon-apigateway-integration"
    ]
    assert integration["responseTransferMode"] == "STREAM"
    assert integration["uri"]["Fn::Sub"].endswith(
        "/functions/${StreamFunction.Arn}/response-streaming-invocations"
    )
    assert api["Properties"]["EndpointConfiguration"]["Types"] == ["REGIONAL"]


def test_outputs_name_everything_a_user_or_a_deployed_test_needs() -> None:
    outputs = translated()["Outputs"]
    assert {
        "ApiUrl",
        "StreamUrl",
        "StreamRestApiUrl",
        "Region",
        "TableName",
        "WorkerFunction",
        "WorkerFailureQueueUrl",
        "TokenKeySecretArn",
    } <= set(outputs)


def test_the_api_url_cors_is_the_apps_cors() -> None:
    """On AWS the Function URL's CORS headers win; locally the app's do: they must agree."""
    template = load_template(TEMPLATE)
    api = template["Resources"]["ApiFunction"]["Properties"]
    cors = api["FunctionUrlConfig"]["Cors"]
    app = create_app(
        Settings(
            token_key="k" * 40, worker_function="w", cors_allowed_origins=["https://a.example"]
        )
    )
    [middleware] = [m for m in app.user_middleware if m.cls.__name__ == "CORSMiddleware"]
    options = middleware.kwargs
    assert cors["AllowOrigins"] == {"Ref": "AllowedOrigins"}
    assert api["Environment"]["Variables"]["JOBSTREAM_CORS_ALLOWED_ORIGINS"] == {
        "Join": [",", {"Ref": "AllowedOrigins"}]
    }
    assert sorted(cors["AllowMethods"]) == sorted(options["allow_methods"])
    assert sorted(h.lower() for h in cors["AllowHeaders"]) == sorted(
        h.lower() for h in options["allow_headers"]
    )
    assert sorted(h.lower() for h in cors["ExposeHeaders"]) == sorted(
        h.lower() for h in options["expose_headers"]
    )
    assert cors["MaxAge"] == options["max_age"]
    assert cors["AllowCredentials"] is bool(options.get("allow_credentials", False))


def test_every_offered_python_runtime_is_one_sam_builds_and_lambda_still_supports() -> None:
    """Neither `sam validate --lint` nor cfn-lint checks a Runtime given by a parameter (both
    accept AllowedValues such as python3.99): ask SAM's builder and cfn-lint's runtime data."""
    template = load_template(TEMPLATE)
    offered = template["Parameters"]["PythonRuntime"]["AllowedValues"]
    assert template["Parameters"]["PythonRuntime"]["Default"] in offered
    layer = template["Resources"]["SharedLayer"]["Properties"]
    assert layer["CompatibleRuntimes"] == offered
    assert "python3.14" in offered
    sam = os.environ.get("SAM_CLI") or str(REPO_ROOT / ".venv-sam" / "bin" / "sam")
    code = (
        "import json, pathlib, cfnlint\n"
        "from aws_lambda_builders.supported_runtimes import PYTHON_RUNTIMES\n"
        "specs = pathlib.Path(cfnlint.__file__).parent / 'data' / 'AdditionalSpecs'\n"
        "lifecycle = json.loads((specs / 'LmbdRuntimeLifecycle.json').read_text())\n"
        "print(json.dumps({'builds': PYTHON_RUNTIMES, 'lifecycle': lifecycle}))\n"
    )
    result = subprocess.run(
        [str(Path(sam).with_name("python")), "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    known = json.loads(result.stdout)
    today = datetime.now(UTC).date().isoformat()
    for runtime in offered:
        assert runtime in known["builds"], f"SAM CLI cannot build {runtime}"
        assert runtime in known["lifecycle"], f"cfn-lint does not know {runtime}"
        assert known["lifecycle"][runtime]["deprecated"] > today, f"{runtime} is deprecated"


def test_the_stream_url_cors_is_the_streams_own_rule() -> None:
    """One rule (jobstream.tail.cors): the Function URL applies it on AWS, the function on the
    REST front, Starlette's middleware locally."""
    template = load_template(TEMPLATE)
    stream = template["Resources"]["StreamFunction"]["Properties"]
    url_cors = stream["FunctionUrlConfig"]["Cors"]
    assert url_cors["AllowOrigins"] == {"Ref": "AllowedOrigins"}
    assert tuple(url_cors["AllowMethods"]) == stream_cors.ALLOW_METHODS
    assert tuple(h.lower() for h in url_cors["AllowHeaders"]) == stream_cors.ALLOW_HEADERS
    assert url_cors["MaxAge"] == stream_cors.MAX_AGE_SECONDS
    assert url_cors["AllowCredentials"] is False
    assert stream["Environment"]["Variables"]["JOBSTREAM_CORS_ALLOWED_ORIGINS"] == {
        "Join": [",", {"Ref": "AllowedOrigins"}]
    }


def test_the_rest_front_sends_preflights_to_the_stream_function() -> None:
    resources = translated()["Resources"]
    methods = resources["StreamRestApi"]["Properties"]["Body"]["paths"]["/jobs/{job_id}/events"]
    assert set(methods) == {"get", "options"}
    integration = methods["options"]["x-amazon-apigateway-integration"]
    assert integration["type"] == "aws_proxy"
    assert integration["uri"] == methods["get"]["x-amazon-apigateway-integration"]["uri"]
    source_arn = resources["StreamRestApiInvokePermission"]["Properties"]["SourceArn"]["Fn::Sub"]
    # Any method on the one path: GET and OPTIONS both reach the function.
    assert source_arn.endswith("${StreamRestApi}/*/*/jobs/*/events")


# --- WorkerDriver: chain | durable ---------------------------------------------------------------
def _worker(logical_id: str) -> dict[str, Any]:
    resource: dict[str, Any] = translated()["Resources"][logical_id]
    return resource


def _actions(role: dict[str, Any]) -> set[str]:
    actions: set[str] = set()
    for policy in role["Properties"].get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            listed = statement["Action"]
            actions.update([listed] if isinstance(listed, str) else listed)
    return actions


def test_each_worker_driver_deploys_exactly_its_own_worker() -> None:
    chain, durable = _worker("WorkerFunction"), _worker("DurableWorkerFunction")
    assert _condition_is(chain.get("Condition"), "WorkerDriver", "chain")
    assert _condition_is(durable.get("Condition"), "WorkerDriver", "durable")
    # Same function name and code: only one of them exists in a stack.
    assert chain["Properties"]["FunctionName"] == durable["Properties"]["FunctionName"]
    assert chain["Properties"]["Handler"] == durable["Properties"]["Handler"]
    # Everything SAM generates for a worker (role, alias, version, invoke config) has its
    # worker's condition, and so do the chain's failure queue and its output.
    for logical_id, resource in translated()["Resources"].items():
        if logical_id.startswith("DurableWorkerFunction"):
            assert resource.get("Condition") == durable["Condition"], logical_id
        elif logical_id.startswith(("WorkerFunction", "WorkerFailureQueue")):
            assert resource.get("Condition") == chain["Condition"], logical_id
    assert translated()["Outputs"]["WorkerFailureQueueUrl"]["Condition"] == chain["Condition"]


def test_the_durable_worker_is_a_durable_function_without_the_chains_machinery() -> None:
    durable = _worker("DurableWorkerFunction")["Properties"]
    assert durable["DurableConfig"] == {"ExecutionTimeout": {"Ref": "DurableExecutionTimeout"}}
    assert "RecursiveLoop" not in durable
    assert not [
        c
        for c in resources("AWS::Lambda::EventInvokeConfig").values()
        if c["Properties"]["FunctionName"] == {"Ref": "DurableWorkerFunction"}
    ]
    # Invoked (and replayed) on a version: the API's JOBSTREAM_WORKER_FUNCTION is the alias.
    aliases = [a["Properties"] for a in resources("AWS::Lambda::Alias").values()]
    assert [
        a["Name"] for a in aliases if a["FunctionName"] == {"Ref": "DurableWorkerFunction"}
    ] == ["live"]
    api = translated()["Resources"]["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert api["JOBSTREAM_WORKER_FUNCTION"] == {
        "Fn::If": [
            "DurableWorker",
            {"Fn::Sub": "${AWS::StackName}-worker:live"},
            {"Fn::Sub": "${AWS::StackName}-worker"},
        ]
    }
    assert api["JOBSTREAM_DRIVER"] == {"Ref": "WorkerDriver"}
    # The chain keeps its self-invocation guard opt-out.
    assert _worker("WorkerFunction")["Properties"]["RecursiveLoop"] == "Allow"
    # No hop budget is configured for either (JOBSTREAM_MAX_HOPS is the chain's default).
    assert "JOBSTREAM_MAX_HOPS" not in durable["Environment"]["Variables"]


def test_the_durable_worker_has_the_durable_permissions_and_no_more() -> None:
    role = translated()["Resources"]["DurableWorkerFunctionRole"]["Properties"]
    # SAM's managed policy for durable functions: logs, lambda:CheckpointDurableExecution and
    # lambda:GetDurableExecutionState; the chain's worker gets the basic one instead.
    assert role["ManagedPolicyArns"][0].endswith(
        "service-role/AWSLambdaBasicDurableExecutionRolePolicy"
    )
    chain_role = translated()["Resources"]["WorkerFunctionRole"]["Properties"]
    assert chain_role["ManagedPolicyArns"][0].endswith("service-role/AWSLambdaBasicExecutionRole")
    durable_role = translated()["Resources"]["DurableWorkerFunctionRole"]
    # The job table only: no invoking itself, no failure queue.
    assert _actions(durable_role) == {"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem"}
    assert "lambda:InvokeFunction" in _actions(translated()["Resources"]["WorkerFunctionRole"])


def test_a_durable_worker_needs_python_3_13_or_later() -> None:
    rule = translated()["Rules"]["DurableWorkerRuntime"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "WorkerDriver"}, "durable"]}
    (assertion,) = rule["Assertions"]
    allowed, runtime = assertion["Assert"]["Fn::Contains"]
    assert runtime == {"Ref": "PythonRuntime"}
    assert "python3.13" in allowed
    assert not {"python3.11", "python3.12"} & set(allowed)


FUNCTIONS = (
    "ApiFunction",
    "StreamFunction",
    "WorkerFunction",
    "DurableWorkerFunction",
    "TokenKeyRotationFunction",
    "SweepFunction",
)


def _adot_condition() -> str:
    conditions = translated()["Conditions"]
    (name,) = (
        n
        for n, c in conditions.items()
        if c == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AdotLayerArn"}, ""]}]}
    )
    return name


def _layer(reference: dict[str, str]) -> str:
    name = str(reference["Ref"])
    return "SharedLayer" if name.startswith("SharedLayer") else name


def test_no_function_traces_with_an_sdk_and_lambda_tracing_is_a_parameter() -> None:
    assert translated()["Parameters"]["LambdaTracing"]["Default"] == "Active"
    for name in FUNCTIONS:
        function = translated()["Resources"][name]["Properties"]
        assert function["TracingConfig"] == {"Mode": {"Ref": "LambdaTracing"}}, name
        variables = function["Environment"]["Variables"]
        assert not [v for v in variables if v.startswith("POWERTOOLS_TRACE")], name


def test_adot_adds_its_layer_and_wrapper_to_every_function_only_when_given() -> None:
    parameter = translated()["Parameters"]["AdotLayerArn"]
    assert parameter["Default"] == ""
    adot = _adot_condition()
    for name in FUNCTIONS:
        function = translated()["Resources"][name]["Properties"]
        # Ours last: where both layers ship a package, the pinned version the tests ran wins.
        # (SAM names the layer's version SharedLayer<hash>.)
        condition, with_adot, without = function["Layers"]["Fn::If"]
        assert condition == adot, name
        assert [_layer(ref) for ref in with_adot] == ["AdotLayerArn", "SharedLayer"], name
        assert [_layer(ref) for ref in without] == ["SharedLayer"], name
        variables = function["Environment"]["Variables"]
        otel = {"Fn::If": [adot, "/opt/otel-instrument", {"Ref": "AWS::NoValue"}]}
        if name == "StreamFunction":
            # Lambda runs one wrapper: ours, which chains ADOT's (exec-wrapper).
            assert variables["AWS_LAMBDA_EXEC_WRAPPER"].startswith("/opt/python/jobstream/")
            assert variables["JOBSTREAM_NEXT_EXEC_WRAPPER"] == otel
        else:
            assert variables["AWS_LAMBDA_EXEC_WRAPPER"] == otel, name
            assert "JOBSTREAM_NEXT_EXEC_WRAPPER" not in variables, name


def test_the_adot_layer_arn_must_look_like_a_layer_version() -> None:
    pattern = re.compile(translated()["Parameters"]["AdotLayerArn"]["AllowedPattern"])
    published = "arn:aws:lambda:us-east-1:901920570463:layer:aws-otel-python-arm64-ver-1-32-0:2"
    assert pattern.fullmatch(published)
    assert pattern.fullmatch("")
    assert not pattern.fullmatch(published.rsplit(":", 1)[0])  # no version


def test_the_stream_function_has_its_own_memory_size() -> None:
    stream = translated()["Resources"]["StreamFunction"]["Properties"]
    assert stream["MemorySize"] == {"Ref": "StreamMemorySize"}
    for name in ("ApiFunction", "WorkerFunction"):
        assert translated()["Resources"][name]["Properties"]["MemorySize"] == 512


@pytest.mark.parametrize("function", ["StreamFunction", "ApiFunction"])
def test_snapstart_is_a_parameter_on_a_published_version_behind_the_urls_alias(
    function: str,
) -> None:
    """SnapStart applies to published versions only: the function publishes one per change
    (old ones deleted: a cached snapshot is billed while its version exists), its Function URL
    and the URL's public permissions are the alias's, and SnapStart follows the parameter."""
    properties = translated()["Resources"][function]["Properties"]
    assert properties["SnapStart"] == {
        "ApplyOn": {"Fn::If": ["SnapStartOn", "PublishedVersions", "None"]}
    }
    assert _condition_is("SnapStartOn", "SnapStart", "true")
    aliases = {
        name: a["Properties"]
        for name, a in resources("AWS::Lambda::Alias").items()
        if a["Properties"]["FunctionName"] == {"Ref": function}
    }
    assert [a["Name"] for a in aliases.values()] == ["live"]
    [alias] = aliases
    version = translated()["Resources"][aliases[alias]["FunctionVersion"]["Fn::GetAtt"][0]]
    assert version["Type"] == "AWS::Lambda::Version"
    assert version["DeletionPolicy"] == "Delete"
    url = translated()["Resources"][f"{function}Url"]["Properties"]
    assert url["TargetFunctionArn"] == {"Ref": alias}
    rule = load_template(TEMPLATE)["Rules"]["SnapStartRuntime"]
    assert rule["Assertions"][0]["Assert"] == {
        "Contains": [["python3.12", "python3.13", "python3.14"], {"Ref": "PythonRuntime"}]
    }

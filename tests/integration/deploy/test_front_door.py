"""The template's edges an attacker reads first: one way in to the stream (the REST front cannot be
walked around, and throttles), issuers only over https, and invoke permissions on exact ARNs.
Each stack variant is the translated template with its conditions decided (render.Stack)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from jobstream.settings import Settings
from tests.integration.deploy.render import Stack
from tests.integration.deploy.test_template import translated

PUBLIC_URL_PERMISSIONS = {("lambda:InvokeFunctionUrl", "*"), ("lambda:InvokeFunction", "*")}


def _stack(**parameters: str) -> dict[str, dict[str, Any]]:
    return Stack(translated(), parameters).resources()


def _permissions_on(resources: dict[str, dict[str, Any]], function: str) -> list[dict[str, Any]]:
    """Every Lambda permission on the function or on one of its aliases."""
    aliases = {
        name
        for name, r in resources.items()
        if r["Type"] == "AWS::Lambda::Alias"
        and r["Properties"]["FunctionName"] == {"Ref": function}
    }
    return [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::Permission"
        and r["Properties"]["FunctionName"] in [{"Ref": n} for n in {function, *aliases}]
    ]


# --- One front door ------------------------------------------------------------------------------
@pytest.mark.parametrize("stream_auth", ["NONE", "AWS_IAM"])
@pytest.mark.parametrize("front", ["FunctionUrl", "RestApi"])
def test_the_stream_has_one_front_door(front: str, stream_auth: str) -> None:
    """With the REST front the stream's Function URL is AWS_IAM and nobody may call it, so the
    stage's throttling (and any WAF on the API) cannot be bypassed; API Gateway is the only caller.
    With the URL front, StreamAuthType decides as before."""
    resources = _stack(StreamFront=front, StreamAuthType=stream_auth)
    url = resources["StreamFunctionUrl"]["Properties"]
    permissions = _permissions_on(resources, "StreamFunction")
    public = {(p["Action"], p["Principal"]) for p in permissions if p["Principal"] == "*"}
    if front == "FunctionUrl" and stream_auth == "NONE":
        assert url["AuthType"] == "NONE"
        assert public == PUBLIC_URL_PERMISSIONS
    else:
        assert url["AuthType"] == "AWS_IAM"
        assert public == set()
    callers = {p["Principal"] for p in permissions} - {"*"}
    if front == "RestApi":
        assert "StreamRestApi" in resources
        assert callers == {"apigateway.amazonaws.com"}
        [rest] = permissions  # API Gateway's, for this API only
        assert "${StreamRestApi}" in rest["SourceArn"]["Fn::Sub"]
    else:
        assert "StreamRestApi" not in resources
        assert callers == set()


def test_the_rest_stage_throttles_every_method() -> None:
    resources = _stack(StreamFront="RestApi", StreamRestRateLimit="25", StreamRestBurstLimit="40")
    [stage] = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::ApiGateway::Stage"
        and r["Properties"]["RestApiId"] == {"Ref": "StreamRestApi"}
    ]
    assert stage["MethodSettings"] == [
        {
            "ResourcePath": "/*",
            "HttpMethod": "*",
            "ThrottlingRateLimit": "25",
            "ThrottlingBurstLimit": "40",
        }
    ]
    parameters = translated()["Parameters"]
    for name in ("StreamRestRateLimit", "StreamRestBurstLimit"):
        # 0 would be no limit at all to a reader, and a stage that refuses everything to AWS.
        assert parameters[name]["MinValue"] >= 1, name
        assert parameters[name]["MinValue"] <= int(parameters[name]["Default"]), name
    # The account's default stage limits (10,000/s, burst 5,000) are far above ours.
    assert int(parameters["StreamRestRateLimit"]["Default"]) < 10_000
    assert int(parameters["StreamRestBurstLimit"]["Default"]) < 5_000
    assert not [r for r in _stack().values() if r["Type"] == "AWS::ApiGateway::Stage"]


# --- Issuers over https --------------------------------------------------------------------------
@pytest.mark.parametrize("parameter", ["JwtIssuer", "JwtJwksUrl"])
def test_the_issuer_and_its_keys_are_https_only(parameter: str) -> None:
    """A JWKS fetched over plain http could be swapped on the way, and with it every caller."""
    spec = translated()["Parameters"][parameter]
    pattern = re.compile(spec["AllowedPattern"])  # CloudFormation matches the whole value
    assert pattern.fullmatch(spec["Default"])  # empty: ApiAuth iam or none
    for good in (
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123",
        "https://example.eu.auth0.com/",
        "https://login.example.com/.well-known/jwks.json",
    ):
        assert pattern.fullmatch(good), good
    for bad in (
        "http://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123",
        "http://127.0.0.1:9000",
        "HTTP://example.com",
        "https://",
        "https://exa mple.com",
        "example.com",
        "ftp://example.com",
        " https://example.com",
    ):
        assert not pattern.fullmatch(bad), bad


# --- Exact ARNs in IAM ---------------------------------------------------------------------------
def _invoke_resources(role: dict[str, Any]) -> list[Any]:
    found: list[Any] = []
    for policy in role["Properties"].get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            actions = [actions] if isinstance(actions, str) else actions
            if any(a.startswith("lambda:Invoke") or a == "lambda:*" for a in actions):
                resource = statement["Resource"]
                found.extend(resource if isinstance(resource, list) else [resource])
    return found


@pytest.mark.parametrize("driver", ["chain", "durable"])
def test_only_the_worker_is_invocable_and_by_its_exact_arn(driver: str) -> None:
    """No name-prefix wildcard: `<stack>-worker*` would also let these roles invoke any function
    someone names `<stack>-worker-anything`. The ARN is the one the functions invoke
    (JOBSTREAM_WORKER_FUNCTION): the durable worker's alias, which an unqualified ARN does not
    cover."""
    runtime = "python3.13"
    resources = _stack(WorkerDriver=driver, PythonRuntime=runtime, EnableInlineMode="true")
    worker_name = resources["ApiFunction"]["Properties"]["Environment"]["Variables"][
        "JOBSTREAM_WORKER_FUNCTION"
    ]["Fn::Sub"]
    arn = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:" + worker_name
    expected = {
        "ApiFunctionRole": [{"Fn::Sub": arn}],
        "StreamFunctionRole": [{"Fn::Sub": arn}],
        # The chain's worker invokes itself (unqualified: it has no alias); the durable one nothing.
        "WorkerFunctionRole": [{"Fn::Sub": arn}],
        "DurableWorkerFunctionRole": [],
        # The sweep ends jobs through the table alone.
        "SweepFunctionRole": [],
        # Rotating the token key touches its secret only.
        "TokenKeyRotationFunctionRole": [],
    }
    roles = {n: r for n, r in resources.items() if r["Type"] == "AWS::IAM::Role"}
    assert set(roles) == {n for n in expected if n in resources}
    assert ("DurableWorkerFunctionRole" in roles) is (driver == "durable")
    for name, role in roles.items():
        granted = _invoke_resources(role)
        assert granted == expected[name], name
        for resource in granted:
            assert "*" not in resource["Fn::Sub"], name
    assert worker_name.endswith(":live") is (driver == "durable")


def test_a_read_only_stream_may_invoke_nothing() -> None:
    resources = _stack(EnableInlineMode="false")
    assert _invoke_resources(resources["StreamFunctionRole"]) == []


# --- The JWT kind --------------------------------------------------------------------------------
KIND_SETTINGS = {"JwtTokenUse": "JOBSTREAM_JWT_TOKEN_USE", "JwtTyp": "JOBSTREAM_JWT_TYP"}


@pytest.mark.parametrize("parameter", sorted(KIND_SETTINGS))
def test_the_jwt_kind_parameters_reach_the_api_as_settings_it_accepts(parameter: str) -> None:
    variable = KIND_SETTINGS[parameter]
    spec = translated()["Parameters"][parameter]
    assert spec["Default"] == ""
    unset = _stack()["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert variable not in unset  # empty: the setting's own default, no check
    for value in spec["AllowedValues"]:
        if not value:
            continue
        variables = _stack(**{parameter: value})["ApiFunction"]["Properties"]["Environment"][
            "Variables"
        ]
        assert variables[variable] == value
        field = variable.removeprefix("JOBSTREAM_").lower()
        settings = Settings(token_key="k" * 40, worker_function="w", **{field: value})
        assert getattr(settings, field) == value


# --- The scopes per operation ---------------------------------------------------------------------
SCOPE_SETTINGS = {
    "JwtCreateScopes": "JOBSTREAM_JWT_CREATE_SCOPES",
    "JwtReadScopes": "JOBSTREAM_JWT_READ_SCOPES",
    "JwtCancelScopes": "JOBSTREAM_JWT_CANCEL_SCOPES",
    "JwtListScopes": "JOBSTREAM_JWT_LIST_SCOPES",
}


@pytest.mark.parametrize("parameter", sorted(SCOPE_SETTINGS))
def test_the_scope_parameters_reach_the_api_as_settings_it_reads(
    parameter: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    variable = SCOPE_SETTINGS[parameter]
    spec = translated()["Parameters"][parameter]
    assert (spec["Type"], spec["Default"]) == ("CommaDelimitedList", "")
    field = variable.removeprefix("JOBSTREAM_").lower()
    for value, scopes in [("jobs/create,jobs:write", ["jobs/create", "jobs:write"]), ("", [])]:
        api = _stack(**{parameter: value})["ApiFunction"]["Properties"]["Environment"]
        separator, items = api["Variables"][variable]["Fn::Join"]
        # CloudFormation's Ref of a CommaDelimitedList is its list; the template joins it back.
        monkeypatch.setenv(variable, separator.join(items.split(",")))
        assert (
            getattr(Settings(api_auth="jwt", token_key="k" * 40, worker_function="w"), field)
            == scopes
        )


def test_scopes_are_refused_at_deploy_time_without_jwts() -> None:
    """Under iam or none nothing carries a scope: the stack does not deploy (the API would not
    start: tests/integration/api/test_jwt_scopes.py)."""
    rule = translated()["Rules"]["ScopesNeedJwt"]
    assert rule["RuleCondition"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "ApiAuth"}, "jwt"]}]}
    [assertion] = rule["Assertions"]
    assert assertion["Assert"] == {
        "Fn::And": [
            {"Fn::EachMemberEquals": [{"Ref": parameter}, ""]}
            for parameter in [
                "JwtCreateScopes",
                "JwtReadScopes",
                "JwtCancelScopes",
                "JwtListScopes",
            ]
        ]
    }

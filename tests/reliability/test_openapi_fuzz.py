"""schemathesis against the jobs API's own OpenAPI document, on the running local stack: whatever
it generates, valid or deliberately invalid (bodies, path parameters, headers, query strings), the
API never answers 5xx.

schemathesis' pytest integration needs the schema at collection time (or a fixture hook that
pytest 9 no longer supports), while the stack is a fixture; so its strategies are driven with
Hypothesis directly, one bounded run per operation and generation mode: well under a minute.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

from jobstream_client import JobsAPI
from jobstream_local.stack import LocalStack
from tests.oidc_issuer import AUDIENCE, Issuer, SigningKey, serve_issuer
from tests.reliability.conftest import running_stack, stack_settings

EXAMPLES = 100


@pytest.mark.parametrize(
    ("mode", "authorized"),
    [
        (schemathesis.GenerationMode.POSITIVE, False),
        (schemathesis.GenerationMode.NEGATIVE, False),
        # With the path and token fixed there is little left to make invalid: positive only.
        (schemathesis.GenerationMode.POSITIVE, True),
    ],
    ids=["positive", "negative", "positive-real-job"],
)
def test_the_api_never_answers_5xx(
    stack: LocalStack, api: JobsAPI, mode: schemathesis.GenerationMode, authorized: bool
) -> None:
    """``real-job``: the job id and token are those of a real job, so the operations on a job get
    past authorisation and the rest of the request is what varies."""
    schema = schemathesis.openapi.from_url(f"{stack.url}/openapi.json")
    fixed: dict[str, Any] = {}
    if authorized:
        # Inline: it waits for a viewer, so no worker runs for it meanwhile.
        job = api.create("demo.typewriter", {"text": "fuzz", "interval_ms": 0})
        fixed = {
            "path_parameters": {"job_id": job.job_id},
            # Its creator's control token (ApiAuth none): it opens every operation on the job,
            # cancel and a fresh view token included.
            "headers": {"Authorization": f"Bearer {job.control_token}"},
        }
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {f"{op.method.upper()} {op.path}" for op in operations} >= {
        "POST /jobs",
        "GET /jobs/{job_id}",
        "POST /jobs/{job_id}/cancel",
    }
    answered: dict[int, int] = {}
    fuzzed: list[str] = []
    for operation in operations:
        if authorized and "{job_id}" not in operation.path:
            continue

        @given(case=operation.as_strategy(generation_mode=mode, **fixed))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: schemathesis.Case) -> None:
            response = case.call(timeout=30)
            answered[response.status_code] = answered.get(response.status_code, 0) + 1
            assert response.status_code < 500, (case.method, case.formatted_path, response.text)

        try:
            call()
        except Unsatisfiable:
            # Nothing to make invalid (GET /jobs/types takes no input at all).
            assert mode is schemathesis.GenerationMode.NEGATIVE
            continue
        fuzzed.append(f"{operation.method.upper()} {operation.path}")
    assert len(fuzzed) >= (2 if authorized else 3), fuzzed
    if authorized:
        assert {200, 202} <= set(answered), answered
    else:
        # The fuzzing reached past validation too, not only into 422s.
        assert len(answered) >= 3, answered


# --- with caller authentication (JOBSTREAM_API_AUTH=jwt) ---------------------------------------
@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    with serve_issuer(SigningKey.rsa("fuzz-rsa"), SigningKey.ec("fuzz-ec")) as served:
        yield served


@pytest.fixture(scope="module")
def jwt_stack(issuer: Issuer) -> Iterator[LocalStack]:
    settings = stack_settings(
        api_auth="jwt",
        jwt_issuer=issuer.url,
        jwt_audience=AUDIENCE,
        # Room for every job the fuzzer creates: the quotas have tests of their own.
        max_active_jobs_per_caller=1000,
        max_creates_per_caller=100_000,
    )
    with running_stack(settings) as running:
        yield running


@pytest.mark.parametrize(
    ("mode", "credential"),
    [
        (schemathesis.GenerationMode.POSITIVE, "none"),
        (schemathesis.GenerationMode.POSITIVE, "caller"),
        (schemathesis.GenerationMode.NEGATIVE, "caller"),
        (schemathesis.GenerationMode.POSITIVE, "caller-real-job"),
    ],
    ids=["positive-no-credential", "positive", "negative", "positive-real-job"],
)
def test_the_api_with_caller_auth_never_answers_5xx(
    jwt_stack: LocalStack, issuer: Issuer, mode: schemathesis.GenerationMode, credential: str
) -> None:
    """The same fuzzing with a valid JWT fixed in the Authorization header (or none at all):
    the API under caller authentication answers every request below 500 too, and a request
    with a valid caller gets past authentication."""
    schema = schemathesis.openapi.from_url(f"{jwt_stack.url}/openapi.json")
    token = issuer.token("fuzzer", exp=issuer.claims("fuzzer")["iat"] + 3600)
    fixed: dict[str, Any] = {}
    if credential != "none":
        fixed["headers"] = {"Authorization": f"Bearer {token}"}
    if credential == "caller-real-job":
        # Through the Python client with a token function, as a backend would use it.
        with httpx.Client(timeout=30) as http:
            api = JobsAPI(jwt_stack.url, client=http, access_token=lambda: token)
            job = api.create("demo.typewriter", {"text": "fuzz", "interval_ms": 0})
        fixed["path_parameters"] = {"job_id": job.job_id}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert "GET /jobs" in {f"{op.method.upper()} {op.path}" for op in operations}
    answered: dict[int, int] = {}
    for operation in operations:
        if credential == "caller-real-job" and "{job_id}" not in operation.path:
            continue

        @given(case=operation.as_strategy(generation_mode=mode, **fixed))
        @settings(
            max_examples=EXAMPLES // 2,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: schemathesis.Case) -> None:
            response = case.call(timeout=30)
            answered[response.status_code] = answered.get(response.status_code, 0) + 1
            assert response.status_code < 500, (case.method, case.formatted_path, response.text)

        try:
            call()
        except Unsatisfiable:
            assert mode is schemathesis.GenerationMode.NEGATIVE
    if credential == "none":
        assert set(answered) <= {401, 404, 405, 422}, answered
        assert 401 in answered
    else:
        assert answered.keys() - {401}, answered  # the caller got past authentication
    if credential == "caller-real-job":
        assert {200, 202} <= set(answered), answered

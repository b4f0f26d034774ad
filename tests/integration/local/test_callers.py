"""`make run` with JOBSTREAM_API_AUTH=jwt and the JOBSTREAM_JWT_* settings: the real local stack
enforces caller authentication, ownership and quotas, and both clients (Python, and the browser
module run under Node) work against it with an access token or a function returning one."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator

import httpx
import pytest

from jobstream.settings import Settings
from jobstream_client import JobsAPI, NotFound, TooManyRequests, Unauthorized
from jobstream_local.database import DatabaseChoice
from jobstream_local.stack import LocalStack
from tests.conftest import REPO_ROOT
from tests.oidc_issuer import AUDIENCE, Issuer, SigningKey, serve_issuer


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    with serve_issuer(SigningKey.ec("local-ec")) as served:
        yield served


@pytest.fixture(scope="module")
def jwt_stack(issuer: Issuer) -> Iterator[LocalStack]:
    settings = Settings(
        table=f"jobstream-callers-{uuid.uuid4().hex[:8]}",
        region="us-east-1",
        api_auth="jwt",
        jwt_issuer=issuer.url,
        jwt_audience=AUDIENCE,
        jwt_jwks_url=issuer.jwks_url,
        max_active_jobs_per_caller=3,
    )
    with LocalStack(
        port=0,
        function_timeout_s=5,
        stream_timeout_s=5,
        settings=settings,
        database=DatabaseChoice(),
    ) as running:
        yield running


def test_the_python_client_with_a_token_function(jwt_stack: LocalStack, issuer: Issuer) -> None:
    calls: list[str] = []

    def alice_token() -> str:
        calls.append("alice")
        return issuer.token("alice")

    with httpx.Client(timeout=30) as http:
        alice = JobsAPI(jwt_stack.url, client=http, access_token=alice_token)
        bob = JobsAPI(jwt_stack.url, client=http, access_token=issuer.token("bob"))
        anonymous = JobsAPI(jwt_stack.url, client=http)

        job = alice.create("demo.typewriter", {"text": "hi", "interval_ms": 0})
        assert alice.status(job.job_id, token=None)["job_id"] == job.job_id
        listed = alice.list_jobs(limit=10)
        assert [j.job_id for j in listed.jobs] == [job.job_id]
        assert listed.jobs[0].token  # a fresh token for its stream
        assert len(calls) == 3  # a fresh token per request
        # The job's own token still opens it for anyone holding it (a shared view).
        assert anonymous.status(job.job_id, token=job.token)["job_id"] == job.job_id
        with pytest.raises(NotFound):
            bob.status(job.job_id, token=None)
        with pytest.raises(NotFound):
            bob.cancel(job.job_id, token=None)
        assert bob.list_jobs().jobs == []
        with pytest.raises(Unauthorized):
            anonymous.create("demo.count", {"n": 1})
        assert alice.cancel(job.job_id, token=None)["cancel_requested"] is True


def test_the_quota_over_the_real_stack(jwt_stack: LocalStack, issuer: Issuer) -> None:
    with httpx.Client(timeout=30) as http:
        carol = JobsAPI(jwt_stack.url, client=http, access_token=issuer.token("carol"))
        # Inline jobs wait for a viewer: they stay unfinished, so each holds a slot.
        for _ in range(3):
            carol.create("demo.typewriter", {"text": "slot", "interval_ms": 0})
        with pytest.raises(TooManyRequests) as refused:
            carol.create("demo.typewriter", {"text": "one too many", "interval_ms": 0})
    assert refused.value.code == "quota_exceeded"


NODE_SCRIPT = """
import { createJobsApi, JobsApiError } from "%(module)s";
const [url, dave, erin] = process.argv.slice(1);
let calls = 0;
const api = createJobsApi({ baseUrl: url, accessToken: async () => { calls += 1; return dave; } });
const other = createJobsApi({ baseUrl: url, accessToken: erin });
const anonymous = createJobsApi({ baseUrl: url });
const out = {};
const job = await api.createJob("demo.typewriter", { text: "node", interval_ms: 0 });
out.created = job.job_id;
out.read = (await api.getJob(job.job_id)).job_id;
out.listed = (await api.listJobs({ limit: 5 })).jobs.map((j) => j.job_id);
out.shared = (await anonymous.getJob(job.job_id, { token: job.token })).job_id;
try { await other.getJob(job.job_id); } catch (e) { out.other = [e.status, e.code]; }
try { await anonymous.createJob("demo.count", { n: 1 }); } catch (e) {
  out.anonymous = [e.status, e.code, e instanceof JobsApiError];
}
out.cancelled = (await api.cancelJob(job.job_id)).cancel_requested;
out.types = (await api.jobTypes()).types.length > 0;
out.calls = calls;
console.log(JSON.stringify(out));
"""


def test_the_browser_module_with_an_access_token_under_node(
    jwt_stack: LocalStack, issuer: Issuer, tmp_path: object
) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: the browser module's API calls need it to run here")
    module = (REPO_ROOT / "web" / "jobstream-client.js").as_uri()
    result = subprocess.run(
        [
            node,
            "--input-type=module",
            "-e",
            NODE_SCRIPT % {"module": module},
            jwt_stack.url,
            issuer.token("dave"),
            issuer.token("erin"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["read"] == out["created"] == out["shared"]
    assert out["listed"] == [out["created"]]
    assert out["other"] == [404, "job_not_found"]
    assert out["anonymous"] == [401, "unauthenticated", True]
    assert out["cancelled"] is True
    assert out["types"] is True
    assert out["calls"] == 5  # create, read, list, cancel, types: a fresh token each

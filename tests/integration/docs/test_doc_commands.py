"""Every shell command README.md and events/README.md show is run here, as written, so a doc and
its command cannot drift apart (issue 19: events/README.md's ARGS example had stopped working).

Commands come from the docs' ```sh blocks (doc_commands.py). Each one either matches a runner
below or is listed in NOT_RUN_HERE with the reason; a command that is neither fails
test_every_documented_command_has_a_runner, so a new one cannot be added untested. Addresses a
doc names (port 8000, DynamoDB Local on 8001) are replaced with the free loopback ports of what
this test starts.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from jobstream.settings import Settings
from jobstream_client.sse import SSEParser
from jobstream_local.database import DatabaseChoice
from jobstream_local.stack import LocalStack
from jobstream_local.template_table import create_table_from_template
from tests.conftest import REPO_ROOT, TEMPLATE
from tests.integration.docs.doc_commands import (
    DocCommand,
    Served,
    clean_environment,
    doc_commands,
    free_port,
)

COMMANDS = doc_commands()
# Commands that cannot run on a machine without Docker or an AWS account, and what runs instead.
NOT_RUN_HERE = {
    "docker run --rm -p 8001:8000 amazon/dynamodb-local": "needs Docker and an image download; "
    "the next command runs against a moto server standing in for DynamoDB Local",
    ".venv-sam/bin/sam build": "builds for the template's python3.12, which this machine may "
    "lack (the README says so); the same `sam build` for this machine's Python runs in "
    "tests/integration/sam_build.py, and its output is run as Lambda runs it",
    ".venv-sam/bin/sam deploy --guided --parameter-overrides DemoJobs=true "
    "JwtIssuer=<your issuer> JwtAudience=<client id>": "deploys to AWS",
    "export ACCESS_TOKEN=$(aws cognito-idp initiate-auth --auth-flow USER_PASSWORD_AUTH "
    "--client-id <client id> --auth-parameters USERNAME=<user>,PASSWORD=<password> "
    "--query AuthenticationResult.AccessToken --output text)": "calls Cognito in AWS",
}
RUN_TIMEOUT_S = 180
BANNER = r"jobstream is running at (http://127\.0\.0\.1:\d+)"


def readme_checkout(tmp_path: Path) -> Path:
    """A checkout as a newcomer has it after saving the README's job type as shared/mymodule.py:
    the repository's files (linked, so `make` finds .venv up to date) plus that one module. A
    copy, so the test never writes into the repository's own shared/ (the layer sam builds)."""
    checkout = tmp_path / "checkout"
    (checkout / "shared").mkdir(parents=True)
    for name in (
        "Makefile",
        ".venv",
        "pyproject.toml",
        "clients",
        "functions",
        "template.yaml",
        "web",
    ):
        (checkout / name).symlink_to(REPO_ROOT / name)
    (checkout / "shared" / "requirements.txt").symlink_to(REPO_ROOT / "shared/requirements.txt")
    (checkout / "shared" / "mymodule.py").write_text(readme_job_type(), encoding="utf-8")
    return checkout


def readme_job_type() -> str:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- readme-example: job-type .*?-->\n```python\n(.*?)```", readme, re.S)
    assert found, "the README lost its job-type example (or its marker comment)"
    return found.group(1)


def _runner(command: DocCommand) -> Callable[[DocCommand, Path], None] | None:
    text = command.text
    if re.fullmatch(r"make (check|test)", text):
        return _gate
    if text == "make sam":
        return _sam
    if text.startswith("python3 -m http.server "):
        return _static_site
    if text.startswith("make invoke "):
        return _invoke
    if text.startswith(".venv/bin/jobstream "):
        return _client
    if text.endswith("make run") or " -m jobstream_local" in text:
        return _serve
    return None


def test_every_documented_command_has_a_runner() -> None:
    texts = [c.text for c in COMMANDS]
    assert "make run" in texts
    assert any(t.startswith("make invoke") for t in texts)
    unhandled = [c.id for c in COMMANDS if c.text not in NOT_RUN_HERE and _runner(c) is None]
    assert unhandled == [], "documented commands with no test: add a runner here"
    stale = set(NOT_RUN_HERE) - set(texts)
    assert stale == set(), "NOT_RUN_HERE names commands the docs no longer show"


@pytest.mark.parametrize(
    "command",
    [c for c in COMMANDS if c.text not in NOT_RUN_HERE],
    ids=lambda c: c.id,
)
def test_documented_command_works_as_written(command: DocCommand, tmp_path: Path) -> None:
    runner = _runner(command)
    assert runner is not None
    runner(command, tmp_path)


# --- runners --------------------------------------------------------------------------------------
def _run(
    text: str, env: dict[str, str], cwd: Path = REPO_ROOT, *, logs_may_hold_tracebacks: bool = False
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["bash", "-c", text],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )
    assert done.returncode == 0, f"{text} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    if not logs_may_hold_tracebacks:
        assert "Traceback" not in done.stdout + done.stderr
    return done


def _gate(command: DocCommand, tmp_path: Path) -> None:
    # `make test` is the gate this test runs under (.ci/run calls it) and `make check` is its
    # fast part; running them from inside themselves would recurse. Both must resolve.
    _run(f"make -n {command.text.split()[1]} >/dev/null", clean_environment())
    assert (REPO_ROOT / ".ci/run").read_text(encoding="utf-8").rstrip().endswith("make test")


def _sam(command: DocCommand, tmp_path: Path) -> None:
    done = _run(command.text, clean_environment())
    assert re.search(r"SAM CLI, version \d+\.\d+", done.stdout), done.stdout
    sam = _run(".venv-sam/bin/sam --version", clean_environment())
    assert "SAM CLI" in sam.stdout


def _static_site(command: DocCommand, tmp_path: Path) -> None:
    """The demo page served for a deployment: web/ as static files, with the meta tag the README
    says to set, on the port AllowedOrigins allows by default (here a free one)."""
    port = free_port()
    served = Served.start(command.text.replace(" 8000 ", f" {port} "), clean_environment())
    try:
        page = None
        for _ in range(100):
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/index.html", timeout=2)
                break
            except httpx.TransportError:
                assert served.process.poll() is None, served.text
                time.sleep(0.1)
        assert page is not None, served.text
        assert page.status_code == 200
        assert '<meta name="jobstream-api-base"' in page.text
        assert httpx.get(f"http://127.0.0.1:{port}/demo.js", timeout=2).status_code == 200
    finally:
        served.interrupt()


def _invoke(command: DocCommand, tmp_path: Path) -> None:
    fn = re.search(r"FN=(\w+)", command.text)
    assert fn is not None
    # An API event's create logs (ERROR, with its traceback) that no worker function answers
    # here: events/README.md says so. The answer is what counts.
    done = _run(command.text, clean_environment(), logs_may_hold_tracebacks=fn.group(1) == "api")
    if fn.group(1) == "stream":
        ids = [int(i) for i in re.findall(r"^id: (\d+)$", done.stdout, re.M)]
        assert ids, done.stdout
        assert ids == list(range(ids[0], ids[0] + len(ids)))  # gap-free
        assert re.search(r"^event: complete$", done.stdout, re.M), done.stdout
        if "stream_resume" in command.text:
            assert ids[0] == 4
        seeded = re.search(r"--seed-params (\{.*\})", command.text)
        if seeded is not None:
            # The documented params reached the job: n=50 is 50 progress events, then complete.
            assert ids[-1] == 51, done.stdout
    elif fn.group(1) == "api":
        status = re.search(r'"statusCode": (\d+)', done.stdout)
        assert status is not None, done.stdout
        assert 200 <= int(status.group(1)) < 300, done.stdout
    elif fn.group(1) == "sweep":
        # The invoke's own fresh table: nothing is due, and the run says so.
        # raw_decode: under `make test` the nested make adds "Leaving directory" after the JSON.
        answer, _ = json.JSONDecoder().raw_decode(done.stdout[done.stdout.index("{") :])
        assert (answer["looked_at"], answer["ended"]) == (0, 0), done.stdout
    else:
        assert '"outcome": "finished"' in done.stdout, done.stdout


def _client(command: DocCommand, tmp_path: Path) -> None:
    with LocalStack(
        port=0,
        function_timeout_s=20,
        stream_timeout_s=60,
        settings=Settings(table=f"jobstream-docs-{uuid.uuid4().hex[:8]}"),
        database=DatabaseChoice(),
    ) as stack:
        text = command.text.replace("http://127.0.0.1:8000", stack.url)
        done = _run(text, clean_environment(COLUMNS="200"))
    assert "started job" in done.stdout, done.stdout


def _serve(command: DocCommand, tmp_path: Path) -> None:
    text = command.text
    env = clean_environment(PORT=str(free_port()))
    cwd = REPO_ROOT
    job: tuple[str, dict[str, object]] = ("demo.count", {"n": 3, "interval_ms": 10})
    if "JOBSTREAM_JOB_REGISTRY=mymodule:registry" in text:
        # The README's own job type, saved where it says, in a checkout of its own.
        cwd = readme_checkout(tmp_path)
        job = ("reports.export", {"rows": 2_000, "batch": 500})
    with _stand_ins(text, env) as text:
        served = Served.start(text, env, cwd=cwd)
        try:
            url = served.wait_for(BANNER).group(1)
            served.wait_for("Press Ctrl-C")
            # Under JOBSTREAM_API_AUTH=jwt the banner prints the dev issuer's callers' tokens.
            tokens = dict(re.findall(r"^\s+(\w+): export ACCESS_TOKEN=(\S+)$", served.text, re.M))
            if "JOBSTREAM_API_AUTH=jwt" in text:
                assert sorted(tokens) == ["alice", "bob"], served.text
            caller = {"Authorization": f"Bearer {tokens['alice']}"} if tokens else None
            types = _run_a_job(url, *job, headers=caller)
        finally:
            served.interrupt()
    if job[0] == "reports.export":
        assert types == ["progress"] * 4 + ["complete"]
        # The banner's curl example names a type this stack serves, not demo.count.
        assert '"type": "reports.export"' in served.text, served.text
    assert "stopped" in served.text, served.text
    assert "Traceback" not in served.text, served.text


class _stand_ins:
    """The doc's DynamoDB Local or AWS table, replaced by a moto server on a free port."""

    def __init__(self, text: str, env: dict[str, str]) -> None:
        self._text = text
        self._env = env
        self._server: ThreadedMotoServer | None = None

    def __enter__(self) -> str:
        text = self._text
        needs_local = "http://127.0.0.1:8001" in text
        needs_aws = "--aws" in text
        if not (needs_local or needs_aws):
            return text
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        if needs_local:
            return text.replace("http://127.0.0.1:8001", endpoint)
        # --aws: the "real" table, made first as a deployed stack would have; boto3 reaches it
        # through its standard per-service endpoint variable.
        table = re.search(r"JOBSTREAM_TABLE=(\S+)", text)
        region = re.search(r"JOBSTREAM_REGION=(\S+)", text)
        assert table is not None
        assert region is not None
        client = boto3.client(
            "dynamodb",
            endpoint_url=endpoint,
            region_name=region.group(1),
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        create_table_from_template(client, table.group(1), TEMPLATE)
        self._env["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
        return text

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.stop()


def _run_a_job(
    url: str, type: str, params: dict[str, object], *, headers: dict[str, str] | None = None
) -> list[str]:
    """Start a job on the served stack and follow its stream to the terminal event."""
    with httpx.Client(base_url=url, timeout=httpx.Timeout(10.0, read=60.0)) as http:
        created = http.post("/jobs", json={"type": type, "params": params}, headers=headers)
        assert created.status_code == 201, created.text
        job = created.json()
        parser = SSEParser()
        types: list[str] = []
        with http.stream(
            "GET", job["events_url"], headers={"Authorization": f"Bearer {job['token']}"}
        ) as response:
            assert response.status_code == 200
            for chunk in response.iter_raw():
                types += [event.event for event in parser.feed(chunk)]
    assert types[-1] == "complete", types
    return types

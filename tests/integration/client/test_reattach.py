"""`jobstream start`, Ctrl-C, then the command it prints: the job is followed to its end (the
token was kept where `attach` finds it), and the printed stop command cancels it. Run as a user
runs them: the installed `jobstream` command, in a process of its own, against the local stack."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobstream.settings import Settings
from jobstream_local.database import DatabaseChoice
from jobstream_local.stack import LocalStack

TIMEOUT_S = 60
JOBSTREAM = Path(sys.executable).parent / "jobstream"


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(
        port=0,
        function_timeout_s=3,
        stream_timeout_s=4,
        settings=Settings(table=f"jobstream-reattach-{uuid.uuid4().hex[:8]}", stream_retry_ms=100),
        database=DatabaseChoice(),
    ) as running:
        yield running


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOBSTREAM_")}
    # The token store the command keeps tokens in: this test's own (tests/conftest.py), and the
    # caller's access token where a test set one.
    for name in ("JOBSTREAM_TOKEN_DIR", "JOBSTREAM_ACCESS_TOKEN"):
        if name in os.environ:
            env[name] = os.environ[name]
    env["PATH"] = f"{JOBSTREAM.parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _start_then_interrupt(stack: LocalStack, *extra: str) -> tuple[str, str, str]:
    """Start a long job, wait for its first progress on screen, press Ctrl-C; return the job id
    and the two commands printed."""
    process = subprocess.Popen(
        [
            str(JOBSTREAM),
            "--api",
            stack.url,
            "start",
            "demo.count",
            "--param",
            "n=40",
            "--param",
            "interval_ms=150",
            *extra,
        ],
        env=_environment() | {"COLUMNS": "80"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    started = process.stdout.readline()
    found = re.match(r"started job (\w+)", started)
    assert found, started
    job_id = found.group(1)
    # Interrupted once the job has produced something (the stream is open and reading).
    for _ in range(100):
        if stack.jobs.store.get_job(job_id).last_event_id >= 3:
            break
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    output = process.communicate(timeout=TIMEOUT_S)[0]
    assert process.returncode == 130, output
    again = re.search(r"follow it again:  (jobstream .+)$", output, re.M)
    stop = re.search(r"or stop it:       (jobstream .+)$", output, re.M)
    assert again is not None, output
    assert stop is not None, output
    return job_id, again.group(1), stop.group(1)


def _run(command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command],
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )


def test_the_printed_command_follows_the_job_to_its_end(stack: LocalStack) -> None:
    job_id, again, _ = _start_then_interrupt(stack)
    assert f"--job-id {job_id}" in again
    assert re.search(r"--last-event-id \d+", again)

    followed = _run(again)

    assert followed.returncode == 0, followed.stdout + followed.stderr
    assert stack.jobs.store.get_job(job_id).status.value == "succeeded"


def test_the_printed_stop_command_cancels_it(stack: LocalStack) -> None:
    job_id, _, stop = _start_then_interrupt(stack)

    stopped = _run(stop)

    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert "cancel requested" in stopped.stdout
    assert stack.jobs.store.get_job(job_id).cancel_requested


def test_with_a_token_file_the_command_names_it(stack: LocalStack, tmp_path: Path) -> None:
    token_file = tmp_path / "job.token"
    _, again, _ = _start_then_interrupt(stack, "--token-file", str(token_file))
    assert f"--token-file {token_file}" in again
    shutil.rmtree(os.environ["JOBSTREAM_TOKEN_DIR"])  # only the file is left to find it by

    followed = _run(again)

    assert followed.returncode == 0, followed.stdout + followed.stderr


@pytest.fixture(scope="module")
def jwt_stack() -> Iterator[LocalStack]:
    """`JOBSTREAM_API_AUTH=jwt make run`: the stack with its dev issuer."""
    with LocalStack(
        port=0,
        function_timeout_s=3,
        stream_timeout_s=4,
        settings=Settings(
            table=f"jobstream-reattach-{uuid.uuid4().hex[:8]}", stream_retry_ms=100, api_auth="jwt"
        ),
        database=DatabaseChoice(),
        dev_issuer=True,
    ) as running:
        yield running


def test_under_jwt_the_owner_attaches_by_job_id_alone(
    jwt_stack: LocalStack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    issuer = jwt_stack.dev_issuer
    assert issuer is not None
    monkeypatch.setenv("JOBSTREAM_ACCESS_TOKEN", issuer.access_token("alice"))
    job_id, again, _ = _start_then_interrupt(jwt_stack)

    # The printed command, on another machine: no kept token, only alice's access token.
    monkeypatch.setenv("JOBSTREAM_TOKEN_DIR", str(tmp_path / "elsewhere"))
    followed = _run(again)

    assert followed.returncode == 0, followed.stdout + followed.stderr
    assert jwt_stack.jobs.store.get_job(job_id).status.value == "succeeded"
    assert (tmp_path / "elsewhere" / f"{job_id}.token").is_file()  # the fresh token, kept

    monkeypatch.setenv("JOBSTREAM_ACCESS_TOKEN", issuer.access_token("bob"))
    monkeypatch.setenv("JOBSTREAM_TOKEN_DIR", str(tmp_path / "bobs"))
    refused = _run(again)
    assert refused.returncode == 4, refused.stdout
    assert "HTTP 404 job_not_found" in refused.stdout

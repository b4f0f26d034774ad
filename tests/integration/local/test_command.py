"""``python -m jobstream_local`` (what `make run` runs) as a user runs it: it prints its URL and a
curl example, serves, and on Ctrl-C ends open streams cleanly, stops and exits 0."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from jobstream_client.sse import SSEParser

START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 20


@dataclass
class Running:
    process: subprocess.Popen[str]
    url: str
    port: int
    lines: queue.Queue[str | None]
    output: list[str] = field(default_factory=list)

    def wait_for(self, text: str, timeout_s: float) -> str:
        while True:
            line = self.lines.get(timeout=timeout_s)
            if line is None:
                raise AssertionError(f"exited before printing {text!r}:\n{''.join(self.output)}")
            if text in line:
                return line


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _environment(port: int) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"JOBSTREAM_DYNAMODB_ENDPOINT_URL", "JOBSTREAM_LOCAL_USE_AWS", "HOST"}
    }
    env |= {"PORT": str(port), "LOCAL_FUNCTION_TIMEOUT": "2", "LOCAL_STREAM_TIMEOUT": "30"}
    return env


def _start(
    args: list[str], env: dict[str, str]
) -> tuple[subprocess.Popen[str], queue.Queue[str | None], list[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "jobstream_local", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    output: list[str] = []

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, name="local-stack-output", daemon=True).start()
    return process, lines, output


@pytest.fixture
def running() -> Iterator[Running]:
    port = _free_port()
    process, lines, output = _start([], _environment(port))
    url = f"http://127.0.0.1:{port}"
    handle = Running(process=process, url=url, port=port, lines=lines, output=output)
    try:
        handle.wait_for(f"running at {url}", START_TIMEOUT_S)
        yield handle
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(STOP_TIMEOUT_S)
        assert process.stdout is not None
        process.stdout.close()


def test_ctrl_c_ends_open_streams_cleanly_and_exits_zero(running: Running) -> None:
    banner = "".join(running.output)
    assert 'curl -N -H "Authorization: Bearer $TOKEN"' in banner
    assert f"{running.url}/jobs" in banner
    with httpx.Client(base_url=running.url, timeout=httpx.Timeout(10.0, read=30.0)) as http:
        created = http.post("/jobs", json={"type": "demo.count", "params": {"n": 600}})
        job = created.json()
        first_event = threading.Event()
        seen: list[str] = []
        ended_cleanly = threading.Event()

        def watch() -> None:
            parser = SSEParser()
            headers = {"Authorization": f"Bearer {job['token']}"}
            with http.stream("GET", job["events_url"], headers=headers) as response:
                for chunk in response.iter_raw():
                    for event in parser.feed(chunk):
                        seen.append(event.id)
                        first_event.set()
            ended_cleanly.set()  # the body ended: no exception from a cut connection

        watcher = threading.Thread(target=watch, name="stream-watcher")
        watcher.start()
        assert first_event.wait(30)

        running.process.send_signal(signal.SIGINT)

        assert running.process.wait(STOP_TIMEOUT_S) == 0
        watcher.join(STOP_TIMEOUT_S)
    assert ended_cleanly.is_set()
    assert seen == [str(i) for i in range(1, len(seen) + 1)]
    running.wait_for("stopped", 5)
    output = "".join(running.output)
    assert "Traceback" not in output
    assert job["token"] not in output
    # The port is free again: nothing listens, and a new server may bind it at once.
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection(("127.0.0.1", running.port), timeout=5),
    ):
        pass
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", running.port))


def test_sigterm_stops_it_too(running: Running) -> None:
    running.process.send_signal(signal.SIGTERM)

    assert running.process.wait(STOP_TIMEOUT_S) == 0


def test_a_bad_option_is_named_and_nothing_starts() -> None:
    env = _environment(_free_port()) | {"LOCAL_FUNCTION_TIMEOUT": "soon"}
    process, lines, output = _start([], env)

    assert process.wait(START_TIMEOUT_S) == 2
    while lines.get(timeout=5) is not None:
        pass  # all output read
    assert process.stdout is not None
    process.stdout.close()
    assert "LOCAL_FUNCTION_TIMEOUT must be a number, not 'soon'" in "".join(output)


def test_a_registry_that_cannot_be_imported_is_one_line() -> None:
    env = _environment(_free_port()) | {"JOBSTREAM_JOB_REGISTRY": "mymodule_not_saved:registry"}
    process, lines, output = _start([], env)

    assert process.wait(START_TIMEOUT_S) == 1
    while lines.get(timeout=5) is not None:
        pass  # all output read
    assert process.stdout is not None
    process.stdout.close()
    text = "".join(output)
    assert "Traceback" not in text
    errors = [line for line in output if line.startswith("error:")]
    assert len(errors) == 1, text
    assert "no module named 'mymodule_not_saved'" in errors[0]
    assert "shared/mymodule_not_saved.py" in errors[0]


def _fails_with_one_line(env: dict[str, str]) -> str:
    process, lines, output = _start([], env)
    assert process.wait(START_TIMEOUT_S) == 1
    while lines.get(timeout=5) is not None:
        pass  # all output read
    assert process.stdout is not None
    process.stdout.close()
    text = "".join(output)
    assert "Traceback" not in text
    errors = [line for line in output if line.startswith("error:")]
    assert len(errors) == 1, text
    return errors[0]


@pytest.mark.parametrize(
    ("jwks_url", "said"),
    [
        ("file:///etc/jwks.json", "cannot be used: Invalid JWKS URI scheme 'file'"),
        ("http://127.0.0.1:9/.well-known/jwks.json", "cannot be fetched"),
    ],
)
def test_an_unusable_jwks_url_fails_the_start_with_one_line(jwks_url: str, said: str) -> None:
    env = _environment(_free_port()) | {
        "JOBSTREAM_API_AUTH": "jwt",
        "JOBSTREAM_JWT_ISSUER": "https://issuer.example",
        "JOBSTREAM_JWT_AUDIENCE": "jobstream",
        "JOBSTREAM_JWT_JWKS_URL": jwks_url,
    }
    error = _fails_with_one_line(env)
    assert jwks_url in error
    assert said in error


def test_the_dev_issuer_listens_on_loopback_only() -> None:
    env = _environment(_free_port()) | {"JOBSTREAM_API_AUTH": "jwt", "HOST": "0.0.0.0"}
    assert "runs only on loopback" in _fails_with_one_line(env)


def test_jwt_without_an_issuer_runs_the_dev_issuer_and_prints_tokens_for_two_callers() -> None:
    port = _free_port()
    process, lines, output = _start([], _environment(port) | {"JOBSTREAM_API_AUTH": "jwt"})
    url = f"http://127.0.0.1:{port}"
    running = Running(process=process, url=url, port=port, lines=lines, output=output)
    try:
        running.wait_for("Press Ctrl-C", START_TIMEOUT_S)
        banner = "".join(output)
        assert "DEV issuer" in banner
        tokens = dict(re.findall(r"^\s+(\w+): export ACCESS_TOKEN=(\S+)$", banner, re.M))
        assert sorted(tokens) == ["alice", "bob"]
        with httpx.Client(base_url=url, timeout=30) as http:
            job = {"type": "demo.count", "params": {"n": 1}}
            assert http.post("/jobs", json=job).status_code == 401
            alice = {"Authorization": f"Bearer {tokens['alice']}"}
            created = http.post("/jobs", json=job, headers=alice)
            assert created.status_code == 201, created.text
            job_id = created.json()["job_id"]
            bob = {"Authorization": f"Bearer {tokens['bob']}"}
            assert http.get(f"/jobs/{job_id}", headers=bob).status_code == 404
            assert http.post(f"/jobs/{job_id}/token", headers=alice).status_code == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(STOP_TIMEOUT_S) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(STOP_TIMEOUT_S)
        assert process.stdout is not None
        process.stdout.close()


def test_a_bad_auth_mode_is_one_line_naming_its_values() -> None:
    error = _fails_with_one_line(_environment(_free_port()) | {"JOBSTREAM_API_AUTH": "open"})
    assert "JOBSTREAM_API_AUTH: must be one of none, jwt, iam" in error

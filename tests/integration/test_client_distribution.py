"""`pip install clients/python` into an empty venv gives a working `jobstream` command.

The client is its own distribution: it must install and run without the server's `jobstream`
package (the Lambda layer) or anything the dev venv happens to hold. So this builds a fresh venv,
installs only clients/python into it (pip reaches PyPI through its cache), and runs the installed
console script against a real event stream served on loopback.
"""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

CLIENT_DIST = REPO_ROOT / "clients" / "python"
TOKEN = "t0ken"


@pytest.fixture(scope="module")
def client_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("client-venv")
    # Built from a copy: pip builds in the source tree (build/, *.egg-info), which must stay clean.
    source = work / "source"
    shutil.copytree(CLIENT_DIST, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(source)],
        check=True,
        timeout=240,
        cwd=venv,
        env=_clean_env(),
    )
    return venv


def _clean_env() -> dict[str, str]:
    """The environment minus anything that could put the repository's code on the path."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def _run(venv: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin" / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=venv,
        env={**_clean_env(), "NO_COLOR": "1", "COLUMNS": "120"},
        check=False,
    )


def test_the_venv_holds_the_client_and_not_the_server(client_venv: Path) -> None:
    probe = _run(
        client_venv,
        "python",
        "-c",
        "import importlib.util as u; print(u.find_spec('jobstream_client') is not None, "
        "u.find_spec('jobstream') is not None)",
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == ["True", "False"]


def test_jobstream_help_works(client_venv: Path) -> None:
    result = _run(client_venv, "jobstream", "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: jobstream" in result.stdout
    assert "start" in result.stdout
    assert "attach" in result.stdout


class _JobEvents(http.server.BaseHTTPRequestHandler):
    """One job's events: the first connection ends after two events without a terminal one, as a
    stream does at its deadline; the resumed one must carry Last-Event-ID: 2."""

    seen_last_ids: list[str | None]

    def do_GET(self) -> None:
        if self.path != "/jobs/j1/events" or self.headers.get("authorization") != f"Bearer {TOKEN}":
            self.send_error(404)
            return
        last_id = self.headers.get("last-event-id")
        self.seen_last_ids.append(last_id)
        if last_id is None:
            body = (
                b": connected\n\n"
                b'id: 1\nevent: progress\ndata: {"done": 1, "total": 3}\n\n'
                b'id: 2\nevent: progress\ndata: {"done": 2, "total": 3}\n\n'
            )
        else:
            body = (
                b'id: 3\nevent: progress\ndata: {"done": 3, "total": 3}\n\n'
                b'id: 4\nevent: complete\ndata: {"result": {"counted": 3}}\n\n'
            )
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # In pieces, so the parser sees events split across reads.
        for start in range(0, len(body), 7):
            self.wfile.write(body[start : start + 7])
            self.wfile.flush()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def events_server() -> Iterator[tuple[str, list[str | None]]]:
    seen: list[str | None] = []
    handler = type("Handler", (_JobEvents,), {"seen_last_ids": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jobs/j1/events", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_jobstream_follows_a_real_stream_across_a_reconnect(
    client_venv: Path, events_server: tuple[str, list[str | None]]
) -> None:
    url, seen_last_ids = events_server
    result = _run(client_venv, "jobstream", "attach", "--events-url", url, "--token", TOKEN)
    assert result.returncode == 0, result.stdout + result.stderr
    assert seen_last_ids == [None, "2"]
    assert "resuming" in result.stdout
    assert 'complete: {"counted":3}' in result.stdout

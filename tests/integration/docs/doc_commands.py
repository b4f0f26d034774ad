"""The shell commands README.md and events/README.md show, read from their ```sh blocks, and a
way to run a long-lived one (``make run``) the way a person does: start it, use it, press Ctrl-C."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import REPO_ROOT

DOCS = ("README.md", "events/README.md")
# A block may be indented (inside a list item).
_BLOCK = re.compile(r"^[ ]*```sh\n(.*?)^[ ]*```", re.S | re.M)
# A trailing comment: `#` after whitespace (a `#` inside a word or a quoted JSON is kept).
_COMMENT = re.compile(r"\s+#\s.*$")
START_TIMEOUT_S = 90
STOP_TIMEOUT_S = 30


@dataclass(frozen=True)
class DocCommand:
    doc: str
    text: str

    @property
    def id(self) -> str:
        return f"{self.doc}: {self.text}"


def doc_commands() -> list[DocCommand]:
    """Every command of every sh block, continuation lines joined, comments dropped."""
    found: list[DocCommand] = []
    for doc in DOCS:
        text = (REPO_ROOT / doc).read_text(encoding="utf-8")
        for block in _BLOCK.findall(text):
            joined = re.sub(r"\\\n\s*", " ", block)
            for line in joined.splitlines():
                command = _COMMENT.sub("", line).strip()
                if command and not command.startswith("#"):
                    found.append(DocCommand(doc, command))
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without any jobstream, port or AWS configuration: what a
    newcomer's shell has. Fake AWS credentials, so that nothing can reach AWS."""
    dropped = ("JOBSTREAM_", "LOCAL_", "AWS_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    for name in ("PORT", "HOST", "ARGS", "PYTHONPATH"):
        env.pop(name, None)
    # Where the `jobstream` command keeps job tokens: the test's folder (tests/conftest.py).
    if "JOBSTREAM_TOKEN_DIR" in os.environ:
        env["JOBSTREAM_TOKEN_DIR"] = os.environ["JOBSTREAM_TOKEN_DIR"]
    env |= {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "PYTHONUNBUFFERED": "1",
    }
    return env | extra


@dataclass
class Served:
    """A command that serves until Ctrl-C, run by bash in a process group of its own."""

    process: subprocess.Popen[str]
    lines: queue.Queue[str | None] = field(default_factory=queue.Queue)
    output: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, command: str, env: dict[str, str], cwd: Path = REPO_ROOT) -> Served:
        process = subprocess.Popen(
            ["bash", "-c", command],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        served = cls(process)

        def pump() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                served.output.append(line)
                served.lines.put(line)
            served.lines.put(None)

        threading.Thread(target=pump, name="doc-command-output", daemon=True).start()
        return served

    @property
    def text(self) -> str:
        return "".join(self.output)

    def wait_for(self, pattern: str, timeout_s: float = START_TIMEOUT_S) -> re.Match[str]:
        wanted = re.compile(pattern)
        while True:
            try:
                line = self.lines.get(timeout=timeout_s)
            except queue.Empty:
                raise AssertionError(f"no {pattern!r} in {timeout_s} s:\n{self.text}") from None
            if line is None:
                raise AssertionError(f"exited before printing {pattern!r}:\n{self.text}")
            found = wanted.search(line)
            if found:
                return found

    def interrupt(self) -> None:
        """Ctrl-C, as a terminal sends it: SIGINT to the whole foreground group (make too)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(STOP_TIMEOUT_S)
        finally:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
            while self.lines.get(timeout=5) is not None:
                pass  # all output read
            assert self.process.stdout is not None
            self.process.stdout.close()

"""`sam build` of template.yaml, offline, for this interpreter's Python version and architecture.

One build serves every test that needs the built artifact (the session-scoped ``sam_build``
fixture in tests/integration/conftest.py): it takes about 20 s and its output is read-only to the
tests.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import REPO_ROOT

FUNCTIONS = {"ApiFunction": "api", "StreamFunction": "stream", "WorkerFunction": "worker"}


def sam_cli() -> str:
    sam = os.environ.get("SAM_CLI") or shutil.which("sam")
    if not sam:
        pytest.fail("SAM CLI not found: run `make test` (it installs SAM CLI into .venv-sam)")
    return sam


def local_runtime() -> str:
    return f"python{sys.version_info.major}.{sys.version_info.minor}"


def local_architecture() -> str:
    return "arm64" if platform.machine() in {"aarch64", "arm64"} else "x86_64"


def build(workdir: Path) -> Path:
    """Run `sam build` into ``workdir/build`` and return that folder."""
    # SAM refuses a build dir that is (or contains) its working directory: it empties it first.
    out = workdir / "build"
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    # SAM builds with the first `pythonX.Y` on PATH: put this interpreter's folder first.
    env["PATH"] = f"{Path(sys.base_prefix) / 'bin'}{os.pathsep}{env['PATH']}"
    result = subprocess.run(
        [
            sam_cli(),
            "build",
            "--template-file",
            str(REPO_ROOT / "template.yaml"),
            "--build-dir",
            str(out),
            "--parameter-overrides",
            f"PythonRuntime={local_runtime()} Architecture={local_architecture()}",
        ],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"sam build failed:\n{result.stdout}\n{result.stderr}"
    return out

"""`sam build` produces complete packages: every handler imports from the build output alone.

Runs SAM CLI offline (from its own venv, path in $SAM_CLI; `make test` sets it) for the local
Python version and architecture, then imports each function's handler in a fresh interpreter whose
path holds only that function's build folder and the built layer: what Lambda puts on sys.path.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import REPO_ROOT

pytestmark = pytest.mark.integration

FUNCTIONS = {"ApiFunction": "api", "StreamFunction": "stream", "WorkerFunction": "worker"}


def _sam_cli() -> str:
    sam = os.environ.get("SAM_CLI") or shutil.which("sam")
    if not sam:
        pytest.fail("SAM CLI not found: run `make test` (it installs SAM CLI into .venv-sam)")
    return sam


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = tmp_path_factory.mktemp("sam-build")
    # SAM refuses a build dir that is (or contains) its working directory: it empties it first.
    out = workdir / "build"
    runtime = f"python{sys.version_info.major}.{sys.version_info.minor}"
    arch = "arm64" if platform.machine() in {"aarch64", "arm64"} else "x86_64"
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    # SAM builds with the first `pythonX.Y` on PATH: put this interpreter's folder first.
    env["PATH"] = f"{Path(sys.base_prefix) / 'bin'}{os.pathsep}{env['PATH']}"
    result = subprocess.run(
        [
            _sam_cli(),
            "build",
            "--template-file",
            str(REPO_ROOT / "template.yaml"),
            "--build-dir",
            str(out),
            "--parameter-overrides",
            f"PythonRuntime={runtime} Architecture={arch}",
        ],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"sam build failed:\n{result.stdout}\n{result.stderr}"
    return out


# What the managed Python runtime itself ships next to the handler (boto3 and its dependencies).
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")


@pytest.fixture(scope="module")
def runtime_provided(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lambda-runtime")
    for name in RUNTIME_PROVIDED:
        spec = importlib.util.find_spec(name)
        assert spec is not None
        assert spec.origin is not None
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (folder / source.name).symlink_to(source)
    return folder


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_handler_imports_from_build_output(
    build_dir: Path, runtime_provided: Path, logical_id: str
) -> None:
    function_dir = build_dir / logical_id
    layer_dir = build_dir / "SharedLayer" / "python"
    assert (function_dir / "app.py").is_file()
    assert (layer_dir / "jobstream" / "__init__.py").is_file()
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": f"{function_dir}{os.pathsep}{layer_dir}",
        "PYTHONNOUSERSITE": "1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "JOBSTREAM_TABLE": "packaging-check",
        # As on Lambda: Powertools' Tracer is enabled (and patches botocore) only where it sees
        # LAMBDA_TASK_ROOT, so this also proves its dependencies are packaged.
        "LAMBDA_TASK_ROOT": str(function_dir),
        "AWS_LAMBDA_FUNCTION_NAME": f"packaging-check-{logical_id}",
    }
    # -S: no site-packages, so nothing from .venv can stand in for a missing packaged dependency.
    env["PYTHONPATH"] += f"{os.pathsep}{runtime_provided}"
    code = "import app; assert callable(app.handler), 'handler missing'"
    result = subprocess.run(
        [sys.executable, "-S", "-c", code],
        cwd=function_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_exec_wrapper_is_executable_in_layer(build_dir: Path) -> None:
    wrapper = build_dir / "SharedLayer" / "python" / "jobstream" / "runtime" / "exec-wrapper"
    assert wrapper.is_file()
    assert os.access(wrapper, os.X_OK), "AWS_LAMBDA_EXEC_WRAPPER must point at an executable file"

"""`sam build` produces complete packages that hold exactly what the locks pin.

Runs SAM CLI offline (from its own venv, path in $SAM_CLI; `make test` sets it) for the local
Python version and architecture (one build for the session: tests/integration/conftest.py). Checks
the distributions installed in the layer and the API function against their locks, then imports
each function's handler in a fresh interpreter whose path holds only that function's build folder
and the built layer: what Lambda puts on sys.path.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import REPO_ROOT
from ..locks import API_LOCK, LAYER_LOCK, installed_in, read_pins, tree_size
from .sam_build import FUNCTIONS

# Lambda's limit on a function's unpacked code plus all its layers (AWS DG, "Lambda quotas").
UNPACKED_LIMIT = 250 * 1024 * 1024


@pytest.fixture(scope="module")
def build_dir(sam_build: Path) -> Path:
    return sam_build


def _differences(installed: dict[str, str], locked: dict[str, str]) -> list[str]:
    problems = [
        f"{name}=={version} is not in the lock"
        for name, version in sorted(installed.items())
        if name not in locked
    ]
    problems += [
        f"{name} is locked but not installed" for name in sorted(locked) if name not in installed
    ]
    problems += [
        f"{name}: installed {installed[name]}, locked {locked[name]}"
        for name in sorted(installed.keys() & locked.keys())
        if installed[name] != locked[name]
    ]
    return problems


def test_the_built_layer_holds_exactly_its_lock(build_dir: Path) -> None:
    layer = build_dir / "SharedLayer" / "python"
    assert _differences(dict(installed_in(layer)), dict(read_pins(LAYER_LOCK))) == []
    size = tree_size(build_dir / "SharedLayer")
    # Reported with -s (and in docs/deploy.md, "Package size"): what the lock costs in layer size.
    print(f"\nSharedLayer unpacked: {size / 1e6:.1f} MB ({size} bytes)")
    assert size < UNPACKED_LIMIT


def test_the_built_api_function_holds_exactly_its_lock(build_dir: Path) -> None:
    function = build_dir / "ApiFunction"
    assert _differences(dict(installed_in(function)), dict(read_pins(API_LOCK))) == []
    size = tree_size(function)
    print(f"\nApiFunction unpacked: {size / 1e6:.1f} MB ({size} bytes)")
    assert size + tree_size(build_dir / "SharedLayer") < UNPACKED_LIMIT


@pytest.mark.parametrize("logical_id", ["StreamFunction", "WorkerFunction"])
def test_the_other_functions_install_nothing(build_dir: Path, logical_id: str) -> None:
    assert installed_in(build_dir / logical_id) == {}


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
        # As on Lambda: Powertools switches some behaviour on where it sees LAMBDA_TASK_ROOT.
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
    wrapper = build_dir / "SharedLayer" / "python" / "jobstream" / "lambda_runtime" / "exec-wrapper"
    assert wrapper.is_file()
    assert os.access(wrapper, os.X_OK), "AWS_LAMBDA_EXEC_WRAPPER must point at an executable file"


def test_the_built_layer_holds_the_library_and_no_dev_tooling(build_dir: Path) -> None:
    """What ships is shared/jobstream, file for file: the local stack, bench and client live
    outside the layer (dev/, clients/python) and must not travel to Lambda."""
    layer = build_dir / "SharedLayer" / "python"
    for name in ("jobstream_local", "jobstream_bench", "jobstream_client", "tests", "web"):
        assert not (layer / name).exists(), f"{name} must not ship in the layer"

    def files(root: Path) -> set[str]:
        return {
            str(path.relative_to(root))
            for path in root.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts
        }

    assert files(layer / "jobstream") == files(REPO_ROOT / "shared" / "jobstream")

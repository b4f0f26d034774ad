"""The built functions and layer carry bytecode that Lambda actually uses: a cold import compiles
no source.

`sam build` runs our makefile builds (lambda-build/lambda.mk), which compile hash-based bytecode
(PEP 552) with the runtime's own interpreter. On Lambda the zip gives every file a 1980
timestamp and /var/task and /opt are read-only: timestamp-validated bytecode would be ignored
there and every imported module compiled on every cold start. So each handler is imported, with
the runtime loop the exec wrapper starts, from a copy of the build output whose entries all carry
the zip's timestamp, in a fresh interpreter of the runtime's version (the build's: this machine's)
that may write no bytecode, and the sources compiled on the way are counted (counted, not timed:
the figure cannot move with the machine's load).
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path

import pytest

from jobstream_sandbox.compile_count import count_compiled
from jobstream_sandbox.layout import LAYER_PYTHON, ZIP_EPOCH, copy_as_unzipped, files_under

from .sam_build import FUNCTIONS

# What a cold start imports: the loop the exec wrapper runs, then the handler (loop.py's main()).
COLD_IMPORTS = ("jobstream.lambda_runtime.loop", "app")
# The interpreter the build compiled with: sam_build.py puts this one first on PATH.
RUNTIME_PYTHON = Path(sys.base_prefix, "bin", "python{}.{}".format(*sys.version_info[:2]))


@pytest.fixture(scope="module")
def unzipped(sam_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The build output as Lambda unpacks it: 1980 timestamps, no write permission."""
    root = copy_as_unzipped(sam_build, tmp_path_factory.mktemp("unzipped") / "build")
    for folder, _, names in os.walk(root):
        for name in [*names, "."]:
            entry = Path(folder, name)
            if not entry.is_symlink():
                entry.chmod(entry.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return root


def _environment(function_dir: Path, logical_id: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "LAMBDA_TASK_ROOT": str(function_dir),
        "AWS_LAMBDA_FUNCTION_NAME": f"bytecode-check-{logical_id}",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "JOBSTREAM_TABLE": "bytecode-check",
    }


def test_the_copy_carries_the_zip_timestamps(unzipped: Path) -> None:
    # Else the test below would prove nothing about timestamp-validated bytecode.
    app = unzipped / "StreamFunction" / "app.py"
    assert app.stat().st_mtime == ZIP_EPOCH
    package = unzipped / "SharedLayer" / LAYER_PYTHON / "jobstream" / "__init__.py"
    assert package.stat().st_mtime == ZIP_EPOCH


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_a_cold_import_of_each_built_handler_compiles_no_source(
    unzipped: Path, logical_id: str
) -> None:
    function_dir = unzipped / logical_id
    layer = unzipped / "SharedLayer" / LAYER_PYTHON
    before = files_under(unzipped)
    count = count_compiled(
        RUNTIME_PYTHON,
        # Lambda's order: /var/task, then the layer's /opt/python.
        path=[function_dir, layer],
        modules=COLD_IMPORTS,
        cwd=function_dir,
        env=_environment(function_dir, logical_id),
    )
    assert count.compiled == [], (
        f"{len(count.compiled)} sources compiled during a cold import of {logical_id}: "
        f"{count.compiled[:20]}"
    )
    assert files_under(unzipped) == before, "the import wrote to the build output"


def test_the_count_sees_a_source_without_bytecode(unzipped: Path, tmp_path: Path) -> None:
    """The control: the same import with the function's own bytecode removed compiles exactly
    its app.py (so a zero above is the bytecode at work, not a probe that counts nothing)."""
    function_dir = tmp_path / "StreamFunction"
    shutil.copytree(unzipped / "StreamFunction", function_dir)
    function_dir.chmod(0o755)
    shutil.rmtree(function_dir / "__pycache__")
    count = count_compiled(
        RUNTIME_PYTHON,
        path=[function_dir, unzipped / "SharedLayer" / LAYER_PYTHON],
        modules=COLD_IMPORTS,
        cwd=function_dir,
        env=_environment(function_dir, "StreamFunction"),
    )
    assert count.compiled == [str(function_dir / "app.py")]

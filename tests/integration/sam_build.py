"""`sam build` of template.yaml, offline, for this interpreter's Python version and architecture.

One build serves every test that needs the built artifact (the session-scoped ``sam_build``
fixture in tests/integration/conftest.py): it takes about 20 s and its output is read-only to the
tests. The build itself is jobstream_sandbox.sam_build's, which the bench's cold-start lab uses too.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from jobstream_sandbox.sam_build import SamBuildFailed, sam_build

from ..conftest import REPO_ROOT

FUNCTIONS = {
    "ApiFunction": "api",
    "StreamFunction": "stream",
    "WorkerFunction": "worker",
    "SweepFunction": "sweep",
}


def sam_cli() -> str:
    sam = os.environ.get("SAM_CLI") or shutil.which("sam")
    if not sam:
        pytest.fail("SAM CLI not found: run `make test` (it installs SAM CLI into .venv-sam)")
    return sam


def build(workdir: Path) -> Path:
    """Run `sam build` into ``workdir/build`` and return that folder."""
    try:
        return sam_build(sam_cli(), REPO_ROOT / "template.yaml", workdir)
    except SamBuildFailed as failed:
        pytest.fail(str(failed))

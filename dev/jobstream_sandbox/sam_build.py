"""`sam build` of template.yaml, offline, for this interpreter's Python version and architecture."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path


def local_runtime() -> str:
    return f"python{sys.version_info.major}.{sys.version_info.minor}"


def local_architecture() -> str:
    return "arm64" if platform.machine() in {"aarch64", "arm64"} else "x86_64"


def runtime_interpreter() -> Path:
    """This Python's own interpreter (not a venv's): what the build compiles bytecode with."""
    return Path(sys.base_prefix, "bin", local_runtime())


class SamBuildFailed(Exception):
    pass


def sam_build(sam: str, template: Path, workdir: Path) -> Path:
    """Run `sam build` into ``workdir/build`` and return that folder."""
    # SAM refuses a build dir that is (or contains) its working directory: it empties it first.
    out = workdir / "build"
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    # The build compiles bytecode with the first `pythonX.Y` on PATH: this interpreter's, first.
    env["PATH"] = f"{runtime_interpreter().parent}{os.pathsep}{env['PATH']}"
    result = subprocess.run(  # noqa: S603 - the SAM CLI we were given, fixed arguments
        [
            sam,
            "build",
            "--template-file",
            str(template),
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
        check=False,
    )
    if result.returncode != 0:
        raise SamBuildFailed(f"sam build failed:\n{result.stdout}\n{result.stderr}")
    return out

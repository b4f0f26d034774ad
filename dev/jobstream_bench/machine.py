"""What the figures were measured on: CPU, cores, Python, OS, load, commit."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Machine:
    cpu: str
    cores: int
    python: str
    system: str
    commit: str

    @classmethod
    def describe(cls, repo: Path) -> Machine:
        return cls(
            cpu=_cpu_model(),
            cores=os.cpu_count() or 0,
            python=f"{platform.python_implementation()} {platform.python_version()}",
            system=platform.platform(),
            commit=_commit(repo),
        )


def load_average() -> tuple[float, float, float] | None:
    """1, 5 and 15 minute load averages (other processes compete for the same cores)."""
    try:
        return os.getloadavg()
    except OSError:
        return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _commit(repo: Path) -> str:
    try:
        completed = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH, fixed arguments
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return completed.stdout.strip()

"""Cold import time of each Lambda handler module, as ``python -X importtime`` reports it.

Each run is a fresh interpreter started in the function's folder (its task root, as on Lambda) that
imports ``app``; the figure is the cumulative time of that import (interpreter start-up and
``site`` excluded). Beside them, in the same rounds, a bare ``import boto3`` in an empty folder:
the floor every handler shares, so each handler is also reported as a ratio to it (the targets are
ratios, which hold on a faster or busier machine). Bytecode caches are written on the first run
(PYTHONDONTWRITEBYTECODE is dropped for these interpreters) and used after, as they are for the
dependencies pip installs into a deployment package. The self time of everything ``app`` imports
is summed per top-level package, to show where the time goes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from jobstream_bench.stats import Summary

HANDLERS = ("api", "stream", "worker")
# The baseline: what any Python function that talks to AWS imports.
BASELINE = "boto3"


@dataclass(frozen=True, slots=True)
class ImportLine:
    module: str
    depth: int
    self_us: int
    cumulative_us: int


@dataclass(frozen=True, slots=True)
class ImportTime:
    handler: str
    # Milliseconds per run.
    runs_ms: list[float]
    # Self time of the median run summed by top-level package, heaviest first (ms).
    by_package: list[tuple[str, float]]

    @property
    def summary(self) -> Summary:
        return Summary.of(self.runs_ms)


@dataclass(frozen=True, slots=True)
class ImportTimes:
    handlers: list[ImportTime]
    # ``import boto3`` in the same rounds (ms per run).
    baseline_ms: list[float]

    @property
    def baseline(self) -> Summary:
        return Summary.of(self.baseline_ms)

    def ratio(self, handler: str) -> float:
        """Median handler import over median bare ``import boto3``."""
        found = next(i for i in self.handlers if i.handler == handler)
        return found.summary.median / self.baseline.median


def parse_importtime(stderr: str) -> list[ImportLine]:
    """The ``-X importtime`` lines, in the order printed (an import after everything it imports)."""
    lines: list[ImportLine] = []
    for raw in stderr.splitlines():
        if not raw.startswith("import time:") or "[us]" in raw:
            continue
        fields = raw[len("import time:") :].split("|")
        if len(fields) != 3:
            continue
        self_us, cumulative_us, name = fields
        # The name is one space, then two more per nesting level.
        indent = len(name) - len(name.lstrip()) - 1
        lines.append(ImportLine(name.strip(), indent // 2, int(self_us), int(cumulative_us)))
    return lines


def under(lines: list[ImportLine], module: str) -> tuple[ImportLine, list[ImportLine]]:
    """The top-level import of ``module`` and everything it imported (printed just before it)."""
    for index, line in enumerate(lines):
        if line.module == module and line.depth == 0:
            start = index
            while start > 0 and lines[start - 1].depth > 0:
                start -= 1
            return line, lines[start:index]
    raise ValueError(f"{module} was not imported at top level")


def by_package(lines: list[ImportLine], top: int = 6) -> list[tuple[str, float]]:
    totals: dict[str, int] = {}
    for line in lines:
        package = line.module.split(".")[0]
        totals[package] = totals.get(package, 0) + line.self_us
    ranked = sorted(totals.items(), key=lambda item: item[1], reverse=True)[:top]
    return [(package, us / 1000) for package, us in ranked]


def import_once(
    task_root: Path, python: str = sys.executable, *, module: str = "app"
) -> list[ImportLine]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOBSTREAM_")}
    # The task root first on sys.path, like Lambda's /var/task; nothing else added.
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    completed = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [python, "-X", "importtime", "-c", f"import {module}"],
        cwd=task_root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return parse_importtime(completed.stderr)


def measure(functions_dir: Path, *, runs: int = 9) -> ImportTimes:
    results: dict[str, list[tuple[float, list[ImportLine]]]] = {name: [] for name in HANDLERS}
    baseline: list[float] = []
    with tempfile.TemporaryDirectory(prefix="jobstream-bench-") as empty:
        # Warm the bytecode caches once, then alternate baseline and handlers run by run.
        for name in HANDLERS:
            import_once(functions_dir / name)
        for _ in range(runs):
            boto3, _ = under(import_once(Path(empty), module=BASELINE), BASELINE)
            baseline.append(boto3.cumulative_us / 1000)
            for name in HANDLERS:
                app, inside = under(import_once(functions_dir / name), "app")
                results[name].append((app.cumulative_us / 1000, inside))
    measured: list[ImportTime] = []
    for name, samples in results.items():
        ordered = sorted(samples, key=lambda sample: sample[0])
        _, median_lines = ordered[len(ordered) // 2]
        measured.append(ImportTime(name, [ms for ms, _ in samples], by_package(median_lines)))
    return ImportTimes(measured, baseline)

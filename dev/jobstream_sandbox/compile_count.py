"""Count the sources a cold import compiles, in a fresh interpreter.

A module imported from source is compiled by ``SourceLoader.source_to_code`` whenever no valid
bytecode is found next to it (none, made by another Python version, or a timestamp that does not
match); with valid bytecode that method is never called. So the figure is a count, not a time:
it does not move with the machine's load. The probe wraps that method in the child interpreter
before anything else is imported, imports the given modules and prints the compiled paths as
JSON.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PROBE = """
import importlib.machinery, json, sys
compiled = []
loader = importlib.machinery.SourceFileLoader
original = loader.source_to_code
def counting(self, data, path, *args, **kwargs):
    compiled.append(str(path))
    return original(self, data, path, *args, **kwargs)
loader.source_to_code = counting
sys.path[:0] = json.loads(sys.argv[1])
for name in json.loads(sys.argv[2]):
    __import__(name)
print(json.dumps(compiled))
"""


@dataclass(frozen=True, slots=True)
class CompileCount:
    compiled: list[str]

    def under(self, root: Path) -> list[str]:
        prefix = f"{root}/"
        return [path for path in self.compiled if path.startswith(prefix)]


def count_compiled(
    interpreter: Path,
    *,
    path: Sequence[Path],
    modules: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
) -> CompileCount:
    """Import ``modules`` with ``path`` in front of ``sys.path`` in a fresh ``interpreter``.

    The child runs with ``-S`` (no site-packages: only ``path`` and the standard library) and
    ``-B`` (it writes no bytecode, as on Lambda's read-only file system).
    """
    completed = subprocess.run(  # noqa: S603 - our probe, with an interpreter we were given
        [
            str(interpreter),
            "-S",
            "-B",
            "-c",
            PROBE,
            json.dumps([str(entry) for entry in path]),
            json.dumps(list(modules)),
        ],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"the import failed:\n{completed.stderr}")
    return CompileCount(json.loads(completed.stdout.strip().splitlines()[-1]))

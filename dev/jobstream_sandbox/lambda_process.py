"""Start a built function the way Lambda starts it, in a sandbox shaped like Lambda's.

- The function's build folder is mounted read-only at ``/var/task`` and the layer's at ``/opt``
  in a mount namespace of the process's own (``unshare -m``: nothing outside it sees them), so
  the paths are Lambda's and nothing can write bytecode next to a source.
- The process starts in a CPU cgroup (``cpu_share``) that the caller limits to the memory's share,
  from the start or once init is done (when the runtime first asks for an invocation).
- It starts as the managed runtime starts a function with ``AWS_LAMBDA_EXEC_WRAPPER``: the layer's
  exec wrapper with the managed runtime's command line (``<python> /var/runtime/bootstrap.py``),
  with the environment Lambda defines (AWS DG, "Defined runtime environment variables").
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from jobstream_sandbox.cpu_share import CpuGroup

TASK_ROOT = Path("/var/task")
OPT = Path("/opt")
EXEC_WRAPPER = OPT / "python" / "jobstream" / "lambda_runtime" / "exec-wrapper"

# Joins the cgroup, then mounts the build read-only in a private mount namespace and execs the
# wrapper there. $1 cgroup.procs, $2 the function folder, $3 the layer folder, then the command.
_ENTER = """
echo $$ > "$1" || exit 125
exec unshare --mount --propagation private /bin/sh -c '
  mount --bind "$1" /var/task && mount -o remount,bind,ro /var/task &&
  mount --bind "$2" /opt && mount -o remount,bind,ro /opt || exit 125
  cd /var/task && shift 2 && exec "$@"' enter "$2" "$3" "$4" "$5" "$6"
"""


def sandbox_unavailable() -> str | None:
    """Why functions cannot be started this way here, or None."""
    if os.geteuid() != 0:
        return "not root: the read-only /var/task and /opt need a mount namespace (root)"
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return "unshare or mount (util-linux) is not installed"
    return None


def start_function(
    *,
    function_dir: Path,
    layer_dir: Path,
    interpreter: Path,
    group: CpuGroup,
    env: Mapping[str, str],
    log: Path,
) -> subprocess.Popen[bytes]:
    """Start the function (``layer_dir`` holds ``python/``); its output goes to ``log``."""
    TASK_ROOT.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as sink:
        return subprocess.Popen(  # noqa: S603 - fixed script, our own paths
            [
                "/bin/sh",
                "-c",
                _ENTER,
                "sandbox",
                str(group.procs),
                str(function_dir),
                str(layer_dir),
                str(EXEC_WRAPPER),
                str(interpreter),
                "/var/runtime/bootstrap.py",
            ],
            env={
                "LAMBDA_TASK_ROOT": str(TASK_ROOT),
                "LAMBDA_RUNTIME_DIR": "/var/runtime",
                "LANG": "en_US.UTF-8",
                "TZ": ":UTC",
                **env,
            },
            stdout=sink,
            stderr=subprocess.STDOUT,
        )

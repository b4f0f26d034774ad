"""Lambda's CPU share for a process: a cgroup CPU quota (root only).

Lambda gives a function CPU in proportion to its memory, one vCPU at 1,769 MB (AWS DG,
"Configuring Lambda function memory"). A CFS quota of ``share x period`` per period gives a process
exactly that share of one core, whatever else the machine runs (it can still get less when the
machine is busy: the bench reports the load). cgroup v1 (``cpu`` controller,
``cpu.cfs_quota_us``) and v2 (``cpu.max``) are both handled; where neither can be written, the
caller gets the reason and says so.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
PERIOD_US = 100_000
# One vCPU at 1,769 MB of memory.
FULL_VCPU_MB = 1769


def share_of(memory_mb: int) -> float:
    return min(1.0, memory_mb / FULL_VCPU_MB)


class CpuShareUnavailable(Exception):
    """No writable CPU cgroup here (not root, or no cpu controller); the message says which."""


@dataclass
class CpuGroup:
    """One cgroup whose processes share ``quota`` of a core (``None``: unlimited)."""

    path: Path
    version: int

    @classmethod
    def create(cls, root: Path = CGROUP_ROOT) -> CpuGroup:
        if os.geteuid() != 0:
            raise CpuShareUnavailable("not root: a CPU cgroup needs root")
        name = f"jobstream-lab-{uuid.uuid4().hex[:8]}"
        v1 = root / "cpu"
        if (v1 / "cpu.cfs_quota_us").is_file():
            group = cls(v1 / name, 1)
        elif "cpu" in _read(root / "cgroup.subtree_control").split():
            group = cls(root / name, 2)
        else:
            raise CpuShareUnavailable(
                f"no cpu controller under {root} (cgroup v1 {v1}/cpu.cfs_quota_us is missing, "
                f"and cgroup v2 does not delegate 'cpu' in {root}/cgroup.subtree_control)"
            )
        try:
            group.path.mkdir()
            group.limit(None)
        except OSError as exc:
            raise CpuShareUnavailable(f"cannot create {group.path}: {exc}") from exc
        return group

    @property
    def procs(self) -> Path:
        """Write a pid here to move that process (and its future children) into the group."""
        return self.path / "cgroup.procs"

    def limit(self, share: float | None) -> None:
        quota = -1 if share is None else max(1000, round(share * PERIOD_US))
        if self.version == 1:
            (self.path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (self.path / "cpu.cfs_quota_us").write_text(str(quota))
        else:
            (self.path / "cpu.max").write_text(f"{'max' if quota < 0 else quota} {PERIOD_US}")

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            self.path.rmdir()


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""

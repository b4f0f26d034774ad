"""SnapStart runtime hooks: code that runs before Lambda snapshots an initialised environment and
after it restores one.

With SnapStart (``SnapStart: ApplyOn: PublishedVersions``) Lambda runs init once, when a version
is published, snapshots the process, and starts new environments by restoring that snapshot. What
init built is then shared by every restored environment: anything that must be unique per
environment (random state, connections, credentials, a key that may have rotated meanwhile) has
to be made again after restore (AWS DG, "Handling uniqueness with Lambda SnapStart").

The managed Python runtime's client (``awslambdaric``, ``bootstrap.on_init_complete``) runs the
hooks registered with AWS's ``snapshot_restore_py``, which that runtime ships; our exec-wrapper
loop replaces that client, so it runs them itself (``loop.py``). The register functions here hand
a hook to ``snapshot_restore_py`` whenever it is importable, so one registration serves both: the
API and worker functions run under the managed runtime, the stream function under our loop. Where
it is not importable (tests, a runtime without it) they keep the hook here, and our loop runs
both lists. Order as ``awslambdaric``'s: before-snapshot hooks in the reverse order of
registration, after-restore hooks in the order of registration.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from types import ModuleType
from typing import Any

Hook = tuple[Callable[..., object], tuple[Any, ...], dict[str, Any]]

# Lambda sets this to "snap-start" when it initialises a version to snapshot it (AWS DG,
# "Defined runtime environment variables"; awslambdaric: INIT_TYPE_SNAP_START).
INITIALIZATION_TYPE = "AWS_LAMBDA_INITIALIZATION_TYPE"
SNAP_START = "snap-start"

_before_snapshot: list[Hook] = []
_after_restore: list[Hook] = []


def register_before_snapshot(
    func: Callable[..., object], *args: Any, **kwargs: Any
) -> Callable[..., object]:
    """Run ``func(*args, **kwargs)`` just before the snapshot; usable as a decorator."""
    aws = _aws_registry()
    if aws is None:
        _before_snapshot.append((func, args, kwargs))
    else:
        aws.register_before_snapshot(func, *args, **kwargs)
    return func


def register_after_restore(
    func: Callable[..., object], *args: Any, **kwargs: Any
) -> Callable[..., object]:
    """Run ``func(*args, **kwargs)`` in every restored environment, before its first invocation;
    usable as a decorator."""
    aws = _aws_registry()
    if aws is None:
        _after_restore.append((func, args, kwargs))
    else:
        aws.register_after_restore(func, *args, **kwargs)
    return func


def _reseed_random() -> None:
    # Every restored environment would otherwise draw the same sequence from `random` (its state is
    # in the snapshot). secrets, uuid4 and os.urandom read the kernel and need nothing.
    random.seed()


def _aws_registry() -> ModuleType | None:
    try:
        return importlib.import_module("snapshot_restore_py")
    except ImportError:
        return None


def _aws_hooks() -> tuple[list[Hook], list[Hook]]:
    aws = _aws_registry()
    if aws is None:
        return [], []
    return list(aws.get_before_snapshot()), list(aws.get_after_restore())


def run_before_snapshot() -> None:
    """Run every before-snapshot hook, last registered first; the first that raises stops them."""
    theirs, _ = _aws_hooks()
    for func, args, kwargs in reversed([*_before_snapshot, *theirs]):
        func(*args, **kwargs)


def run_after_restore() -> None:
    """Run every after-restore hook, first registered first; the first that raises stops them."""
    _, theirs = _aws_hooks()
    for func, args, kwargs in [*_after_restore, *theirs]:
        func(*args, **kwargs)


# First of the after-restore hooks: before any other draws from `random`.
register_after_restore(_reseed_random)

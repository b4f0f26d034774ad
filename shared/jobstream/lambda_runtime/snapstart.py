"""SnapStart runtime hooks: code that runs before Lambda snapshots an initialised environment and
after it restores one.

With SnapStart (``SnapStart: ApplyOn: PublishedVersions``) Lambda runs init once, when a version
is published, snapshots the process, and starts new environments by restoring that snapshot. What
init built is then shared by every restored environment: anything that must be unique per
environment (random state, connections, credentials, a key that may have rotated meanwhile) has
to be made again after restore (AWS DG, "Handling uniqueness with Lambda SnapStart").

The managed Python runtime's client (``awslambdaric``, ``bootstrap.on_init_complete``) runs the
hooks registered with AWS's ``snapshot_restore_py``; our exec-wrapper loop replaces that client,
so it runs them itself (``loop.py``): the hooks registered here and, when that library is
importable (the managed runtime ships it), the ones registered with it, so code written for the
managed runtime keeps working. Order as ``awslambdaric``'s: before-snapshot hooks in the reverse
order of registration, after-restore hooks in the order of registration.
"""

from __future__ import annotations

import random
from collections.abc import Callable
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
    _before_snapshot.append((func, args, kwargs))
    return func


def register_after_restore(
    func: Callable[..., object], *args: Any, **kwargs: Any
) -> Callable[..., object]:
    """Run ``func(*args, **kwargs)`` in every restored environment, before its first invocation;
    usable as a decorator."""
    _after_restore.append((func, args, kwargs))
    return func


def _reseed_random() -> None:
    # Every restored environment would otherwise draw the same sequence from `random` (its state is
    # in the snapshot). secrets, uuid4 and os.urandom read the kernel and need nothing.
    random.seed()


register_after_restore(_reseed_random)


def _aws_hooks() -> tuple[list[Hook], list[Hook]]:
    try:
        from snapshot_restore_py import (  # type: ignore[import-not-found,unused-ignore]
            get_after_restore,
            get_before_snapshot,
        )
    except ImportError:
        return [], []
    return list(get_before_snapshot()), list(get_after_restore())


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

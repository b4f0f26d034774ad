"""What a handler builds during Lambda's init phase, and again after a SnapStart restore.

One wiring pattern for every handler: what it keeps for the container's life is a ``Lazy`` (built
on first use), and the handler module names the ones every request needs in one call,
``build_during_init(...)``. On Lambda they are then built while the module is imported: init runs
once per environment, before any request waits, is what SnapStart snapshots, and (widely reported,
not documented) runs with more CPU than an invocation. Everywhere else (tests, the local stack,
``make invoke``) the call does nothing and each value is built on first use, after the caller has
chosen its endpoints.

A value built during init would be shared by every environment SnapStart restores from the same
snapshot: boto3 clients with their connections and credentials, a signing key that may have been
rotated meanwhile. So each is dropped and built again after every restore (an after-restore hook,
which runs before the restored environment's first invocation).

A build that fails during init (a throttled Secrets Manager, say) is logged and left to the first
request, as before: the environment still starts.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from jobstream.lambda_runtime.snapstart import register_after_restore
from jobstream.lazy import Lazy

logger = logging.getLogger(__name__)

# Set by Lambda for every runtime (AWS DG, "Defined runtime environment variables"), managed or
# ours: the process is a Lambda environment's, between init and its invocations.
RUNTIME_API = "AWS_LAMBDA_RUNTIME_API"


def on_lambda(env: Mapping[str, str] = os.environ) -> bool:
    return bool(env.get(RUNTIME_API))


def build_during_init(*values: Lazy[[], Any], env: Mapping[str, str] = os.environ) -> bool:
    """On Lambda, build ``values`` now, in order, and again after each SnapStart restore.
    Returns whether they were built (False off Lambda)."""
    if not on_lambda(env):
        return False
    _build(values)
    register_after_restore(_rebuild, values)
    return True


def _rebuild(values: tuple[Lazy[[], Any], ...]) -> None:
    for value in values:
        value.reset()
    _build(values)


def _build(values: tuple[Lazy[[], Any], ...]) -> None:
    for value in values:
        try:
            value()
        except Exception:
            logger.warning(
                "built on first use instead: building it during init failed", exc_info=True
            )
            return

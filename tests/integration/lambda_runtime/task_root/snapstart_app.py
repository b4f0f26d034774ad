"""A function with SnapStart hooks (``_HANDLER=snapstart_app.handler``).

Each hook appends its name to the file named by ``HOOK_LOG``, so the test can tell what ran when
against what the recording Runtime API saw. ``FAIL_HOOK`` names a hook that raises instead.
Init seeds ``random`` with a constant, as any process's state is frozen into the snapshot: the
handler reports the next draw, which must not be the seeded one once the loop has reseeded.
"""

from __future__ import annotations

import os
import random
from typing import Any

import snapshot_restore_py

from jobstream.lambda_runtime.snapstart import register_after_restore, register_before_snapshot

SEED = 1234
random.seed(SEED)


class HookFailed(Exception):
    pass


def _hook(name: str) -> None:
    with open(os.environ["HOOK_LOG"], "a", encoding="utf-8") as log:
        log.write(name + "\n")
    if os.environ.get("FAIL_HOOK") == name:
        raise HookFailed(f"{name} failed on purpose")


register_before_snapshot(_hook, "before-1")
register_before_snapshot(_hook, "before-2")
snapshot_restore_py.register_before_snapshot(_hook, "before-aws")
register_after_restore(_hook, "after-1")
register_after_restore(_hook, "after-2")
snapshot_restore_py.register_after_restore(_hook, "after-aws")


def handler(event: Any, context: Any) -> dict[str, Any]:
    return {"draw": random.random(), "seeded_draw": random.Random(SEED).random()}

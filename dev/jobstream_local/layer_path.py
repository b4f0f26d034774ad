"""The layer's root on the import path, as on Lambda.

On Lambda the layer built from ``shared/`` is unpacked at /opt/python, which is on ``sys.path``:
a module saved as ``shared/mymodule.py`` imports as ``mymodule``, which is what the README's
``JOBSTREAM_JOB_REGISTRY=mymodule:registry`` relies on. The dev install only maps the
``jobstream`` package, so the local entry points (``make run``, ``make invoke``) put the checkout's
``shared/`` on the path themselves, first, as Lambda puts the layer before its runtime's own.
"""

from __future__ import annotations

import sys
from pathlib import Path

LAYER_ROOT = "shared"


def put_layer_on_path(repo: Path) -> Path:
    """Make ``<repo>/shared`` importable (once); returns it."""
    root = (repo / LAYER_ROOT).resolve()
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return root

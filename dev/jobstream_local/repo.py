"""Where the repository is: the dev tools read template.yaml, web/, events/ and functions/ from it.

The tools are installed packages, not files at a known place in a checkout, so they never climb
from their own ``__file__``. The root is, in order: the path given (a ``--repo`` flag), the
``JOBSTREAM_REPO`` environment variable, or the nearest folder at or above the current directory
that holds ``template.yaml`` (so ``make run`` from anywhere inside the checkout just works).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

__all__ = ["MARKER", "REPO_ENV", "RepoNotFound", "find_repo_root"]

REPO_ENV = "JOBSTREAM_REPO"
MARKER = "template.yaml"


class RepoNotFound(FileNotFoundError):
    """No jobstream repository where we looked; the message says where and what to do."""


def find_repo_root(
    explicit: str | Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    start: Path | None = None,
) -> Path:
    """The repository root: ``explicit``, else ``$JOBSTREAM_REPO``, else walk up from ``start``
    (default: the current directory) to the first folder holding template.yaml."""
    env = os.environ if environ is None else environ
    given = explicit if explicit is not None else env.get(REPO_ENV) or None
    if given is not None:
        root = Path(given).expanduser().resolve()
        if not (root / MARKER).is_file():
            source = "--repo" if explicit is not None else REPO_ENV
            raise RepoNotFound(f"{source} is {root}, which holds no {MARKER}")
        return root
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / MARKER).is_file():
            return folder
    raise RepoNotFound(
        f"no {MARKER} in {here} or any folder above it: run this from inside the jobstream "
        f"repository, pass --repo PATH or set {REPO_ENV}=PATH"
    )

"""The `sam build` output as Lambda unpacks it: a copy whose files carry the zip's timestamps.

`sam build`/`sam deploy` zip each function and layer with every entry dated 1980-01-01 00:00
(aws-lambda-builders issue 924: reproducible zips), and Lambda unpacks them as they are. What
that does to bytecode is the point: a timestamp-validated ``.pyc`` records its source's mtime,
which the unpacked source no longer has, so it is ignored and the source compiled; a hash-based
one (PEP 552) carries no timestamp and is used.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

# The earliest time a zip entry can hold (DOS date), which SAM's zips give every file.
ZIP_EPOCH = 315532800.0  # 1980-01-01T00:00:00Z

# Where the managed Python runtime looks for a layer's code (AWS DG, "Packaging your layer
# content"), relative to /opt.
LAYER_PYTHON = "python"


def copy_as_unzipped(source: Path, destination: Path) -> Path:
    """Copy ``source`` to ``destination`` (which must not exist) and date every entry 1980."""
    shutil.copytree(source, destination, symlinks=True)
    for folder, dirs, files in os.walk(destination, topdown=False):
        for name in [*files, *dirs]:
            os.utime(Path(folder, name), (ZIP_EPOCH, ZIP_EPOCH), follow_symlinks=False)
    os.utime(destination, (ZIP_EPOCH, ZIP_EPOCH))
    return destination


def files_under(root: Path) -> dict[str, float]:
    """Every file under ``root`` with its mtime: to show that nothing was written."""
    return {str(path.relative_to(root)): path.lstat().st_mtime for path in root.rglob("*")}

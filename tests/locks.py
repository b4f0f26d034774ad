"""Reading the project's locks (pip-compile output) and the distributions a folder holds.

Shared by the unit test that keeps pyproject.toml, the locks and the dev venv in agreement and by
the packaging test that holds `sam build`'s output against the locks.
"""

from __future__ import annotations

import email.parser
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

from .conftest import REPO_ROOT

LAYER_LOCK = REPO_ROOT / "shared" / "requirements.txt"
API_LOCK = REPO_ROOT / "functions" / "api" / "requirements.txt"
API_INPUT = REPO_ROOT / "functions" / "api" / "requirements.in"

Pins = dict[NormalizedName, str]


def read_pins(path: Path) -> Pins:
    """``name==version`` per line (comments and -c lines aside); anything else is an error."""
    pins: Pins = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-c "):
            continue
        requirement = Requirement(line)
        specifiers = list(requirement.specifier)
        if len(specifiers) != 1 or specifiers[0].operator != "==" or requirement.marker:
            raise AssertionError(f"{path.name}: not an exact, unconditional pin: {raw!r}")
        name = canonicalize_name(requirement.name)
        if name in pins:
            raise AssertionError(f"{path.name}: {name} is pinned twice")
        pins[name] = specifiers[0].version
    return pins


def pyproject() -> dict[str, object]:
    with (REPO_ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


def exact_pins(requirements: list[str], where: str) -> Pins:
    pins: Pins = {}
    for text in requirements:
        requirement = Requirement(text)
        specifiers = list(requirement.specifier)
        assert len(specifiers) == 1, f"{where}: {text!r} is not one exact pin"
        assert specifiers[0].operator == "==", f"{where}: {text!r} is not an exact pin"
        pins[canonicalize_name(requirement.name)] = specifiers[0].version
    return pins


def installed_in(folder: Path) -> Pins:
    """The distributions installed in ``folder`` (a function's build dir, a layer's python dir),
    read from their ``*.dist-info/METADATA`` as pip wrote them."""
    found: Pins = {}
    for dist_info in sorted(folder.glob("*.dist-info")):
        metadata = email.parser.Parser().parsestr(
            (dist_info / "METADATA").read_text(encoding="utf-8"), headersonly=True
        )
        name = canonicalize_name(metadata["Name"])
        assert name not in found, f"{name} is installed twice in {folder}"
        found[name] = metadata["Version"]
    return found


def tree_size(folder: Path) -> int:
    """Bytes of every regular file under ``folder``: the unpacked size Lambda's limit counts."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())

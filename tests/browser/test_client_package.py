"""The npm package in web/ as Node sees it: its exports resolve, its terminal event types are the
server's, and `npm pack` ships the modules and generated types but not the demo or the tests.

Node (20+) and web/node_modules (`make web`, run by `make test`) are required, as for the React
page tests.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from jobstream.store.models import TERMINAL_EVENT_TYPES
from tests.browser.fake_stack import WEB_DIR

# Imported by the package's own name from inside web/ (Node resolves a package's self-reference
# through its "exports"), so a wrong exports map fails here as it would for an installed app.
READ_EXPORTS = """
const core = await import("jobstream-client");
const react = await import("jobstream-client/react");
console.log(JSON.stringify({
  terminal: core.TERMINAL_EVENTS,
  frozen: Object.isFrozen(core.TERMINAL_EVENTS),
  core: Object.keys(core).sort(),
  react: Object.keys(react).sort(),
}));
"""


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("these tests need Node.js 20+ on PATH (make test runs npm ci with it)")
    if not (WEB_DIR / "node_modules" / "react").is_dir():
        pytest.fail("web/node_modules is missing: run `make web` (npm ci from the lockfile)")
    return node


def _exports() -> dict[str, Any]:
    completed = subprocess.run(
        [_node(), "--input-type=module", "-e", READ_EXPORTS],
        cwd=WEB_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    exports: dict[str, Any] = json.loads(completed.stdout)
    return exports


def test_terminal_event_types_are_the_servers() -> None:
    exports = _exports()
    assert sorted(exports["terminal"]) == sorted(TERMINAL_EVENT_TYPES)
    assert len(exports["terminal"]) == len(set(exports["terminal"]))
    assert exports["frozen"] is True


def test_the_exports_map_resolves_the_core_and_the_react_entry() -> None:
    exports = _exports()
    assert {"subscribe", "events", "createParser", "createJobStream", "reduceView"} <= set(
        exports["core"]
    )
    # The core entry is framework-free: the hook and the components (issue 24) live only behind
    # "jobstream-client/react".
    assert "useJobStream" not in exports["core"]
    assert "JobProgress" not in exports["core"]
    assert exports["react"] == ["JobProgress", "JobStatus", "jobStatusText", "useJobStream"]


def test_npm_pack_ships_modules_and_generated_types_only() -> None:
    npm = shutil.which("npm")
    assert npm is not None, "npm is needed (it comes with Node.js)"
    _node()
    completed = subprocess.run(
        [npm, "pack", "--dry-run", "--json", "--ignore-scripts=false"],
        cwd=WEB_DIR,
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    # prepack (generating the .d.ts files) prints to stdout before the JSON.
    listing = json.loads(completed.stdout[completed.stdout.index("[") :])
    files = {entry["path"] for entry in listing[0]["files"]}
    package = json.loads((WEB_DIR / "package.json").read_text())

    assert {"jobstream-client.js", "src/subscribe.js", "src/react.js", "package.json"} <= files
    # Every path the exports map names is in the tarball, types included.
    for entry in package["exports"].values():
        targets = entry.values() if isinstance(entry, dict) else [entry]
        for target in targets:
            assert target.removeprefix("./") in files, target
    assert not [name for name in files if name.startswith(("test-app/", "node_modules/"))]
    assert not {"demo.js", "index.html", "demo.css", "package-lock.json"} & files
    assert "dependencies" not in package, "the package must have no runtime dependencies"
    assert set(package["peerDependencies"]) == {"react"}

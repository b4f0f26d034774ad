"""examples/nextjs installs from its own lockfile, every version pinned, and our package from the
tarball `make example-nextjs` packs from web/ (not a `file:` link to the folder, which can bring a
second React). The lockfile records no integrity for that tarball: npm ci would otherwise install
the copy in its cache under the recorded hash, an older package, whenever web/ changed."""

from __future__ import annotations

import json
import re

from tests.conftest import REPO_ROOT

EXAMPLE = REPO_ROOT / "examples" / "nextjs"
TARBALL = "file:vendor/jobstream-client.tgz"


def test_every_dependency_is_pinned_and_ours_comes_from_the_packed_tarball() -> None:
    manifest = json.loads((EXAMPLE / "package.json").read_text())
    declared = {**manifest["dependencies"], **manifest["devDependencies"]}
    assert declared.pop("jobstream-client") == TARBALL
    loose = {
        name: spec for name, spec in declared.items() if not re.fullmatch(r"\d+\.\d+\.\d+", spec)
    }
    assert loose == {}
    # One React: the app's, which our package takes as a peer.
    web = json.loads((REPO_ROOT / "web" / "package.json").read_text())
    assert "react" not in web.get("dependencies", {})
    assert "react" in web["peerDependencies"]


def test_the_lockfile_takes_the_tarball_as_it_is_and_everything_else_by_hash() -> None:
    lock = json.loads((EXAMPLE / "package-lock.json").read_text())
    packages = lock["packages"]
    ours = packages["node_modules/jobstream-client"]
    assert ours["resolved"] == TARBALL
    assert "integrity" not in ours
    others = {
        path: entry
        for path, entry in packages.items()
        if path and path != "node_modules/jobstream-client" and not entry.get("link")
    }
    assert others
    assert [path for path, entry in others.items() if "integrity" not in entry] == []
    assert len([p for p in packages if p.endswith("node_modules/react")]) == 1

"""Every package of the layer has a face: a curated ``__all__`` whose names all exist, and no test
double in it (they live in dev tooling, jobstream_sandbox)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import jobstream

PACKAGES = ["jobstream"] + [
    info.name
    for info in pkgutil.walk_packages(jobstream.__path__, prefix="jobstream.")
    if info.ispkg
]


@pytest.mark.parametrize("name", PACKAGES)
def test_each_package_names_its_face(name: str) -> None:
    package = importlib.import_module(name)
    face = getattr(package, "__all__", None)
    assert face, f"{name} has no __all__"
    assert len(set(face)) == len(face)
    assert [n for n in face if not hasattr(package, n)] == []


def test_no_test_double_in_any_face() -> None:
    faces = {n for name in PACKAGES for n in importlib.import_module(name).__all__}
    assert "RecordingInvoker" not in faces
    assert not hasattr(importlib.import_module("jobstream.jobs.invokers"), "RecordingInvoker")

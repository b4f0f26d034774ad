"""Fixtures of the integration tier: one `sam build` shared by every test of the built artifact."""

from __future__ import annotations

from pathlib import Path

import pytest

from .sam_build import build


@pytest.fixture(scope="session")
def sam_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `sam build` output folder (one folder per function and SharedLayer/python)."""
    return build(tmp_path_factory.mktemp("sam-build"))

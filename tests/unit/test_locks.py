"""pyproject.toml, the two locks and the dev venv agree: the tests run exactly what ships.

The locks (shared/requirements.txt for the layer, functions/api/requirements.txt for the API
function) are what `sam build` installs; tests/integration/test_packaging.py holds the build output
against them. Here: every pyproject pin is in its lock at the same version, each lock is exactly the
closure of its inputs (nothing missing, nothing extra), and the dev venv has every locked version.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

from ..locks import API_INPUT, API_LOCK, LAYER_LOCK, Pins, exact_pins, pyproject, read_pins


def _project() -> dict[str, object]:
    project = pyproject()["project"]
    assert isinstance(project, dict)
    return project


def _runtime_pins() -> Pins:
    return exact_pins(_project()["dependencies"], "pyproject.toml [project] dependencies")


def _api_pins() -> Pins:
    extras = _project()["optional-dependencies"]
    return exact_pins(extras["api"], 'pyproject.toml optional-dependencies "api"')


def _closure(roots: Pins) -> set[NormalizedName]:
    """Every distribution the roots need, per the installed metadata (markers evaluated here)."""
    seen: set[NormalizedName] = set()
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        for text in metadata.requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(canonicalize_name(requirement.name))
    return seen


def test_pyproject_runtime_pins_are_the_layer_locks() -> None:
    locked = read_pins(LAYER_LOCK)
    assert {name: locked.get(name) for name in _runtime_pins()} == _runtime_pins()


def test_the_api_input_pins_are_pyprojects_api_extra() -> None:
    assert read_pins(API_INPUT) == _api_pins()


def test_boto3_and_botocore_ship_as_a_matched_pair() -> None:
    locked = read_pins(LAYER_LOCK)
    assert locked[canonicalize_name("boto3")] == locked[canonicalize_name("botocore")]


def test_no_tracing_sdk_ships_in_the_layer_or_the_api_function() -> None:
    # The X-Ray SDKs are in maintenance mode, end of support 2027-02-25; tracing is Lambda's own
    # segments or the ADOT layer (AdotLayerArn), never a library of ours. The built layer and API
    # function hold exactly these locks (tests/integration/test_packaging.py).
    shipped = set(read_pins(LAYER_LOCK)) | set(read_pins(API_LOCK))
    # The OpenTelemetry SDK and Lambda instrumentation the trace tests run are dev dependencies.
    tracing = ("aws-xray", "opentelemetry-sdk", "opentelemetry-instrumentation")
    assert {name for name in shipped if name.startswith(tracing)} == set()


def test_the_layer_lock_is_exactly_the_closure_of_the_runtime_dependencies() -> None:
    assert set(read_pins(LAYER_LOCK)) == _closure(_runtime_pins())


def test_the_api_lock_is_exactly_the_closure_of_fastapi_and_mangum() -> None:
    assert set(read_pins(API_LOCK)) == _closure(_api_pins())


def test_what_both_locks_pin_they_pin_alike() -> None:
    layer, api = read_pins(LAYER_LOCK), read_pins(API_LOCK)
    assert {name: api[name] for name in layer.keys() & api.keys()} == {
        name: layer[name] for name in layer.keys() & api.keys()
    }


@pytest.mark.parametrize("lock", [LAYER_LOCK, API_LOCK], ids=lambda path: path.parent.name)
def test_the_dev_venv_runs_every_locked_version(lock: Path) -> None:
    pins = read_pins(lock)
    installed = {name: metadata.version(name) for name in pins}
    # The dev venv is installed constrained to the locks: `make .venv/.installed` after `make lock`.
    assert installed == pins

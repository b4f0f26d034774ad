"""Job types: registration, params validation, loading the registry named in Settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel, Field

from jobstream.examples.demo import registry as demo_registry
from jobstream.jobs import (
    InvalidParams,
    JobContext,
    JobRegistry,
    RegistryNotFound,
    UnknownJobType,
    load_registry,
)
from jobstream.store import JobMode


class Params(BaseModel):
    n: int = Field(ge=1, le=10)


def test_a_job_type_is_a_decorated_function_with_a_params_model() -> None:
    registry = JobRegistry()

    @registry.job("count", params=Params, phases={"a": 1, "b": 2})
    def count(ctx: JobContext[Params]) -> None:
        """Counts."""
        ctx.complete(ctx.params.n)

    job_type = registry.get("count")
    assert job_type.function is count
    assert job_type.params_model is Params
    assert job_type.mode is JobMode.BACKGROUND
    assert job_type.phases == (("a", 1.0), ("b", 2.0))
    assert job_type.description == "Counts."
    assert not job_type.is_generator
    assert "count" in registry
    assert [t.name for t in registry] == ["count"]


def test_a_name_can_be_registered_once() -> None:
    registry = JobRegistry()
    registry.job("x", params=Params)(lambda ctx: None)
    with pytest.raises(ValueError, match="already registered"):
        registry.job("x", params=Params)(lambda ctx: None)


@pytest.mark.parametrize(
    "phases", [{"a": 0}, [("a", 1), ("a", 2)], [("", 1)]], ids=["zero", "dup", "empty"]
)
def test_phase_plans_are_checked(phases: object) -> None:
    with pytest.raises(ValueError, match="phase"):
        JobRegistry().job("x", params=Params, phases=phases)(lambda ctx: None)  # type: ignore[arg-type]


def test_unknown_type_names_the_known_ones() -> None:
    with pytest.raises(UnknownJobType) as caught:
        demo_registry().get("nope")
    assert caught.value.type == "nope"
    assert "demo.count" in caught.value.known


def test_invalid_params_carry_json_safe_pydantic_errors() -> None:
    job_type = demo_registry().get("demo.count")
    with pytest.raises(InvalidParams) as caught:
        job_type.parse_params({"n": 10**9, "interval_ms": "soon", "extra": 1})
    errors = caught.value.errors
    json.dumps(errors)  # serialisable as is, for the API's 422 body
    assert {tuple(e["loc"]) for e in errors} == {("n",), ("interval_ms",), ("extra",)}


def test_model_validators_report_like_field_errors() -> None:
    with pytest.raises(InvalidParams) as caught:
        demo_registry().get("demo.fail").parse_params({"steps": 3, "fail_at": 4})
    assert "fail_at must not exceed steps" in caught.value.errors[0]["msg"]


@pytest.mark.parametrize(
    ("job_type", "params"),
    [
        ("demo.count", {"n": 10_001}),
        ("demo.count", {"n": 5, "interval_ms": 60_000}),
        ("demo.phases", {"units_per_phase": 10**6}),
        ("demo.logs", {"lines": 10**6}),
        ("demo.batch", {"items": 10**6}),
        ("demo.fail", {"steps": 10**6}),
        ("demo.typewriter", {"text": "x" * 10**5}),
    ],
)
def test_demo_params_are_bounded(job_type: str, params: dict[str, object]) -> None:
    with pytest.raises(InvalidParams):
        demo_registry().get(job_type).parse_params(params)


def test_demo_registry_has_one_type_per_reporting_style() -> None:
    registry = demo_registry()
    assert registry.names() == [
        "demo.batch",
        "demo.count",
        "demo.fail",
        "demo.logs",
        "demo.phases",
        "demo.typewriter",
    ]
    assert registry.get("demo.typewriter").mode is JobMode.INLINE
    # Each call gives a registry of its own: extending one leaves the others alone.
    registry.job("mine", params=Params)(lambda ctx: None)
    assert "mine" not in demo_registry()


def test_load_registry_from_a_settings_spec() -> None:
    assert load_registry("jobstream.examples.demo:registry").names() == demo_registry().names()
    assert "demo.count" in load_registry("jobstream.examples.demo:DEMO_JOBS")
    with pytest.raises(ValueError, match="module:attribute"):
        load_registry("jobstream.examples.demo")
    with pytest.raises(TypeError, match="not a JobRegistry"):
        load_registry("jobstream.examples.demo:CountParams")


def test_a_registry_that_cannot_be_found_is_one_clear_error() -> None:
    with pytest.raises(RegistryNotFound) as missing:
        load_registry("mymodule_that_is_nowhere:registry")
    message = str(missing.value)
    assert "no module named 'mymodule_that_is_nowhere'" in message
    assert "shared/mymodule_that_is_nowhere.py" in message
    assert "JOBSTREAM_JOB_REGISTRY" in message
    with pytest.raises(RegistryNotFound, match="has no attribute 'nothing'"):
        load_registry("jobstream.examples.demo:nothing")
    # A package above the module that is missing is the same mistake.
    with pytest.raises(RegistryNotFound, match="no module named 'nowhere_pkg'"):
        load_registry("nowhere_pkg.jobs:registry")


def test_a_module_the_registry_imports_and_lacks_keeps_its_own_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "registry_with_a_bad_import.py").write_text("import not_installed_anywhere\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match="not_installed_anywhere"):
        load_registry("registry_with_a_bad_import:registry")

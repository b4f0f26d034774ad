"""Job types: a name, a pydantic model for the params and a function; the registry that finds them.

Writing a job type::

    registry = JobRegistry()

    class Params(BaseModel):
        n: int = Field(ge=1, le=1000)

    @registry.job("count", params=Params)
    def count(ctx: JobContext[Params]) -> Iterator[None]:
        for i in range(ctx.cursor or 0, ctx.params.n):
            ctx.progress(i + 1, ctx.params.n)
            ctx.advance(i + 1)
            yield                      # a step boundary: checkpoint, cancel, deadline
        ctx.complete({"counted": ctx.params.n})
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeAlias, TypeVar

from pydantic import BaseModel, ValidationError

from jobstream.errors import InvalidParams, UnknownJobType
from jobstream.jobs.context import JobContext
from jobstream.jobs.errors import RegistryNotFound
from jobstream.store.models import JobMode, JSONObject

P = TypeVar("P", bound=BaseModel)

# A step function (called once per step) or a generator function (one step per ``yield``).
JobFunction: TypeAlias = Callable[[JobContext[P]], Iterator[object] | None]

PhasePlan: TypeAlias = Mapping[str, float] | Sequence[tuple[str, float]]


@dataclass(frozen=True, slots=True)
class JobType(Generic[P]):
    name: str
    params_model: type[P]
    function: JobFunction[P]
    mode: JobMode = JobMode.BACKGROUND
    # Declared phases with their weights, in order: progress percent is weighted over them.
    phases: tuple[tuple[str, float], ...] = ()
    description: str = ""

    @property
    def is_generator(self) -> bool:
        return inspect.isgeneratorfunction(self.function)

    def parse_params(self, params: JSONObject) -> P:
        """Validate raw params; InvalidParams carries pydantic's errors in a JSON-safe form."""
        try:
            return self.params_model.model_validate(params)
        except ValidationError as exc:
            # exc.json() drops exception objects that errors() may hold in "ctx".
            errors: list[dict[str, Any]] = json.loads(exc.json(include_url=False))
            raise InvalidParams(self.name, errors) from None


def _normalise_phases(phases: PhasePlan | None) -> tuple[tuple[str, float], ...]:
    pairs = list(phases.items()) if isinstance(phases, Mapping) else list(phases or ())
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        raise ValueError(f"phase names must be unique: {names}")
    for name, weight in pairs:
        if not name or weight <= 0:
            raise ValueError(f"phase {name!r} needs a name and a positive weight, got {weight}")
    return tuple((name, float(weight)) for name, weight in pairs)


class JobRegistry:
    def __init__(self, types: Iterable[JobType[Any]] = ()) -> None:
        self._types: dict[str, JobType[Any]] = {}
        for job_type in types:
            self.register(job_type)

    def register(self, job_type: JobType[Any]) -> None:
        if job_type.name in self._types:
            raise ValueError(f"job type {job_type.name!r} is already registered")
        self._types[job_type.name] = job_type

    def job(
        self,
        name: str,
        *,
        params: type[P],
        mode: JobMode = JobMode.BACKGROUND,
        phases: PhasePlan | None = None,
        description: str | None = None,
    ) -> Callable[[JobFunction[P]], JobFunction[P]]:
        """Decorator: registers the function as job type ``name`` and returns it unchanged."""

        def decorate(function: JobFunction[P]) -> JobFunction[P]:
            self.register(
                JobType(
                    name=name,
                    params_model=params,
                    function=function,
                    mode=mode,
                    phases=_normalise_phases(phases),
                    description=description or inspect.getdoc(function) or "",
                )
            )
            return function

        return decorate

    def get(self, name: str) -> JobType[Any]:
        try:
            return self._types[name]
        except KeyError:
            raise UnknownJobType(name, self.names()) from None

    def names(self) -> list[str]:
        return sorted(self._types)

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def __iter__(self) -> Iterator[JobType[Any]]:
        return iter([self._types[name] for name in self.names()])

    def __len__(self) -> int:
        return len(self._types)


def no_job_types() -> JobRegistry:
    """The registry of a deployment that serves no job types (template.yaml: neither DemoJobs nor
    JobRegistry set): every create is refused with unknown_job_type, and nothing runs."""
    return JobRegistry()


def load_registry(spec: str) -> JobRegistry:
    """Resolve ``"package.module:attribute"`` to a registry (or a function returning one).

    Every function (API, stream, worker) loads the same spec from Settings.job_registry, so the
    set of job types cannot differ between the one that validates and the one that runs.
    """
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"job registry spec {spec!r} must look like 'package.module:attribute'")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as missing:
        # Only the registry's own module (or a package above it) is ours to explain; a module
        # that it imports and lacks is its author's bug, and the traceback is the help.
        if missing.name is None or not f"{module_name}.".startswith(f"{missing.name}."):
            raise
        raise RegistryNotFound(
            spec,
            f"no module named {missing.name!r} on the path: a registry's module belongs in the "
            f"layer's root, shared/ (e.g. shared/{module_name.replace('.', '/')}.py), or in the "
            "function's folder",
        ) from None
    target = getattr(module, attribute, None)
    if target is None:
        raise RegistryNotFound(spec, f"module {module_name!r} has no attribute {attribute!r}")
    registry = target() if inspect.isroutine(target) else target
    if not isinstance(registry, JobRegistry):
        raise TypeError(f"{spec!r} is not a JobRegistry (got {type(registry).__name__})")
    return registry

"""``EnvSettings``: typed, frozen settings read from environment variables, on the standard library.

Why not pydantic-settings, which ``Settings`` was built on: every handler builds its settings on a
cold start, and pydantic-settings with pydantic cost the stream function about 120 ms of imports
(more than half of a bare ``import boto3``) to read some twenty strings. The stream function's read
path imports nothing else of pydantic, so settings alone decided it. What this keeps of the old
behaviour: ``Settings()`` reads ``<prefix><NAME>`` (any case) for every field not given as a
keyword; keywords win; values are checked against their type and bounds, and every problem is
reported at once; instances are frozen, compare by value and hide secret fields from ``repr``.
A field declared ``= required(...)`` has no default: unset, it is reported like a bad value.

Field types understood: ``str``, ``int``, ``float``, ``bool``, ``list[str]``, ``Literal[...]`` of
strings and any of those ``| None``. From the environment, a ``list[str]`` is a JSON list or
comma-separated (CloudFormation's ``!Join`` of a CommaDelimitedList), a ``bool`` is one of
true/false, 1/0, yes/no, on/off, and an empty value of an optional non-string field is None.
"""

from __future__ import annotations

import json
import os
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeVar, dataclass_transform, overload

from jobstream.errors import ConfigurationError

T = TypeVar("T")
Parse = Callable[[object], object]

_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})


class SettingsError(ConfigurationError, ValueError):
    """Every field that could not be read, one line each (never the value: it may be a secret)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        # One problem (the usual case: one variable unset or mistyped) reads as one line, as the
        # first line of a Lambda init error or a local start-up failure shows it.
        if len(problems) == 1:
            super().__init__(f"invalid settings: {problems[0]}")
        else:
            super().__init__("invalid settings:\n  " + "\n  ".join(problems))


@dataclass(frozen=True, slots=True)
class _Spec:
    """What ``setting()`` declares: the default and the checks beyond the type."""

    default: object = None
    default_factory: Callable[[], object] | None = None
    gt: float | None = None
    ge: float | None = None
    le: float | None = None
    # Further environment names read after the prefixed one (first found wins).
    env_aliases: tuple[str, ...] = ()
    repr: bool = True
    # Set by ``required()``: the field has no default; this says what choosing it means.
    required: str | None = None


@overload
def setting(
    *,
    default: T,
    gt: float | None = None,
    ge: float | None = None,
    le: float | None = None,
    env_aliases: tuple[str, ...] = (),
    repr: bool = True,
) -> T: ...


@overload
def setting(
    *,
    default_factory: Callable[[], T],
    gt: float | None = None,
    ge: float | None = None,
    le: float | None = None,
    env_aliases: tuple[str, ...] = (),
    repr: bool = True,
) -> T: ...


def setting(
    *,
    default: object = None,
    default_factory: Callable[[], object] | None = None,
    gt: float | None = None,
    ge: float | None = None,
    le: float | None = None,
    env_aliases: tuple[str, ...] = (),
    repr: bool = True,
) -> Any:
    """A field with bounds (``gt``/``ge``/``le``), extra environment names or a hidden value."""
    return _Spec(default, default_factory, gt, ge, le, env_aliases, repr)


def required(meaning: str) -> Any:
    """A field with no default: left unset, building the settings fails with one line naming its
    environment variable, its allowed values (for a ``Literal``) and ``meaning``.

    Typed ``Any`` and not a field specifier on purpose: type checkers then treat the field as
    defaulted, since ``Settings()`` may find it in the environment rather than in a keyword.
    """
    return _Spec(required=meaning)


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    spec: _Spec
    parse: Parse
    env_names: tuple[str, ...]
    # For a Literal field, its allowed values (named in the "required" message).
    choices: tuple[str, ...] = ()

    def missing(self) -> str:
        """The problem reported when a required field is not set."""
        allowed = f" (one of {', '.join(self.choices)})" if self.choices else ""
        return f"{self.env_names[0]} is required{allowed}: {self.spec.required}"

    def default(self) -> object:
        factory = self.spec.default_factory
        return factory() if factory is not None else self.spec.default


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(setting,))
class EnvSettings:
    """Subclass it, set ``env_prefix`` and declare fields as annotated class attributes."""

    env_prefix: ClassVar[str] = ""
    _fields: ClassVar[dict[str, _Field]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        hints = typing.get_type_hints(cls, include_extras=True)
        fields: dict[str, _Field] = {}
        for name, hint in hints.items():
            if name.startswith("_") or typing.get_origin(hint) is ClassVar:
                continue
            declared = cls.__dict__.get(name, getattr(cls, name, None))
            spec = declared if isinstance(declared, _Spec) else _Spec(default=declared)
            env_names = ((cls.env_prefix + name).upper(), *(a.upper() for a in spec.env_aliases))
            fields[name] = _Field(name, spec, _parser(hint), env_names, _choices(hint))
        cls._fields = fields

    def __init__(self, **values: object) -> None:
        unknown = sorted(set(values) - set(self._fields))
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field(s) {', '.join(unknown)}")
        environ = {key.upper(): value for key, value in os.environ.items()}
        problems: list[str] = []
        given: set[str] = set()
        for field in self._fields.values():
            if field.name in values:
                raw, source = values[field.name], field.name
                given.add(field.name)
            else:
                found = next((n for n in field.env_names if n in environ), None)
                if found is None and field.spec.required is not None:
                    problems.append(field.missing())
                    continue
                if found is None:
                    object.__setattr__(self, field.name, field.default())
                    continue
                raw, source = environ[found], found
                given.add(field.name)
            try:
                value = field.parse(raw)
                _check_bounds(value, field.spec)
            except (TypeError, ValueError) as error:
                problems.append(f"{source}: {error}")
                continue
            object.__setattr__(self, field.name, value)
        if problems:
            raise SettingsError(problems)
        object.__setattr__(self, "_given", frozenset(given))

    @property
    def fields_given(self) -> frozenset[str]:
        """The fields given as keywords or found in the environment (not defaulted)."""
        given: frozenset[str] = self.__dict__["_given"]
        return given

    def with_changes(self, changes: Mapping[str, object]) -> typing.Self:
        """A copy with ``changes`` applied and checked; the environment is not read again."""
        copy = object.__new__(type(self))
        object.__setattr__(copy, "__dict__", dict(self.__dict__))
        changes = dict(changes)
        unknown = sorted(set(changes) - set(self._fields))
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field(s) {', '.join(unknown)}")
        problems: list[str] = []
        for name, raw in changes.items():
            field = self._fields[name]
            try:
                value = field.parse(raw)
                _check_bounds(value, field.spec)
            except (TypeError, ValueError) as error:
                problems.append(f"{name}: {error}")
                continue
            copy.__dict__[name] = value
        if problems:
            raise SettingsError(problems)
        copy.__dict__["_given"] = self.fields_given | changes.keys()
        return copy

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: cannot set {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: cannot delete {name}")

    def _values(self) -> tuple[object, ...]:
        return tuple(self.__dict__[name] for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, EnvSettings)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(tuple(tuple(v) if isinstance(v, list) else v for v in self._values()))

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={self.__dict__[name]!r}"
            for name, field in self._fields.items()
            if field.spec.repr
        )
        return f"{type(self).__name__}({shown})"


def _check_bounds(value: object, spec: _Spec) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return
    if spec.gt is not None and not value > spec.gt:
        raise ValueError(f"must be greater than {spec.gt:g}")
    if spec.ge is not None and not value >= spec.ge:
        raise ValueError(f"must be at least {spec.ge:g}")
    if spec.le is not None and not value <= spec.le:
        raise ValueError(f"must be at most {spec.le:g}")


def _parser(hint: object) -> Parse:
    """The function that turns a keyword's value or an environment string into the field's type."""
    if typing.get_origin(hint) is typing.Annotated:
        return _parser(typing.get_args(hint)[0])
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        members = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(members) != 1 or len(typing.get_args(hint)) != 2:
            raise TypeError(f"unsupported settings type {hint!r}")
        inner = _parser(members[0])
        blank_is_none = members[0] is not str

        def optional(raw: object) -> object:
            if raw is None or (blank_is_none and isinstance(raw, str) and not raw.strip()):
                return None
            return inner(raw)

        return optional
    if origin is Literal:
        return _choice(typing.get_args(hint))
    if origin is list and typing.get_args(hint) == (str,):
        return _string_list
    simple: dict[object, Parse] = {str: _string, int: _integer, float: _number, bool: _boolean}
    if hint in simple:
        return simple[hint]
    raise TypeError(f"unsupported settings type {hint!r}")


def _choices(hint: object) -> tuple[str, ...]:
    if typing.get_origin(hint) is typing.Annotated:
        return _choices(typing.get_args(hint)[0])
    if typing.get_origin(hint) is Literal:
        return tuple(str(choice) for choice in typing.get_args(hint))
    return ()


def _string(raw: object) -> object:
    if not isinstance(raw, str):
        raise TypeError("must be a string")
    return raw


def _integer(raw: object) -> object:
    if isinstance(raw, str):
        try:
            return int(raw.strip())
        except ValueError:
            raise ValueError("must be a whole number") from None
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise TypeError("must be a whole number")
    return raw


def _number(raw: object) -> object:
    if isinstance(raw, str):
        try:
            return float(raw.strip())
        except ValueError:
            raise ValueError("must be a number") from None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise TypeError("must be a number")
    return float(raw)


def _boolean(raw: object) -> object:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        text = raw.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValueError("must be true or false")


def _choice(choices: tuple[object, ...]) -> Parse:
    def parse(raw: object) -> object:
        if raw not in choices:
            raise ValueError(f"must be one of {', '.join(map(str, choices))}")
        return raw

    return parse


def _string_list(raw: object) -> object:
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("["):
            raw = json.loads(text)
        else:
            return [item.strip() for item in text.split(",") if item.strip()]
    if not isinstance(raw, list | tuple) or not all(isinstance(item, str) for item in raw):
        raise TypeError("must be a list of strings")
    return list(raw)

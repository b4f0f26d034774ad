"""A stand-in for AWS's ``snapshot_restore_py`` (the hook registry the managed Python runtime
ships), with its public functions: hooks registered with it must run under our loop too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_before: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []
_after: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []


def register_before_snapshot(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    _before.append((func, args, kwargs))
    return func


def register_after_restore(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    _after.append((func, args, kwargs))
    return func


def get_before_snapshot() -> list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]]:
    return _before


def get_after_restore() -> list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]]:
    return _after

"""``Lazy``: the one way this codebase builds what a container keeps.

Handlers, the API, the store and the invokers all own things that are expensive to build and must
be built once per container (boto3 clients and their connection pools, services, the Mangum
adapter), never at import time off Lambda (tests and the local stack choose endpoints first). On
Lambda a handler builds the ones every request needs during init (``init_phase``). Before this
there were seven idioms (``functools.cache``, module globals with ``global``, a ``nonlocal``
closure, locked factories, double-checked locks); now every such value is a ``Lazy`` around a plain
build function.

Written here rather than taken from a library: ``functools.cache`` is not guaranteed to call its
function once under concurrency (two threads can both build). ``LazyPerKey`` is the same promise
for a value that depends on one key (the worker's service depends on the ARN it was invoked on).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")
K = TypeVar("K")


class Lazy(Generic[P, T]):
    """Call it to get the value: built by ``build`` on the first call (with that call's arguments),
    then the same value for every later call, whatever its arguments. Thread-safe: the local stack
    and the API's thread pool call it from several threads, and only one build ever runs. A build
    that raises builds nothing: the next call tries again."""

    __slots__ = ("_build", "_built", "_lock", "_value")

    def __init__(self, build: Callable[P, T]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._built = False
        self._value: T | None = None

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> T:
        # Double-checked: after the first build, a call takes no lock.
        if not self._built:
            with self._lock:
                if not self._built:
                    self._value = self._build(*args, **kwargs)
                    self._built = True
        return self._value  # type: ignore[return-value]

    @property
    def built(self) -> bool:
        return self._built

    def reset(self) -> None:
        """Forget the value: the next call builds a new one (after a SnapStart restore, a value
        built before the snapshot must not be shared by every restored environment)."""
        with self._lock:
            self._built = False
            self._value = None


class LazyPerKey(Generic[K, T]):
    """``Lazy`` for each key: ``build(key)`` runs once per distinct key, under the same lock rules,
    and its value is kept for the container's life. For values that depend on one fact of the
    invocation, such as the ARN a worker was invoked on (one container serves every alias and
    qualifier that points at its version, so the ARN can differ between its invocations)."""

    __slots__ = ("_build", "_lock", "_values")

    def __init__(self, build: Callable[[K], T]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._values: dict[K, T] = {}

    def __call__(self, key: K) -> T:
        # A dict read needs no lock; only a build takes it.
        if key in self._values:
            return self._values[key]
        with self._lock:
            if key not in self._values:
                self._values[key] = self._build(key)
            return self._values[key]

    @property
    def built(self) -> bool:
        return bool(self._values)

    def reset(self) -> None:
        """Forget every value (after a SnapStart restore, as ``Lazy.reset``)."""
        with self._lock:
            self._values.clear()

"""The unit tier's rules, enforced: no sockets, no subprocesses, no sleeps, no moto.

A unit test runs code in this process on fakes and returns at once, so that `make check` stays a
loop one can run after every edit. A test that needs a database belongs in tests/functional (moto
in-process); one that needs a server, a port or a child process in tests/integration. Each guard
fails the test where the rule is broken, saying which rule and where the test belongs.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any, NoReturn

import pytest

# Where each kind of test goes instead, named in every refusal.
SOCKET_RULE = (
    "unit tests open no sockets: a test that needs a server or a port belongs in tests/integration"
)
PROCESS_RULE = (
    "unit tests start no processes: a test that needs a child process belongs in tests/integration"
)
SLEEP_RULE = "unit tests do not sleep: inject a clock (or a fake sleep) instead"
MOTO_RULE = "unit tests do not use moto: a test that needs a DynamoDB belongs in tests/functional"


class UnitTierViolation(AssertionError):
    """The test broke one of the unit tier's rules (an AssertionError, so it reads as a failure)."""


def refuse(rule: str) -> Callable[..., NoReturn]:
    def refused(*_args: Any, **_kwargs: Any) -> NoReturn:
        raise UnitTierViolation(rule)

    return refused


def _refuse_async(rule: str) -> Callable[..., Any]:
    real_sleep = asyncio.sleep

    async def sleep(delay: float, result: Any = None) -> Any:
        # sleep(0) only yields to the event loop (no time passes): allowed.
        if delay > 0:
            raise UnitTierViolation(rule)
        return await real_sleep(0, result)

    return sleep


def moto_names(module: ModuleType) -> list[str]:
    """Names in a test module bound to moto (imported at its top), which the tier forbids."""
    found = []
    for name, value in vars(module).items():
        if isinstance(value, ModuleType):
            origin = value.__name__
        else:
            origin = getattr(value, "__module__", "")
        if isinstance(origin, str) and (origin == "moto" or origin.startswith("moto.")):
            found.append(name)
    return found


class _MotoImportBlocker:
    """A meta-path finder that refuses to import moto while a unit test runs."""

    def find_spec(self, fullname: str, *_args: Any) -> None:
        if fullname == "moto" or fullname.startswith("moto."):
            raise UnitTierViolation(MOTO_RULE)


def install_guards(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace every way out of the process (and every real wait) with a refusal, until the
    monkeypatch undoes it. Separate from the fixture so that a test can prove the guards fire."""
    # Sockets: connecting, binding, listening and datagrams (X-Ray's emitter sends with sendto).
    # Creating one is left alone: asyncio's event loop makes a socketpair for its own wake-ups.
    for method in ("connect", "connect_ex", "bind", "listen", "sendto"):
        monkeypatch.setattr(socket.socket, method, refuse(SOCKET_RULE))
    monkeypatch.setattr(socket, "getaddrinfo", refuse(SOCKET_RULE))
    monkeypatch.setattr(subprocess, "Popen", refuse(PROCESS_RULE))
    for spawn in ("system", "fork", "forkpty", "posix_spawn", "posix_spawnp"):
        if hasattr(os, spawn):
            monkeypatch.setattr(os, spawn, refuse(PROCESS_RULE))
    monkeypatch.setattr(time, "sleep", refuse(SLEEP_RULE))
    monkeypatch.setattr(asyncio, "sleep", _refuse_async(SLEEP_RULE))
    # moto: an import inside the test is refused; an already imported moto refuses to start
    # (mock_aws as decorator and as context manager both go through MockAWS.start).
    monkeypatch.setattr(sys, "meta_path", [_MotoImportBlocker(), *sys.meta_path])
    moto_models = sys.modules.get("moto.core.models")
    if moto_models is not None:
        monkeypatch.setattr(moto_models.MockAWS, "start", refuse(MOTO_RULE))


@pytest.fixture(autouse=True)
def _unit_tier_rules(request: pytest.FixtureRequest) -> Iterator[None]:
    module = getattr(request, "module", None)
    if module is not None and (names := moto_names(module)):
        raise UnitTierViolation(f"{MOTO_RULE} ({module.__name__} imports {', '.join(names)})")
    with pytest.MonkeyPatch.context() as monkeypatch:
        install_guards(monkeypatch)
        yield

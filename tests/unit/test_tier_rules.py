"""The unit tier's guards (tests/unit/conftest.py) refuse what the tier forbids, inside its tests.

Each test here breaks a rule on purpose and expects the refusal that names it: if a guard stopped
firing, a socket, a child process, a sleep or moto could creep back into the fast loop unnoticed.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import socket
import subprocess
import sys
import time
from types import ModuleType

import pytest

from tests.unit.conftest import (
    MOTO_RULE,
    PROCESS_RULE,
    SLEEP_RULE,
    SOCKET_RULE,
    UnitTierViolation,
    install_guards,
    moto_names,
)


def test_connecting_a_socket_is_refused() -> None:
    with socket.socket() as sock, pytest.raises(UnitTierViolation, match="tests/integration"):
        sock.connect(("127.0.0.1", 9))


def test_listening_on_a_port_is_refused() -> None:
    with socket.socket() as sock, pytest.raises(UnitTierViolation) as refused:
        sock.bind(("127.0.0.1", 0))
    assert str(refused.value) == SOCKET_RULE


def test_resolving_a_name_is_refused() -> None:
    with pytest.raises(UnitTierViolation, match="no sockets"):
        socket.getaddrinfo("localhost", 80)


def test_a_socketpair_is_allowed_for_the_event_loop() -> None:
    async def nothing() -> int:
        await asyncio.sleep(0)
        return 1

    # asyncio's loop wakes itself through a socketpair: creating one stays allowed.
    assert asyncio.run(nothing()) == 1


def test_starting_a_process_is_refused() -> None:
    with pytest.raises(UnitTierViolation) as refused:
        subprocess.run([sys.executable, "-c", "pass"], check=True)
    assert str(refused.value) == PROCESS_RULE
    with pytest.raises(UnitTierViolation, match="no processes"):
        os.system("true")


def test_sleeping_is_refused() -> None:
    with pytest.raises(UnitTierViolation) as refused:
        time.sleep(0.01)
    assert str(refused.value) == SLEEP_RULE


def test_an_async_sleep_is_refused_but_yielding_is_not() -> None:
    async def sleeps(delay: float) -> None:
        await asyncio.sleep(delay)

    asyncio.run(sleeps(0))
    with pytest.raises(UnitTierViolation, match="do not sleep"):
        asyncio.run(sleeps(0.01))


def test_importing_moto_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # Hidden from the import cache first: in a run of every tier in one process, a functional
    # test may have imported it already (the ddb fixture; an import then never asks a finder).
    monkeypatch.delitem(sys.modules, "moto", raising=False)
    with pytest.raises(UnitTierViolation) as refused:
        importlib.import_module("moto")
    assert str(refused.value) == MOTO_RULE


def test_the_moto_table_fixture_is_refused(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(sys.modules, "moto", raising=False)
    with pytest.raises(UnitTierViolation, match="tests/functional"):
        request.getfixturevalue("ddb")


def test_a_test_module_that_imports_moto_is_named() -> None:
    module = ModuleType("tests.unit.example")
    fake_moto = ModuleType("moto")
    module.moto = fake_moto  # type: ignore[attr-defined]

    def mock_aws() -> None: ...

    mock_aws.__module__ = "moto.core.decorator"
    module.mock_aws = mock_aws  # type: ignore[attr-defined]
    module.socket = socket  # type: ignore[attr-defined]

    assert moto_names(module) == ["moto", "mock_aws"]


def test_the_guards_come_off_when_their_test_ends() -> None:
    # The guards are a monkeypatch: installed again in a context of our own, they are undone on
    # leaving it. (The fixture's own set stays: this test still runs under it.)
    before = socket.socket.connect
    with pytest.MonkeyPatch.context() as monkeypatch:
        install_guards(monkeypatch)
        assert socket.socket.connect is not before
    assert socket.socket.connect is before

"""build_during_init: on Lambda what a handler names is built during init and rebuilt after a
SnapStart restore; elsewhere nothing is built until first use."""

from __future__ import annotations

import itertools
import logging

import pytest

from jobstream.init_phase import build_during_init
from jobstream.lambda_runtime.snapstart import run_after_restore
from jobstream.lazy import Lazy

ON_LAMBDA = {"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}


def _counted() -> tuple[Lazy[[], str], list[str]]:
    builds: list[str] = []
    numbers = itertools.count(1)

    def build() -> str:
        builds.append(value := f"client {next(numbers)}")
        return value

    return Lazy(build), builds


def test_off_lambda_nothing_is_built_before_first_use() -> None:
    value, builds = _counted()
    assert build_during_init(value, env={}) is False
    assert builds == []
    assert value() == "client 1"


def test_on_lambda_it_is_built_during_init_and_kept() -> None:
    value, builds = _counted()
    assert build_during_init(value, env=ON_LAMBDA) is True
    assert builds == ["client 1"]
    assert value() == "client 1"
    assert builds == ["client 1"]


def test_after_a_restore_each_environment_builds_its_own() -> None:
    first, first_builds = _counted()
    second, second_builds = _counted()
    build_during_init(first, second, env=ON_LAMBDA)
    run_after_restore()
    assert first() == "client 2"
    assert second() == "client 2"
    assert first_builds == ["client 1", "client 2"]
    assert second_builds == ["client 1", "client 2"]


def test_a_build_that_fails_during_init_is_left_to_first_use(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Directly on the module's logger, enabled: a Powertools Logger named "jobstream" (imported by
    # other tests) stops propagation to the root, where caplog listens, and a logging config
    # applied by another test may have disabled the loggers that existed then.
    log = logging.getLogger("jobstream.init_phase")
    monkeypatch.setattr(log, "disabled", False)
    log.addHandler(caplog.handler)
    attempts: list[int] = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("Secrets Manager throttled")
        return "key"

    value = Lazy(flaky)
    after, after_builds = _counted()
    with caplog.at_level(logging.WARNING, logger="jobstream.init_phase"):
        build_during_init(value, after, env=ON_LAMBDA)
    log.removeHandler(caplog.handler)
    assert "building it during init failed" in caplog.text
    assert not value.built
    # What came after the failure is left to first use too.
    assert after_builds == []
    assert value() == "key"

"""What the sweep does with an unfinished job (jobstream.jobs.sweep.judge), a pure function of the
job and the time: alive (look again when it could next be abandoned) or abandoned (and why)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from jobstream.jobs.durable_driver import DURABLE_TIMEOUT_GRACE_S, TIMED_OUT_MESSAGE
from jobstream.jobs.sweep import (
    Abandoned,
    Alive,
    abandoned_message,
    judge,
    never_opened_message,
)
from jobstream.settings import Settings
from jobstream.store.models import Checkpoint, Job, JobMode, JobStatus

T0 = 1_700_000_000.0
SETTINGS = Settings(
    api_auth="none", abandon_after_seconds=900, durable_execution_timeout_seconds=7_200
)


def job(**changes: object) -> Job:
    base = Job(
        job_id="j",
        type="demo.count",
        params={},
        mode=JobMode.BACKGROUND,
        status=JobStatus.QUEUED,
        created_at=T0,
        updated_at=T0,
        last_event_id=0,
        checkpoint=Checkpoint(),
        hops=0,
        cancel_requested=False,
        lease_owner=None,
        lease_expires_at=None,
        progress=None,
        result=None,
        error=None,
        expires_at=T0 + 7 * 86_400,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_job_that_moved_recently_is_looked_at_again_when_it_could_be_abandoned() -> None:
    assert judge(job(updated_at=T0 + 100), now=T0 + 500, settings=SETTINGS) == Alive(T0 + 1000)


def test_a_live_lease_is_alive_however_old_the_last_write() -> None:
    held = job(status=JobStatus.RUNNING, lease_owner="w", lease_expires_at=T0 + 5_060)
    assert judge(held, now=T0 + 5_000, settings=SETTINGS) == Alive(T0 + 5_900)


def test_an_expired_lease_counts_as_the_last_sign_of_life() -> None:
    died = job(status=JobStatus.RUNNING, lease_owner="w", lease_expires_at=T0 + 60)
    assert judge(died, now=T0 + 959, settings=SETTINGS) == Alive(T0 + 960)
    assert judge(died, now=T0 + 960, settings=SETTINGS) == Abandoned(abandoned_message(900))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"mode": JobMode.INLINE}, never_opened_message(900)),
        ({"mode": JobMode.INLINE, "hops": 1, "last_event_id": 3}, abandoned_message(900)),
        ({}, abandoned_message(900)),
    ],
    ids=["inline-never-opened", "inline-that-ran", "background"],
)
def test_nothing_for_the_wait_is_abandoned_and_says_why(
    changes: dict[str, object], message: str
) -> None:
    assert judge(job(**changes), now=T0 + 900, settings=SETTINGS) == Abandoned(message)


def test_a_durable_execution_lives_until_its_timeout_and_the_grace() -> None:
    deadline = T0 + 7_200 + DURABLE_TIMEOUT_GRACE_S
    waiting = job(status=JobStatus.RUNNING, execution_id="arn:exec/1")
    assert judge(waiting, now=T0 + 3_000, settings=SETTINGS) == Alive(deadline)
    assert judge(waiting, now=deadline, settings=SETTINGS) == Abandoned(TIMED_OUT_MESSAGE)

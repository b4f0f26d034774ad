"""An owner's former name (list_jobs', request_cancel's former_owner): the jobs stored under it are
the owner's too, listed after its own with one cursor across both, and nobody else's. Through the
API under JWTs: tests/integration/api/test_jwt_owner.py."""

from __future__ import annotations

import pytest

from jobstream.store import JobNotFound, JobStore
from jobstream.store.errors import InvalidCursor
from jobstream.store.list_cursor import former_start_cursor, read_cursor
from tests.clock import FakeClock

from .test_owners_and_quotas import create

NEW, FORMER = "https://issuer.example#alice", "alice"


def _pages(store: JobStore, limit: int, former_owner: str | None = FORMER) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = None
    while True:
        page = store.list_jobs(NEW, limit=limit, cursor=cursor, former_owner=former_owner)
        pages.append([job.job_id for job in page.jobs])
        if page.cursor is None:
            return pages
        cursor = page.cursor


@pytest.fixture
def both(store: JobStore, clock: FakeClock) -> None:
    for job_id, owner in [("f0", FORMER), ("f1", FORMER), ("x0", "bob"), ("n0", NEW), ("n1", NEW)]:
        create(store, job_id, owner)
        clock.advance(1)


@pytest.mark.usefixtures("both")
@pytest.mark.parametrize("limit", [1, 2, 3, 4, 10])
def test_the_own_jobs_come_first_then_the_former_names(store: JobStore, limit: int) -> None:
    pages = _pages(store, limit)
    assert [job for page in pages for job in page] == ["n1", "n0", "f1", "f0"]
    assert all(len(page) <= limit for page in pages)


@pytest.mark.usefixtures("both")
def test_a_page_that_ends_the_own_jobs_goes_on_into_the_former_names(store: JobStore) -> None:
    first = store.list_jobs(NEW, limit=3, former_owner=FORMER)
    assert [job.job_id for job in first.jobs] == ["n1", "n0", "f1"]
    assert first.cursor is not None
    rest = store.list_jobs(NEW, limit=3, cursor=first.cursor, former_owner=FORMER)
    assert [job.job_id for job in rest.jobs] == ["f0"]


@pytest.mark.usefixtures("both")
def test_without_a_former_name_only_the_own_jobs_are_listed(store: JobStore) -> None:
    assert _pages(store, 10, former_owner=None) == [["n1", "n0"]]


@pytest.mark.usefixtures("both")
def test_a_cursor_into_the_former_names_jobs_needs_a_former_name(store: JobStore) -> None:
    """An owner that never had another name (an IAM principal) cannot page into one: such a
    cursor is not one its listing made."""
    first = store.list_jobs(NEW, limit=3, former_owner=FORMER)
    assert first.cursor is not None
    assert read_cursor(first.cursor).former
    for cursor in (first.cursor, former_start_cursor()):
        with pytest.raises(InvalidCursor):
            store.list_jobs(NEW, limit=3, cursor=cursor)


@pytest.mark.usefixtures("both")
def test_a_former_names_job_is_cancelled_by_its_owner_and_by_nobody_else(
    store: JobStore,
) -> None:
    with pytest.raises(JobNotFound):
        store.request_cancel("f0", owner="https://issuer.example#bob", former_owner="bob")
    with pytest.raises(JobNotFound):
        store.request_cancel("f0", owner=NEW)  # its former name not given: not its job
    assert not store.get_job("f0").cancel_requested
    assert store.request_cancel("f0", owner=NEW, former_owner=FORMER).cancel_requested
    assert store.request_cancel("n0", owner=NEW, former_owner=FORMER).cancel_requested

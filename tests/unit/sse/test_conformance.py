"""Every ported conformance case: fed whole, as its source sends it, byte by byte, cut at random."""

from __future__ import annotations

import pytest

from tests.unit.sse.conformance_cases import (
    ALL_CASES,
    EVENTSOURCE_PARSER_CASES,
    WPT_CASES,
    WPT_FORMAT_FILES,
    Case,
)
from tests.unit.sse.splits import Splitter, as_sent, bytewise, parse_bodies, random_splitter, whole

RANDOM_SPLITS_PER_CASE = 10


def _check(case: Case, split: Splitter) -> None:
    events, parser = parse_bodies(case.bodies, split)
    assert events == list(case.expected)
    assert parser.last_event_id == case.last_event_id
    assert parser.retry == case.retry


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.id)
@pytest.mark.parametrize("split", [whole, as_sent, bytewise], ids=lambda f: f.__name__)
def test_case(case: Case, split: Splitter) -> None:
    _check(case, split)


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.id)
def test_case_random_splits(case: Case) -> None:
    for i in range(RANDOM_SPLITS_PER_CASE):
        _check(case, random_splitter(f"{case.name}/{i}"))


def test_every_wpt_format_file_is_ported() -> None:
    ported = {c.source.rsplit("/", 1)[-1].split(".", 1)[0] for c in WPT_CASES}
    assert sorted(set(WPT_FORMAT_FILES) - ported) == []


def test_case_names_are_unique() -> None:
    names = [c.name for c in ALL_CASES]
    assert len(names) == len(set(names))
    assert len(WPT_CASES) >= len(WPT_FORMAT_FILES)
    assert len(EVENTSOURCE_PARSER_CASES) >= 40

"""`python -m jobstream_bench --only latency,reads`: which parts of the bench a run measures."""

from __future__ import annotations

import argparse

import pytest

from jobstream_bench.__main__ import SECTIONS, _sections


def test_comma_separated_sections_are_read_in_order() -> None:
    assert _sections("latency,reads") == ["latency", "reads"]
    assert _sections(" latency , cold, ") == ["latency", "cold"]
    assert _sections("cold,cost") == ["cold", "cost"]


def test_imports_is_the_old_name_of_cold() -> None:
    assert _sections("imports") == ["cold"]


def test_e2e_still_means_throughput_and_latency() -> None:
    assert _sections("e2e") == ["throughput", "latency"]
    assert set(_sections("e2e")) <= set(SECTIONS)


def test_an_unknown_section_is_refused_with_the_choices() -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="latencies"):
        _sections("latency,latencies")

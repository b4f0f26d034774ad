"""Full-jitter backoff: bounds of every draw, growth, cap, and the server's retry as base."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobstream_client import Backoff


def test_ceiling_doubles_from_the_base_up_to_the_cap() -> None:
    backoff = Backoff(initial_s=0.5, max_s=5.0)

    assert [backoff.ceiling(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]


def test_the_servers_retry_replaces_the_initial_delay() -> None:
    backoff = Backoff(initial_s=1.0, max_s=60.0)

    assert [backoff.ceiling(n, base_s=3.0) for n in range(3)] == [3.0, 6.0, 12.0]


def test_a_zero_retry_from_the_server_cannot_make_a_busy_loop() -> None:
    backoff = Backoff(min_base_s=0.05)

    assert backoff.ceiling(0, base_s=0.0) == 0.05
    assert backoff.ceiling(3, base_s=0.0) == pytest.approx(0.4)


def test_delay_is_the_random_fraction_of_the_ceiling() -> None:
    draws = iter([0.0, 0.25, 0.999])
    backoff = Backoff(initial_s=2.0, max_s=100.0, random=lambda: next(draws))

    assert [backoff.delay(n) for n in range(3)] == pytest.approx([0.0, 1.0, 7.992])


def test_huge_retry_numbers_stay_at_the_cap() -> None:
    assert Backoff(max_s=30.0).ceiling(10_000) == 30.0


@given(
    retry_number=st.integers(min_value=0, max_value=5_000),
    base_s=st.none() | st.floats(min_value=0, max_value=1e6),
    fraction=st.floats(min_value=0, max_value=1, exclude_max=True),
)
def test_every_delay_is_within_zero_and_the_cap(
    retry_number: int, base_s: float | None, fraction: float
) -> None:
    backoff = Backoff(initial_s=1.0, max_s=30.0, random=lambda: fraction)

    delay = backoff.delay(retry_number, base_s=base_s)

    assert 0.0 <= delay <= 30.0
    assert delay <= backoff.ceiling(retry_number, base_s=base_s)


@pytest.mark.parametrize(
    "kwargs",
    [{"initial_s": -1.0}, {"multiplier": 0.5}, {"max_s": 0.01, "min_base_s": 0.05}],
)
def test_rejects_nonsense_settings(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message is not the contract here
        Backoff(**kwargs)  # type: ignore[arg-type]


def test_rejects_a_negative_retry_number() -> None:
    with pytest.raises(ValueError, match="negative"):
        Backoff().ceiling(-1)

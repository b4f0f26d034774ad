"""The bench's arithmetic from measured stream CPU time to memory sizes and a viewer-hour's cost."""

from __future__ import annotations

import pytest

from jobstream_bench.stream_cpu import StreamCpuResult, StreamRun
from jobstream_bench.targets import check
from jobstream_bench.viewer_cost import (
    ONE_VCPU_MB,
    connections_per_hour,
    evaluate,
    polling_hour,
    vcpu_share,
)
from jobstream_local.cost.prices import PriceList

pytestmark = pytest.mark.unit

PRICES = PriceList()


def _run(mode: str, *, watch_cpu_s: float, queries: int, cold_cpu_s: float) -> StreamRun:
    return StreamRun(
        mode=mode,
        startup_cpu_s=0.0,
        import_cpu_s=cold_cpu_s,
        open_cpu_s=0.0,
        first_byte_s=0.1,
        watched_s=60.0,
        watch_cpu_s=watch_cpu_s,
        events=0,
        queries=queries,
        read_units=float(queries),
    )


def measured(*, cold_cpu_s: float = 0.4) -> StreamCpuResult:
    return StreamCpuResult(
        runs=[
            _run("idle", watch_cpu_s=0.2, queries=40, cold_cpu_s=cold_cpu_s),
            _run("busy", watch_cpu_s=3.0, queries=1_200, cold_cpu_s=cold_cpu_s),
        ],
        window_s=60,
        busy_rate=100,
        api_status_ms=7.2,
    )


def test_the_cpu_share_follows_memory_up_to_one_vcpu() -> None:
    assert vcpu_share(ONE_VCPU_MB) == 1.0
    assert vcpu_share(ONE_VCPU_MB // 2) == pytest.approx(0.5, abs=0.001)
    assert vcpu_share(10_240) == 1.0  # the stream path is one thread


def test_a_cold_first_byte_is_the_cold_cpu_time_over_the_share() -> None:
    cost = evaluate(
        measured(cold_cpu_s=0.5),
        chosen_mb=256,
        api_memory_mb=512,
        api_billed_ms=7.2,
        stream_max_seconds=895,
    )
    assert cost.chosen.cold_first_byte_s == pytest.approx(0.5 * ONE_VCPU_MB / 256)
    assert cost.chosen.busy_utilisation == pytest.approx(3.0 / 60 / (256 / ONE_VCPU_MB))


def test_a_viewer_hour_is_duration_requests_and_reads() -> None:
    cost = evaluate(
        measured(), chosen_mb=256, api_memory_mb=512, api_billed_ms=7.2, stream_max_seconds=895
    )
    idle = cost.chosen.idle_hour
    assert idle.compute == pytest.approx(3_600 * 0.25 * PRICES.lambda_per_gb_second["arm64"])
    # 895 s per connection: the fifth one starts within the hour.
    assert connections_per_hour(895) == 5
    assert idle.requests == pytest.approx(5 * PRICES.lambda_per_request)
    assert idle.reads == pytest.approx(40 * 60 * PRICES.dynamodb_per_read_unit)
    assert cost.chosen.busy_hour.reads == pytest.approx(1_200 * 60 * PRICES.dynamodb_per_read_unit)
    # Every candidate size is priced, the chosen one among them.
    assert 256 in [s.memory_mb for s in cost.sizes]


def test_a_polling_client_pays_per_request_rounded_up_to_the_millisecond() -> None:
    hour = polling_hour(api_memory_mb=512, billed_ms=7.2, prices=PRICES)
    assert hour.requests == pytest.approx(3_600 * PRICES.lambda_per_request)
    assert hour.compute == pytest.approx(3_600 * 0.008 * 0.5 * PRICES.lambda_per_gb_second["arm64"])
    assert hour.reads == pytest.approx(3_600 * PRICES.dynamodb_per_read_unit)


def test_the_viewer_targets_judge_the_chosen_size() -> None:
    cheap = evaluate(
        measured(cold_cpu_s=0.05),
        chosen_mb=128,
        api_memory_mb=512,
        api_billed_ms=7.2,
        stream_max_seconds=895,
    )
    dear = evaluate(
        measured(cold_cpu_s=0.05),
        chosen_mb=1024,
        api_memory_mb=512,
        api_billed_ms=7.2,
        stream_max_seconds=895,
    )
    cheap_cost, cheap_first_byte = check(end_to_end=None, dynamo=None, imports=None, viewer=cheap)
    dear_cost, dear_first_byte = check(end_to_end=None, dynamo=None, imports=None, viewer=dear)
    # 128 MB: $0.006 of duration, but a busy stream's reads ($0.009) take it over $0.01.
    assert not cheap_cost.met
    assert cheap_first_byte.met  # 0.05 s of CPU / 0.072
    assert not dear_cost.met
    assert dear_first_byte.met

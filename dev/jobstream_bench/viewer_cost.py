"""From the stream function's measured CPU time and reads to memory sizes, cold first bytes and the
cost of one viewer-hour, beside a client that polls the jobs API once a second for the same hour.

Scaling: Lambda gives a function CPU in proportion to its memory, one vCPU at 1,769 MB (AWS Lambda
Developer Guide, "Configuring Lambda function memory"); the stream path is single-threaded, so a
function at M MB runs it at min(1, M / 1769) of one core. A CPU-bound stretch that took C seconds
of CPU here takes C / share seconds there, with one of Lambda's cores assumed as fast as one of
this machine's. The cold first byte is estimated as (interpreter start + handler import + open up
to the first byte, all CPU) / share; network round trips (Secrets Manager, GetItem, Query: a few
milliseconds each in-region) are not in it.

Cost: a stream is billed for as long as it is open, whatever it does, so one viewer-hour is 3,600
GB-seconds x memory on arm64, plus one request per stream connection (a connection lasts
STREAM_MAX_SECONDS, then the client resumes on a new one), plus the reads the stream made per
minute here (idle or busy), at the dated price list of jobstream_local.cost.prices.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from jobstream_bench.stream_cpu import StreamCpuResult
from jobstream_local.cost.prices import PriceList

ONE_VCPU_MB: Final = 1769
HOUR_S: Final = 3600
CANDIDATE_MB: Final = (128, 192, 256, 384, 512, 1024, 1769)
ARCHITECTURE: Final = "arm64"


def vcpu_share(memory_mb: int) -> float:
    return min(1.0, memory_mb / ONE_VCPU_MB)


@dataclass(frozen=True, slots=True)
class ViewerHour:
    memory_mb: int
    mode: str
    compute: float
    requests: float
    reads: float

    @property
    def total(self) -> float:
        return self.compute + self.requests + self.reads


@dataclass(frozen=True, slots=True)
class PollingHour:
    """A client asking GET /jobs/{id} once a second: one API invocation and one GetItem each."""

    requests: float
    compute: float
    reads: float
    api_memory_mb: int
    billed_ms: float

    @property
    def total(self) -> float:
        return self.requests + self.compute + self.reads


@dataclass(frozen=True, slots=True)
class SizeFigures:
    memory_mb: int
    share: float
    cold_first_byte_s: float
    # Fraction of the function's CPU share a watching viewer keeps busy.
    idle_utilisation: float
    busy_utilisation: float
    idle_hour: ViewerHour
    busy_hour: ViewerHour


def connections_per_hour(stream_max_seconds: float) -> int:
    return math.ceil(HOUR_S / stream_max_seconds)


def viewer_hour(
    cpu: StreamCpuResult,
    mode: str,
    *,
    memory_mb: int,
    stream_max_seconds: float,
    prices: PriceList,
) -> ViewerHour:
    gb_seconds = HOUR_S * memory_mb / 1024
    read_units = cpu.median(mode, "read_units_per_minute") * 60
    return ViewerHour(
        memory_mb=memory_mb,
        mode=mode,
        compute=gb_seconds * prices.lambda_per_gb_second[ARCHITECTURE],
        requests=connections_per_hour(stream_max_seconds) * prices.lambda_per_request,
        reads=read_units * prices.dynamodb_per_read_unit,
    )


def polling_hour(
    *, api_memory_mb: int, billed_ms: float, prices: PriceList, interval_s: float = 1.0
) -> PollingHour:
    polls = HOUR_S / interval_s
    return PollingHour(
        requests=polls * prices.lambda_per_request,
        compute=polls
        * (math.ceil(billed_ms) / 1000)
        * api_memory_mb
        / 1024
        * prices.lambda_per_gb_second[ARCHITECTURE],
        # GET /jobs/{id} reads the job item strongly consistent: 1 read unit (it is < 4 KB).
        reads=polls * prices.dynamodb_per_read_unit,
        api_memory_mb=api_memory_mb,
        billed_ms=billed_ms,
    )


def size_figures(
    cpu: StreamCpuResult, *, memory_mb: int, stream_max_seconds: float, prices: PriceList
) -> SizeFigures:
    share = vcpu_share(memory_mb)
    return SizeFigures(
        memory_mb=memory_mb,
        share=share,
        cold_first_byte_s=cpu.cold_cpu_s() / share,
        idle_utilisation=cpu.median("idle", "cpu_s_per_minute") / 60 / share,
        busy_utilisation=cpu.median("busy", "cpu_s_per_minute") / 60 / share,
        idle_hour=viewer_hour(
            cpu, "idle", memory_mb=memory_mb, stream_max_seconds=stream_max_seconds, prices=prices
        ),
        busy_hour=viewer_hour(
            cpu, "busy", memory_mb=memory_mb, stream_max_seconds=stream_max_seconds, prices=prices
        ),
    )


@dataclass(frozen=True, slots=True)
class ViewerCost:
    cpu: StreamCpuResult
    chosen_mb: int
    sizes: list[SizeFigures]
    polling: PollingHour
    stream_max_seconds: float
    prices: PriceList

    @property
    def chosen(self) -> SizeFigures:
        return next(s for s in self.sizes if s.memory_mb == self.chosen_mb)


def evaluate(
    cpu: StreamCpuResult,
    *,
    chosen_mb: int,
    api_memory_mb: int,
    api_billed_ms: float,
    stream_max_seconds: float,
    prices: PriceList | None = None,
) -> ViewerCost:
    prices = prices or PriceList()
    sizes = sorted({*CANDIDATE_MB, chosen_mb})
    return ViewerCost(
        cpu=cpu,
        chosen_mb=chosen_mb,
        sizes=[
            size_figures(cpu, memory_mb=m, stream_max_seconds=stream_max_seconds, prices=prices)
            for m in sizes
        ],
        polling=polling_hour(api_memory_mb=api_memory_mb, billed_ms=api_billed_ms, prices=prices),
        stream_max_seconds=stream_max_seconds,
        prices=prices,
    )

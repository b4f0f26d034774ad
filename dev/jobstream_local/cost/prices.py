"""The price list the cost figures assume. Not fetched: this is a fixed, dated assumption.

us-east-1, on-demand, list prices without free tier, as published on the AWS pricing pages
(Lambda, DynamoDB, Secrets Manager, X-Ray, CloudWatch) as of ``AS_OF``. Re-check them before
relying on the figures: ``PriceList`` is a plain dataclass, so a newer list can be passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

AS_OF: Final = "2025-06-01"
MILLION: Final = 1_000_000


@dataclass(frozen=True, slots=True)
class PriceList:
    as_of: str = AS_OF
    region: str = "us-east-1"
    # Lambda: per request, and per GB-second by architecture (first pricing tier).
    lambda_per_request: float = 0.20 / MILLION
    lambda_per_gb_second: dict[str, float] = field(
        default_factory=lambda: {"arm64": 0.0000133334, "x86_64": 0.0000166667}
    )
    # Response streaming: bytes beyond the first 6 MB of a response, per GB.
    lambda_streamed_per_gb_over_6mb: float = 0.008
    # DynamoDB on-demand (prices after the November 2024 reduction).
    dynamodb_per_write_unit: float = 0.625 / MILLION
    dynamodb_per_read_unit: float = 0.125 / MILLION
    dynamodb_storage_per_gb_month: float = 0.25
    dynamodb_pitr_per_gb_month: float = 0.20
    # X-Ray: traces recorded (an upper bound: default sampling records 1/s plus 5%).
    xray_per_trace: float = 5.00 / MILLION
    # Secrets Manager: API calls (the secret's monthly fee is per stack, not per job).
    secrets_per_call: float = 0.05 / 10_000
    secrets_per_secret_month: float = 0.40
    # CloudWatch Logs ingestion (standard class).
    logs_per_gb_ingested: float = 0.50

    def describe(self) -> list[str]:
        """The assumptions as sentences, for the report."""
        gb_s = ", ".join(
            f"{arch} ${price:.10f}" for arch, price in self.lambda_per_gb_second.items()
        )
        return [
            f"Prices: AWS list prices, {self.region}, on-demand, no free tier, as of {self.as_of}"
            " (assumed, not fetched).",
            f"Lambda: ${self.lambda_per_request * MILLION:.2f} per million requests; per GB-second"
            f" {gb_s}; streamed bytes beyond 6 MB per response"
            f" ${self.lambda_streamed_per_gb_over_6mb}/GB.",
            f"DynamoDB on-demand: ${self.dynamodb_per_write_unit * MILLION:.3f} per million write"
            f" units, ${self.dynamodb_per_read_unit * MILLION:.3f} per million read units;"
            f" storage ${self.dynamodb_storage_per_gb_month}/GB-month,"
            f" PITR ${self.dynamodb_pitr_per_gb_month}/GB-month.",
            f"X-Ray ${self.xray_per_trace * MILLION:.2f} per million traces recorded;"
            f" Secrets Manager ${self.secrets_per_call * 10_000:.2f} per 10,000 calls and"
            f" ${self.secrets_per_secret_month}/secret-month;"
            f" CloudWatch Logs ${self.logs_per_gb_ingested}/GB ingested.",
        ]

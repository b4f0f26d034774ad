"""``python -m jobstream_local.cost``: what 1,000 jobs of 1,000 events cost on AWS, from requests
and durations measured locally (an embedded DynamoDB) and a dated price list (an assumption).

- ``capacity``: DynamoDB requests and modelled capacity units, counted from botocore's events
  (the one meter of the dev tooling: ``make bench`` counts with it too);
- ``scenario``: one job end to end (create, worker hops, one streaming client), metered;
- ``prices``: the price list assumed, with its date;
- ``report``: dollars per 1,000 jobs, as the Markdown table docs/deploy.md quotes.
"""

from jobstream_local.cost.capacity import CapacityMeter, Usage, item_size, read_units, write_units
from jobstream_local.cost.prices import PriceList
from jobstream_local.cost.report import Deployment, JobCost, cost_of, render
from jobstream_local.cost.scenario import Invocations, Measurement, measure_job

__all__ = [
    "CapacityMeter",
    "Deployment",
    "Invocations",
    "JobCost",
    "Measurement",
    "PriceList",
    "Usage",
    "cost_of",
    "item_size",
    "measure_job",
    "read_units",
    "render",
    "write_units",
]

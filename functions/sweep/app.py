"""Sweep function: on a schedule (template.yaml, SweepSchedule), ends the jobs nobody will finish.

Transport only: the scheduled event carries nothing the sweep needs; this invocation's remaining
time bounds the run. Which jobs are due, how each is judged and how it ends (a terminal ``error``
event through the same fenced append as every end, freeing its owner's quota slot) live in
jobstream.jobs.sweep and the store's sweep index. The answer is the run's counts.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from jobstream import observability
from jobstream.composition import sweeper
from jobstream.init_phase import build_during_init
from jobstream.jobs import remaining_from_context
from jobstream.lazy import Lazy
from jobstream.settings import Settings

# Explicit service name: library loggers (jobstream.*) propagate to this one, on Lambda and locally.
logger = Logger(service="jobstream")
# No request/response bodies from botocore in the log, even at DEBUG (job data).
observability.quiet_wire_logs()
# With the ADOT layer: no token or viewer id from a request's URL in any span.
observability.redact_credentials_in_traces()

# Kept for the container's life; on Lambda built during init (below), elsewhere on first use.
_settings = Lazy(Settings)
_sweeper = Lazy(lambda: sweeper(_settings()))


@logger.inject_lambda_context(log_event=False, clear_state=True)
def handler(event: Any, context: LambdaContext) -> dict[str, object]:
    del event  # the schedule's event says only when it fired
    return _sweeper().run(remaining_s=remaining_from_context(context)).as_dict()


# On Lambda: the settings and the store's client, built during init and again after a restore.
build_during_init(_settings, _sweeper)

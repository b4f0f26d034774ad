"""jobstream: long-running jobs on AWS Lambda with live, resumable progress over Server-Sent Events.

Flow of one event (see docs/architecture.md):
job function -> jobs.context (one step's events) -> jobs.commit (the step's events with its
checkpoint, batched) -> store (DynamoDB) -> stream service -> SSE bytes -> streaming runtime
(Lambda) or local Function URL server -> client.
"""

from jobstream.errors import JobstreamError

__version__ = "0.1.0"

# Each room has its own face (its __all__): jobstream.jobs (job types, the JobService),
# jobstream.store (JobStore), jobstream.tail (streams), jobstream.api (create_app), ...
__all__ = ["JobstreamError", "__version__"]

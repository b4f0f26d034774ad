"""jobstream: long-running jobs on AWS Lambda with live, resumable progress over Server-Sent Events.

Flow of one event (see docs/architecture.md):
job function -> jobs.context (one step's events) -> jobs.commit (the step's events with its
checkpoint, batched) -> store (DynamoDB) -> stream service -> SSE bytes -> streaming runtime
(Lambda) or local Function URL server -> client.
"""

__version__ = "0.1.0"

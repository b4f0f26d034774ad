"""``make bench``: the figures behind docs/benchmarks.md, measured on this machine in one run.

One module per kind of figure, each returning plain result objects; ``report.py`` turns them into
the Markdown page and checks each against its target (``targets.py``):

- ``sse_codec``: our SSE encoder/parser against sse-starlette's encoder and httpx-sse's parser;
- ``dynamo_cost``: DynamoDB requests and capacity per event, per reconnect, per idle stream-minute
  (deterministic: simulated clocks, requests counted by the cost model's meter,
  jobstream_local.cost.capacity);
- ``stream_reads``: a stream's reads and read units per viewer-second on a busy job, viewers per
  partition, reads per idle minute (section ``reads``);
- ``imports``: cold import time of each handler module (``python -X importtime``), and of a bare
  ``import boto3`` in the same rounds (section ``cold``);
- ``stream_cpu`` (with ``stream_child``, the stream function in a process of its own, and
  ``api_poll``): the stream function's CPU time on a cold start and per viewer-minute, idle and
  busy, and a warm ``GET /jobs/{id}``; ``viewer_cost`` turns them into a cold first byte and the
  cost of a viewer-hour at each memory size (section ``cost``);
- ``end_to_end``: one job through the local stack (job -> store -> stream -> client).

Nothing here runs in ``make test``; the job types the bench needs live in ``jobs.py``, a registry of
their own, so the demo registry stays what users see.
"""

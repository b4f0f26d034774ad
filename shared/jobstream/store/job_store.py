"""JobStore: jobs, leases and the append-only event log in one DynamoDB table (see schema.py).

Guarantees the rest of jobstream builds on:

- event ids are 1, 2, 3, ... per job, gap-free: every append is one transaction conditioned on the
  job's ``last_event_id`` being exactly the caller's ``after_id`` and on the caller still owning the
  lease (fencing), and every event item is put only if it does not exist: nothing is overwritten;
- readers see only what is durably stored, with strongly consistent reads;
- a job and its whole log expire together (``expires_at`` fixed at creation) and expired items are
  never returned, although DynamoDB may keep them for days.

The store's parts, one job each, all over table_access.TableAccess (the client, clock, retries):

- jobs.py: job items (create, read, list, cancel), with the owner's quotas (quotas.py);
- leases.py: who drives a job, and the fence every driver's write carries;
- event_log.py: append and read the log, and the commit feed's wiring;
- stream_slots.py: the streams reading a job (the per-job cap, one live stream per viewer);
- sweep_index.py: unfinished jobs by when the scheduled sweep should look at them next.

Every write request is built by write_items.py. A new part (another kind of item) is one more
module with a ``TableAccess`` subclass, added to ``JobStore``'s bases below.
"""

from __future__ import annotations

from jobstream.store.event_log import EventLog
from jobstream.store.jobs import Jobs
from jobstream.store.leases import Leases
from jobstream.store.stream_slots import StreamSlots
from jobstream.store.sweep_index import SweepIndex


class JobStore(Jobs, Leases, EventLog, StreamSlots, SweepIndex):
    """The store: every part's methods on one object, built once per container with its
    dependencies: ``JobStore(settings, client=..., clock=..., observer=...,
    commit_feed=...)`` (all but ``settings`` optional; see ``TableAccess``)."""

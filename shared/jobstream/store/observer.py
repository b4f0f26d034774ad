"""A hook on the event log's writes: how metrics learn what the store wrote, without the store
knowing anything about metrics (jobstream.observability implements it with Powertools)."""

from __future__ import annotations

from typing import Protocol


class AppendObserver(Protocol):
    def appended(self, job_id: str, *, events: int, writes: int) -> None:
        """``events`` new events (0 for a checkpoint- or status-only append) are durably in
        ``job_id``'s log, written with ``writes`` DynamoDB write requests (one per transaction).

        Called on the appending thread after the write succeeded; an exception raised here is
        logged and swallowed, never turned into a failed append.
        """
        ...

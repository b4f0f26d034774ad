"""A worker invoker for tests and tools that start no worker (jobstream.jobs.invokers holds the
real ones): it records each start and leaves the job where it is."""

from __future__ import annotations

import threading


class RecordingInvoker:
    """Test double: records (job_id, hop) of every invocation, starts nothing."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []
        self._lock = threading.Lock()

    def invoke(self, job_id: str, *, hop: int) -> None:
        with self._lock:
            self.calls.append((job_id, hop))

    def take(self) -> list[tuple[str, int]]:
        """The invocations recorded since the last take()."""
        with self._lock:
            calls, self.calls = self.calls, []
        return calls

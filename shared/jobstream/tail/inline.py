"""An inline job driven beside its stream: the driver's thread (jobstream.jobs provides the
driver; the stream only starts it, tells it to stop and waits a moment for it)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from jobstream.store.commit_feed import Subscription
from jobstream.store.models import Job
from jobstream.tail.ports import InlineDriver

logger = logging.getLogger(__name__)


def start_inline_driver(
    driver: InlineDriver,
    job: Job,
    *,
    stop: threading.Event,
    seconds_left: Callable[[], float],
    handover: Subscription | None,
) -> threading.Thread:
    """Run ``driver`` on ``job`` in a thread of its own; when it returns, ``handover`` (the
    stream's subscription to this process's commits) is woken: the stream polls from then on."""

    def run() -> None:
        try:
            driver(job, stop=stop, seconds_left=seconds_left)
        except Exception:
            # The thread has no caller to raise to; the stream keeps tailing whatever the
            # driver managed to store, and the worker fallback picks the job up later.
            logger.exception("inline driver failed", extra={"job_id": job.job_id})
        finally:
            if handover is not None:
                # The job was handed to the worker (or dropped): the stream polls from now on.
                handover.wake()

    thread = threading.Thread(target=run, name=f"inline-driver-{job.job_id}", daemon=True)
    thread.start()
    return thread

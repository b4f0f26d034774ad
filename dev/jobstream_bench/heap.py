"""Keep the garbage collector's full collections off a latency measurement.

The local stack runs the embedded DynamoDB (moto) in the measuring process, and moto keeps every
item it stores as Python objects. As its tables grow, CPython's generation-2 collections come
every few seconds and each walks the whole heap (~430,000 objects at 10 events/s: ~250 ms, while
every thread of the process waits). On Lambda the stream, the worker and DynamoDB are separate
processes and services, and none of them holds such a heap. ``gc.freeze()`` (CPython 3.7+) moves
everything alive now into a permanent generation that collections skip; objects made later are
collected as usual.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Freeze what is alive now (after a collection, so no garbage is kept); unfreeze at the end,
    so what the measurement leaves behind is collected normally again."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()

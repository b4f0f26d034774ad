"""A job's event log as a Server-Sent Events stream: replay after Last-Event-ID, then live tail."""

from jobstream.tail.errors import StreamRejected
from jobstream.tail.ports import InlineDriver, StreamStats
from jobstream.tail.service import StreamService

__all__ = ["InlineDriver", "StreamRejected", "StreamService", "StreamStats"]

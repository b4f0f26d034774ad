"""A job's event log as a Server-Sent Events stream: replay after Last-Event-ID, then live tail."""

from jobstream.tail.errors import StreamRejected
from jobstream.tail.service import InlineDriver, StreamService, StreamStats

__all__ = ["InlineDriver", "StreamRejected", "StreamService", "StreamStats"]

"""Server-Sent Events encoder: one event or comment in, the exact UTF-8 bytes for the wire out.

Hand-written instead of using sse-starlette's ``ServerSentEvent(...).encode()`` (3.7.0, checked
against the installed copy) because that encoder silently *alters* what it is given:

- CR/LF inside ``id`` and ``event`` are deleted (``id="x\\ny"`` goes out as ``id: xy``), so a bad
  id reaches the browser as a different, valid-looking id; we refuse it instead (SSEFieldError);
- NUL inside ``id`` is passed through, and browsers then ignore the whole ``id`` line (WHATWG),
  so resumption silently breaks; we refuse it;
- ``retry`` is only checked with ``isinstance(retry, int)``: ``-5`` and ``True`` go out as
  ``retry: -5`` / ``retry: True``, which browsers ignore; we refuse both;
- it writes through ``io.StringIO`` and a regex per field with CRLF separators. Its data
  splitting is right (the regex ``\\r\\n|\\r|\\n`` does split on a lone CR), so the difference
  there is only speed: we split with ``str.split`` after at most two ``str.replace`` calls, emit
  LF separators (one byte less per line) and build the event by plain string concatenation.

Every event ends with a blank line, so consecutive events never merge into one block.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from jobstream.errors import JobstreamError

__all__ = ["SSE_HEADERS", "SSEFieldError", "encode_comment", "encode_event"]

# Never add Content-Encoding: a compressing proxy or middleware buffers the body until it has a
# block to compress, which holds events back; ``no-transform`` asks intermediaries not to do it
# and ``X-Accel-Buffering: no`` turns off nginx-style response buffering.
SSE_HEADERS: Mapping[str, str] = MappingProxyType(
    {
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-cache, no-transform",
        "X-Accel-Buffering": "no",
    }
)


class SSEFieldError(JobstreamError, ValueError):
    """A field value that cannot be written to an event stream without changing its meaning."""


def _single_line(field: str, value: str) -> str:
    # Three C-level substring scans beat a regex search on the short values ids and types are.
    if "\n" in value or "\r" in value or "\0" in value:
        raise SSEFieldError(
            f"SSE {field!r} must not contain CR, LF or NUL (got {value!r}): a line break would end "
            "the field early and browsers ignore an id containing NUL"
        )
    return value


def _lines(text: str) -> list[str]:
    # Every CRLF, lone CR and lone LF is one line break (the WHATWG stream grammar); CRLF is
    # folded first so it does not count twice.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def encode_event(
    *,
    data: str | None = None,
    event: str | None = None,
    id: str | int | None = None,
    retry: int | None = None,
) -> bytes:
    """Encode one event. ``data=None`` writes no data line, so the block fires no event (an
    ``id`` in it still updates the client's last event id); ``data=""`` fires an event whose
    data is the empty string. ``event=""`` is the default type and is left out."""
    out = ""
    if id is not None:
        if isinstance(id, str):
            out = "id: " + _single_line("id", id) + "\n"
        elif isinstance(id, int) and not isinstance(id, bool):
            out = "id: " + str(id) + "\n"
        else:
            raise SSEFieldError(f"SSE 'id' must be a str or an int, not {type(id).__name__}")
    if event:
        out += "event: " + _single_line("event", event) + "\n"
    if retry is not None:
        if type(retry) is not int or retry < 0:
            raise SSEFieldError(
                f"SSE 'retry' must be a non-negative int of milliseconds (got {retry!r}): "
                "browsers ignore anything but ASCII digits"
            )
        out += "retry: " + str(retry) + "\n"
    if data is not None:
        # The space after the colon is always written so that data beginning with a space keeps
        # it (a parser removes exactly one leading space).
        if "\n" in data or "\r" in data:
            out += "data: " + "\ndata: ".join(_lines(data)) + "\n"
        else:
            out += "data: " + data + "\n"
    return (out + "\n").encode()


def encode_comment(text: str = "") -> bytes:
    """Encode a comment (ignored by clients; used as a keep-alive). Each line of ``text`` becomes
    one comment line. No blank line follows, so a comment never dispatches anything."""
    return "".join(": " + line + "\n" if line else ":\n" for line in _lines(text)).encode()

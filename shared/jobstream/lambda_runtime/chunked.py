"""HTTP/1.1 chunked transfer coding (RFC 9112, section 7.1), written by hand for one reason.

``http.client`` can chunk-encode a request body (``encode_chunked=True``) but cannot send trailer
fields, and the Runtime API reports a failure after the first streamed byte only through trailers
(``Lambda-Runtime-Function-Error-Type`` / ``-Body``). So the runtime sends its headers with
``http.client`` and frames the body itself: one ``send`` per chunk, so each chunk leaves at once.
"""

from __future__ import annotations

from collections.abc import Mapping


def encode_chunk(data: bytes) -> bytes:
    """One chunk: size in hex, CRLF, data, CRLF. ``data`` must not be empty (that ends the body)."""
    if not data:
        raise ValueError("an empty chunk would end the body; skip it instead")
    return b"%X\r\n%b\r\n" % (len(data), data)


def encode_last_chunk(trailers: Mapping[str, str] | None = None) -> bytes:
    """The zero-length last chunk, the trailer fields, and the final CRLF."""
    lines = [b"0\r\n"]
    for name, value in (trailers or {}).items():
        _check_field(name, value)
        lines.append(f"{name}: {value}\r\n".encode("ascii"))
    lines.append(b"\r\n")
    return b"".join(lines)


def _check_field(name: str, value: str) -> None:
    if not name or any(c in name for c in " :\r\n\x00") or any(c in value for c in "\r\n\x00"):
        raise ValueError(f"invalid trailer field {name!r}")

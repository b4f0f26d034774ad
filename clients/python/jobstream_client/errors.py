"""What can go wrong talking to a jobstream server, as typed exceptions.

``str()`` of every error is safe to print: it names the URL without its query string values (a
``?token=`` lives there), never contains the bearer token, and carries no stack trace. Text the
server sent is shortened and stripped of terminal control characters before it is kept.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = [
    "BadRequest",
    "ClientError",
    "Forbidden",
    "GaveUp",
    "NotFound",
    "ProtocolViolation",
    "ServerRejected",
    "ServerUnavailable",
    "Unauthorized",
    "printable",
    "redact_url",
]

_MAX_SERVER_TEXT = 300
_MAX_DETAILS = 20
# C0 controls (except tab and newline), DEL and C1 controls: an ESC from a server must not be able
# to move the cursor or recolour the user's terminal.
_CONTROL_TRANSLATION = {
    code: f"\\x{code:02x}"
    for code in (*range(0x00, 0x20), *range(0x7F, 0xA0))
    if code not in (9, 10)
}


def printable(text: str, *, limit: int | None = None) -> str:
    """Server-sent text made harmless for a terminal (and optionally shortened)."""
    text = text.translate(_CONTROL_TRANSLATION)
    if limit is not None and len(text) > limit:
        return text[: limit - 1] + "…"
    return text


def redact_url(url: str) -> str:
    """The URL with every query value replaced, so a ``?token=`` never reaches a message."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = urlencode([(name, "***") for name, _ in pairs], safe="*")
    return urlunsplit(parts._replace(query=query))


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """Remove secrets a misbehaving server might echo back."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


class ClientError(Exception):
    """Base class of the client's errors; the message is safe to show."""


class ProtocolViolation(ClientError):
    """The server answered, but not with the agreed protocol (wrong status, content type, id)."""


class GaveUp(ClientError):
    """Too many consecutive attempts failed to deliver anything new."""

    def __init__(self, *, attempts: int, last_failure: str) -> None:
        super().__init__(
            f"gave up after {attempts} failed attempts in a row (last: {last_failure})"
        )
        self.attempts = attempts
        self.last_failure = last_failure


class ServerUnavailable(ClientError):
    """A one-shot API call failed on the network or with a 5xx (not retried: POST is not safe to
    repeat without an Idempotency-Key)."""


class ServerRejected(ClientError):
    """The server refused the request with a 4xx; retrying the same request will not help."""

    def __init__(
        self,
        status_code: int,
        *,
        url: str,
        code: str | None = None,
        message: str | None = None,
        details: tuple[str, ...] = (),
    ) -> None:
        detail = f": {message}" if message else ""
        label = f" {code}" if code else ""
        super().__init__(f"HTTP {status_code}{label} from {redact_url(url)}{detail}")
        self.status_code = status_code
        self.code = code
        self.server_message = message
        self.url = redact_url(url)
        # One line per field the server refused ("params.n: Input should be ..."), made safe.
        self.details = details


class BadRequest(ServerRejected):
    """400 (e.g. malformed Last-Event-ID, unknown job type) or 422 (invalid params)."""


class Unauthorized(ServerRejected):
    """401: no token was sent, or (API with caller authentication) the access token was refused."""


class Forbidden(ServerRejected):
    """403: the token is invalid, expired or for another job."""


class NotFound(ServerRejected):
    """404: unknown (or expired) job."""


class TooManyRequests(ServerRejected):
    """429: the caller is at one of its quotas (the server's message says which); try later."""


_REJECTIONS: dict[int, type[ServerRejected]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    422: BadRequest,
    429: TooManyRequests,
}


def rejection(
    status_code: int, *, url: str, body: bytes, secrets: Iterable[str | None] = ()
) -> ServerRejected:
    """Build the typed error for a 4xx from its JSON body ``{"error": {"code", "message"}}``
    (also tolerating ``{"error": code, "message": ...}`` and FastAPI's ``{"detail": ...}``)."""
    code, message = _error_fields(body)
    secrets = tuple(secrets)
    if code is not None:
        code = printable(scrub(code, secrets), limit=60)
    if message is not None:
        message = printable(scrub(message, secrets), limit=_MAX_SERVER_TEXT)
    details = tuple(
        printable(scrub(line, secrets), limit=_MAX_SERVER_TEXT)
        for line in _field_details(body)[:_MAX_DETAILS]
    )
    cls = _REJECTIONS.get(status_code, ServerRejected)
    return cls(status_code, url=url, code=code, message=message, details=details)


def _field_details(body: bytes) -> list[str]:
    """``error.details`` when it lists refused fields (``[{"loc": [...], "msg": ...}]``, the
    API's shape for invalid params and requests), as ``"params.n: <msg>"`` lines."""
    try:
        details = json.loads(body)["error"]["details"]
    except (ValueError, KeyError, TypeError):
        return []
    if not isinstance(details, list):
        return []
    lines = []
    for item in details:
        if not isinstance(item, dict) or not isinstance(item.get("msg"), str):
            continue
        loc = item.get("loc")
        # "body" is where FastAPI found it, not part of the field's name.
        parts = [str(p) for p in loc if p != "body"] if isinstance(loc, list) else []
        lines.append(f"{'.'.join(parts)}: {item['msg']}" if parts else item["msg"])
    return lines


def _error_fields(body: bytes) -> tuple[str | None, str | None]:
    try:
        payload = json.loads(body)
    except ValueError:
        return None, None
    if not isinstance(payload, dict):
        return None, None
    error = payload.get("error")
    if isinstance(error, dict):
        return _str_or_none(error.get("code")), _str_or_none(error.get("message"))
    if isinstance(error, str):
        return error, _str_or_none(payload.get("message"))
    detail = payload.get("detail")
    if detail is not None:
        return None, detail if isinstance(detail, str) else json.dumps(detail)[:_MAX_SERVER_TEXT]
    return None, None


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None

"""The jobs API's one-shot calls: create a job, read its status, ask it to cancel.

These are not retried: ``POST /jobs`` repeated after a lost answer would start a second job unless
the caller sent an ``Idempotency-Key`` (then the caller may retry; the server answers the same).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import httpx

from jobstream_client.errors import (
    ProtocolViolation,
    ServerUnavailable,
    redact_url,
    rejection,
)

__all__ = ["CreatedJob", "JobsAPI"]


@dataclass(frozen=True, slots=True)
class CreatedJob:
    job_id: str
    status: str
    events_url: str
    status_url: str
    # Kept out of repr so that logging or printing the object never shows it.
    token: str = field(repr=False)


class JobsAPI:
    """``base_url`` is the API's origin (plus any stage prefix), e.g. ``http://127.0.0.1:8000``."""

    def __init__(
        self, base_url: str, *, client: httpx.Client | None = None, timeout_s: float = 30.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = client
        self._owns_client = client is None
        self._timeout = httpx.Timeout(timeout_s)

    def job_url(self, job_id: str, suffix: str = "") -> str:
        return f"{self.base_url}/jobs/{quote(job_id, safe='')}{suffix}"

    def create(
        self,
        type: str,
        params: dict[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> CreatedJob:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        url = f"{self.base_url}/jobs"
        payload = self._call(
            "POST", url, json={"type": type, "params": params}, headers=headers, secrets=()
        )
        try:
            return CreatedJob(
                job_id=_text(payload, "job_id"),
                status=_text(payload, "status"),
                events_url=_text(payload, "events_url"),
                status_url=str(payload.get("status_url") or ""),
                token=_text(payload, "token"),
            )
        except KeyError as exc:
            raise ProtocolViolation(
                f"POST {redact_url(url)} answered without a string {exc.args[0]!r}"
            ) from None

    def status(self, job_id: str, *, token: str | None) -> dict[str, Any]:
        return self._call("GET", self.job_url(job_id), headers=_bearer(token), secrets=(token,))

    def cancel(self, job_id: str, *, token: str | None) -> dict[str, Any]:
        return self._call(
            "POST", self.job_url(job_id, "/cancel"), headers=_bearer(token), secrets=(token,)
        )

    def close(self) -> None:
        if self._owns_client and self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _call(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        secrets: tuple[str | None, ...],
        json: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        if self._client is None:
            self._client = httpx.Client(timeout=self._timeout)
        try:
            response = self._client.request(
                method, url, json=json, headers=headers, timeout=self._timeout
            )
        except httpx.HTTPError as exc:
            raise ServerUnavailable(
                f"{method} {redact_url(url)} failed: {type(exc).__name__}"
            ) from None
        if response.status_code >= 500:
            raise ServerUnavailable(
                f"{method} {redact_url(url)} answered HTTP {response.status_code}"
            )
        if response.status_code >= 400:
            raise rejection(response.status_code, url=url, body=response.content, secrets=secrets)
        if not response.content:
            return {}
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            raise ProtocolViolation(f"{method} {redact_url(url)} did not answer a JSON object")
        return payload


def _bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def _text(payload: dict[str, Any], key: str) -> str:
    value = payload[key]
    if not isinstance(value, str):
        raise KeyError(key)
    return value

"""The jobs API's one-shot calls: create a job, read its status, ask it to cancel, get a fresh
token for it, list jobs.

These are not retried: ``POST /jobs`` repeated after a lost answer would start a second job unless
the caller sent an ``Idempotency-Key`` (then the caller may retry; the server answers the same).

A deployment with caller authentication (``JOBSTREAM_API_AUTH=jwt``) needs the caller's access
token on every call: pass ``access_token``, a string or a function returning a fresh one (it is
called before each request, so it may refresh an expiring token). A job's own token then travels
as ``?token=`` where one is given, the access token in the Authorization header.

Job tokens: ``token`` (a view token) reads the job and lives minutes; ``refresher`` gives a
function that gets fresh ones (``POST /jobs/{id}/token``) with the access token, or without caller
authentication with the job's ``control_token``, which POST /jobs returns to its creator only.
The control token is sent in the Authorization header only: the server refuses it in a URL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self, TypeAlias
from urllib.parse import quote

import httpx

from jobstream_client.errors import (
    ProtocolViolation,
    ServerUnavailable,
    redact_url,
    rejection,
)

__all__ = ["AccessToken", "CreatedJob", "JobList", "JobToken", "JobsAPI", "ListedJob"]

# The caller's credential for an API with caller authentication: the token, or a function that
# returns a fresh one.
AccessToken: TypeAlias = str | Callable[[], str]


@dataclass(frozen=True, slots=True)
class CreatedJob:
    job_id: str
    status: str
    events_url: str
    status_url: str
    # Kept out of repr so that logging or printing the object never shows it.
    token: str = field(repr=False)
    # Seconds the view token lives (None: the server did not say).
    expires_in: float | None = None
    # ApiAuth none only: cancels the job and gets fresh view tokens; keep it, never in a URL.
    control_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class JobToken:
    """A fresh token for a job (``POST /jobs/{id}/token``), valid for ``expires_in`` seconds."""

    job_id: str
    events_url: str
    expires_in: float
    token: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class ListedJob:
    job_id: str
    type: str
    status: str
    created_at: float
    events_url: str
    status_url: str
    token: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class JobList:
    """One page of the caller's jobs, newest first; ``next_cursor`` fetches the next (or None)."""

    jobs: list[ListedJob]
    next_cursor: str | None


class JobsAPI:
    """``base_url`` is the API's origin (plus any stage prefix), e.g. ``http://127.0.0.1:8000``.
    ``access_token``: the caller's token (or a function returning a fresh one) for an API with
    caller authentication; None for one without."""

    def __init__(
        self,
        base_url: str,
        *,
        client: httpx.Client | None = None,
        timeout_s: float = 30.0,
        access_token: AccessToken | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = client
        self._owns_client = client is None
        self._timeout = httpx.Timeout(timeout_s)
        self._access_token = access_token

    @property
    def has_access_token(self) -> bool:
        """True when calls carry the caller's credential (an API with caller authentication)."""
        return self._access_token is not None

    def _access(self) -> str | None:
        token = self._access_token
        return token() if callable(token) else token

    def job_url(self, job_id: str, suffix: str = "") -> str:
        return f"{self.base_url}/jobs/{quote(job_id, safe='')}{suffix}"

    def create(
        self,
        type: str,
        params: dict[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> CreatedJob:
        access = self._access()
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        headers.update(_bearer(access))
        url = f"{self.base_url}/jobs"
        payload = self._call(
            "POST", url, json={"type": type, "params": params}, headers=headers, secrets=(access,)
        )
        expires_in = payload.get("expires_in")
        control = payload.get("control_token")
        try:
            return CreatedJob(
                job_id=_text(payload, "job_id"),
                status=_text(payload, "status"),
                events_url=_text(payload, "events_url"),
                status_url=str(payload.get("status_url") or ""),
                token=_text(payload, "token"),
                expires_in=float(expires_in) if isinstance(expires_in, int | float) else None,
                control_token=control if isinstance(control, str) and control else None,
            )
        except KeyError as exc:
            raise ProtocolViolation(
                f"POST {redact_url(url)} answered without a string {exc.args[0]!r}"
            ) from None

    def status(self, job_id: str, *, token: str | None) -> dict[str, Any]:
        """The job's status; ``token`` is the job's own (None: the access token alone, which
        opens the caller's own jobs)."""
        return self._job_call("GET", self.job_url(job_id), token)

    def cancel(self, job_id: str, *, token: str | None) -> dict[str, Any]:
        """Ask the job to stop. With caller authentication only its owner may (the access token
        is what counts); without, its control token."""
        return self._job_call("POST", self.job_url(job_id, "/cancel"), token, owner_only=True)

    def job_token(self, job_id: str, *, token: str | None = None) -> JobToken:
        """A fresh view token for the job. With caller authentication its owner gets one with
        the access token alone; without, ``token`` must be the job's control token."""
        url = self.job_url(job_id, "/token")
        payload = self._job_call("POST", url, token, owner_only=True)
        try:
            return JobToken(
                job_id=_text(payload, "job_id"),
                events_url=_text(payload, "events_url"),
                expires_in=float(payload["expires_in"]),
                token=_text(payload, "token"),
            )
        except (KeyError, TypeError, ValueError):
            raise ProtocolViolation(f"POST {redact_url(url)} answered no token") from None

    def refresher(self, job_id: str, *, control_token: str | None = None) -> Callable[[], str]:
        """A function returning a fresh view token for the job (for ``EventStream``'s
        ``refresh_token``): with the access token, else with the job's control token."""
        if not self.has_access_token and control_token is None:
            raise ValueError("refreshing a job token needs an access token or the control token")
        return lambda: self.job_token(job_id, token=control_token).token

    def list_jobs(self, *, limit: int = 20, cursor: str | None = None) -> JobList:
        """A page of the caller's jobs, newest first (needs an API with caller authentication)."""
        access = self._access()
        url = f"{self.base_url}/jobs"
        query: dict[str, str | int] = {"limit": limit}
        if cursor:
            query["cursor"] = cursor
        payload = self._call(
            "GET", url, headers=_bearer(access), secrets=(access, cursor), params=query
        )
        try:
            jobs = [
                ListedJob(
                    job_id=_text(item, "job_id"),
                    type=_text(item, "type"),
                    status=_text(item, "status"),
                    created_at=float(item["created_at"]),
                    events_url=_text(item, "events_url"),
                    status_url=_text(item, "status_url"),
                    token=_text(item, "token"),
                )
                for item in payload["jobs"]
            ]
            next_cursor = payload.get("next_cursor")
        except (KeyError, TypeError, ValueError):
            raise ProtocolViolation(f"GET {redact_url(url)} answered no job list") from None
        return JobList(jobs=jobs, next_cursor=next_cursor if isinstance(next_cursor, str) else None)

    def _job_call(
        self, method: str, url: str, token: str | None, *, owner_only: bool = False
    ) -> dict[str, Any]:
        access = self._access()
        if access is None:
            return self._call(method, url, headers=_bearer(token), secrets=(token,))
        # The Authorization header carries the caller's token; the job's own (a view token) goes
        # in the query where it can open the job. Where only the owner may act the caller's token
        # is all that counts, and a job token is not sent at all.
        send_job_token = token is not None and not owner_only
        return self._call(
            method,
            url,
            headers=_bearer(access),
            secrets=(token, access),
            params={"token": token} if send_job_token and token else None,
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
        params: dict[str, str | int] | None = None,
    ) -> dict[str, Any]:
        if self._client is None:
            self._client = httpx.Client(timeout=self._timeout)
        try:
            response = self._client.request(
                method, url, json=json, headers=headers, params=params, timeout=self._timeout
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

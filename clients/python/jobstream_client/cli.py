"""``jobstream``: start a job or attach to one, and follow it with a progress bar until it ends.

    jobstream --api http://127.0.0.1:8000 start demo.count --param n=50 --param interval_ms=100
    jobstream --api http://127.0.0.1:8000 attach --job-id <id> --last-event-id 42
    jobstream --api http://127.0.0.1:8000 cancel --job-id <id>
    jobstream attach --events-url https://.../jobs/<id>/events --token-file job.token
    jobstream --api https://... --access-token "$JWT" list --limit 50

The exit status says how it ended (``ExitCode``). Ctrl-C leaves the job running (exit 130) unless
``--cancel-on-interrupt`` is given, and prints the command that follows it again. The token is
never printed: ``start`` keeps it in the token store (token_store.py; also in ``--token-file``
if given), where ``attach --job-id`` and ``cancel --job-id`` find it. Without a kept token,
``--token``, ``--token-file`` or ``$JOBSTREAM_TOKEN``, the job's owner gets a fresh one from the
API with the access token (``POST /jobs/{id}/token``), so ``list`` then ``attach`` works.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from rich.text import Text

from jobstream_client.backoff import Backoff
from jobstream_client.display import ProgressView
from jobstream_client.errors import (
    ClientError,
    GaveUp,
    ProtocolViolation,
    ServerRejected,
    ServerUnavailable,
    printable,
    redact_url,
)
from jobstream_client.job_tokens import token_scope
from jobstream_client.jobs_api import JobsAPI
from jobstream_client.stream import (
    DEFAULT_MAX_ATTEMPTS,
    EventStream,
    StreamEnd,
    default_timeout,
)
from jobstream_client.token_store import TokenStore

__all__ = ["ExitCode", "build_parser", "main"]

DEFAULT_API = "http://127.0.0.1:8000"
_EVENTS_PATH = re.compile(r"/jobs/([^/]+)/events/?$")


class ExitCode(IntEnum):
    OK = 0  # the job completed
    JOB_FAILED = 1  # the job ended with an `error` event
    USAGE = 2  # bad command line (argparse's own code)
    CANCELLED = 3  # the job ended with a `cancelled` event
    REJECTED = 4  # the server answered 4xx: bad request, missing/bad token, unknown job
    UNREACHABLE = 5  # gave up after max consecutive failed attempts, or a one-shot call failed
    PROTOCOL = 6  # the server's answer broke the wire contract
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, the shell convention)


_EXIT_BY_TERMINAL = {
    "complete": ExitCode.OK,
    "error": ExitCode.JOB_FAILED,
    "cancelled": ExitCode.CANCELLED,
}
_EXIT_BY_STATUS = {
    "succeeded": ExitCode.OK,
    "failed": ExitCode.JOB_FAILED,
    "cancelled": ExitCode.CANCELLED,
}


@dataclass
class _Target:
    """What to follow, however it was found."""

    events_url: str
    token: str | None
    job_id: str | None
    title: str
    # False when only an events URL was given: the API (for status and cancel) is then unknown.
    api_known: bool = True
    # Where the token can be read again (--token-file), for the command printed after Ctrl-C.
    token_file: Path | None = None
    # Gets a fresh view token for the stream (None: the token is all there is).
    refresh: Callable[[], str] | None = None
    # The token the stream starts with (None: the first request gets one from ``refresh``).
    stream_token: str | None = None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jobstream", description="Start or follow a jobstream job with live progress."
    )
    _add_common(parser, defaults=True)
    commands = parser.add_subparsers(dest="command", required=True)

    start = commands.add_parser("start", help="create a job and follow it")
    _add_common(start, defaults=False)
    start.add_argument("type", help="job type, e.g. demo.count")
    start.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="one parameter; VALUE is read as JSON when it parses (n=50 -> 50), else as text",
    )
    start.add_argument("--params", metavar="JSON", help="parameters as one JSON object")
    start.add_argument("--idempotency-key", help="sent as Idempotency-Key: a retry starts no twin")
    start.add_argument(
        "--token-file",
        type=Path,
        help="also save the job's token here (mode 0600); it is always kept in the token store "
        "($JOBSTREAM_TOKEN_DIR, default ~/.local/state/jobstream/tokens)",
    )

    attach = commands.add_parser("attach", help="follow an existing job")
    _add_common(attach, defaults=False)
    where = attach.add_mutually_exclusive_group(required=True)
    where.add_argument("--events-url", help="the job's events_url")
    where.add_argument("--job-id", help="the job id (its events_url is asked from --api)")
    _add_token_options(attach)
    attach.add_argument(
        "--last-event-id", type=_event_id, help="resume after this event id instead of replaying"
    )
    cancel = commands.add_parser("cancel", help="ask a job to stop (it ends with 'cancelled')")
    _add_common(cancel, defaults=False)
    cancel.add_argument("--job-id", required=True, help="the job id")
    _add_token_options(cancel)
    listing = commands.add_parser(
        "list", help="the caller's jobs, newest first (an API with caller authentication)"
    )
    _add_common(listing, defaults=False)
    listing.add_argument(
        "--limit", type=_page_size, default=20, help="how many jobs (1-100, default 20)"
    )
    return parser


def _add_token_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--token",
        help="the job's token (default: $JOBSTREAM_TOKEN, else the one `start` kept, else a "
        "fresh one for the job's owner with --access-token)",
    )
    parser.add_argument("--token-file", type=Path, help="read the job's token from this file")


def _page_size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError("must be between 1 and 100")
    return value


def _add_common(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    # Accepted before and after the command; SUPPRESS keeps a subcommand from overwriting a
    # value given before it with its own default.
    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    parser.add_argument(
        "--api",
        default=default(os.environ.get("JOBSTREAM_API")),
        help=f"jobs API base URL (default: $JOBSTREAM_API or {DEFAULT_API})",
    )
    parser.add_argument(
        "--access-token",
        default=default(os.environ.get("JOBSTREAM_ACCESS_TOKEN")),
        help="the caller's token (a JWT) for an API with caller authentication "
        "(default: $JOBSTREAM_ACCESS_TOKEN)",
    )
    parser.add_argument(
        "--max-attempts",
        type=int,
        default=default(DEFAULT_MAX_ATTEMPTS),
        help="give up after this many failed connection attempts in a row (0: never)",
    )
    parser.add_argument(
        "--read-timeout",
        type=float,
        default=default(45.0),
        help="seconds without a byte (heartbeats included) before reconnecting",
    )
    parser.add_argument(
        "--cancel-on-interrupt",
        action="store_true",
        default=default(False),
        help="on Ctrl-C, ask the server to cancel the job (default: leave it running)",
    )


def main(
    argv: Sequence[str] | None = None,
    *,
    console: Console | None = None,
    http_client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
    backoff: Backoff | None = None,
) -> int:
    """Run the command line; returns the exit status (an ``ExitCode``)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    params = _params(parser, args) if args.command == "start" else {}
    token = _token(parser, args) if args.command in ("attach", "cancel") else None
    out = console or Console()
    store = TokenStore.default()
    # One client (one connection pool, one TLS context) for the API calls and the stream.
    client = http_client or httpx.Client()
    api = JobsAPI(args.api or DEFAULT_API, client=client, access_token=args.access_token or None)
    try:
        if args.command == "list":
            return _list(api, args.limit, out)
        if args.command == "cancel":
            return _cancel(api, args.job_id, _job_token(api, args.job_id, token, store), out)
        if args.command == "start":
            target = _start(api, args, params, out, store)
        else:
            target = _attach(api, args, token, store)
        return _follow(target, api, args, out, http_client=client, sleep=sleep, backoff=backoff)
    except KeyboardInterrupt:
        # Before the stream started (e.g. during POST /jobs): nothing to leave running we know of.
        return ExitCode.INTERRUPTED
    except ClientError as exc:
        # soft_wrap: piped output is 80 columns wide, and a wrapped line is harder to read or use.
        out.print(Text(f"error: {exc}", style="bold red"), soft_wrap=True)
        for line in getattr(exc, "details", ()):
            out.print(Text(f"  {line}", style="red"), soft_wrap=True)
        return _exit_for(exc)
    finally:
        if http_client is None:
            client.close()


def _exit_for(exc: ClientError) -> ExitCode:
    if isinstance(exc, ServerRejected):
        return ExitCode.REJECTED
    if isinstance(exc, GaveUp | ServerUnavailable):
        return ExitCode.UNREACHABLE
    if isinstance(exc, ProtocolViolation):
        return ExitCode.PROTOCOL
    return ExitCode.PROTOCOL


def _list(api: JobsAPI, limit: int, out: Console) -> int:
    page = api.list_jobs(limit=limit)
    if not page.jobs:
        out.print(Text("no jobs", style="dim"))
        return ExitCode.OK
    # Server text goes through printable(): a job type cannot carry control codes to the terminal.
    # Tokens are never shown: `attach --job-id` asks the API for what it needs.
    table = Table("job id", "type", "status", "created (UTC)", box=None)
    for job in page.jobs:
        created = datetime.fromtimestamp(job.created_at, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(
            Text(printable(job.job_id)),
            Text(printable(job.type)),
            Text(printable(job.status)),
            created,
        )
    out.print(table)
    if page.next_cursor is not None:
        out.print(Text(f"(newest {len(page.jobs)} shown; --limit shows more)", style="dim"))
    return ExitCode.OK


def _start(
    api: JobsAPI,
    args: argparse.Namespace,
    params: dict[str, Any],
    out: Console,
    store: TokenStore,
) -> _Target:
    job = api.create(args.type, params, idempotency_key=args.idempotency_key)
    # What is kept is what lets this job be followed and stopped later: its control token (no
    # caller authentication), else its view token (the access token gets fresh ones).
    credential = job.control_token or job.token
    if args.token_file is not None:
        _save_token(args.token_file, credential)
    kept = store.save(job.job_id, credential)
    out.print(Text(f"started job {printable(job.job_id)} ({printable(args.type)})", style="bold"))
    if kept is None and args.token_file is None:
        out.print(
            Text(f"(could not keep its token in {store.folder}: use --token-file)", style="yellow")
        )
    return _Target(
        job.events_url,
        credential,
        job.job_id,
        args.type,
        token_file=args.token_file,
        refresh=_refresher(api, job.job_id, credential),
        stream_token=job.token,
    )


def _refresher(api: JobsAPI, job_id: str, credential: str | None) -> Callable[[], str] | None:
    """Fresh view tokens for the job's stream: with the access token, or the control token."""
    if api.has_access_token:
        return api.refresher(job_id)
    if credential is not None and token_scope(credential) == "control":
        return api.refresher(job_id, control_token=credential)
    return None


def _job_token(api: JobsAPI, job_id: str, given: str | None, store: TokenStore) -> str | None:
    """The token to use for a job named by id: the one given, else the one kept when it was
    started, else (with an access token, as the job's owner) a fresh one from the API, kept."""
    token = given or store.load(job_id)
    if token is None and api.has_access_token:
        token = api.job_token(job_id).token
        store.save(job_id, token)
    return token


def _cancel(api: JobsAPI, job_id: str, token: str | None, out: Console) -> int:
    status = api.cancel(job_id, token=token)
    state = printable(str(status.get("status", "")))
    out.print(Text(f"cancel requested for job {printable(job_id)} (status: {state})"))
    return ExitCode.OK


def _attach(
    api: JobsAPI, args: argparse.Namespace, token: str | None, store: TokenStore
) -> _Target:
    if args.events_url:
        match = _EVENTS_PATH.search(httpx.URL(args.events_url).path)
        job_id = match.group(1) if match else None
        return _Target(args.events_url, token, job_id, job_id or "job", api_known=bool(args.api))
    token = _job_token(api, args.job_id, token, store)
    status = api.status(args.job_id, token=token)
    events_url = status.get("events_url")
    if not isinstance(events_url, str) or not events_url:
        events_url = api.job_url(args.job_id, "/events")
    title = status.get("type")
    refresh = _refresher(api, args.job_id, token)
    return _Target(
        events_url,
        token,
        args.job_id,
        title if isinstance(title, str) else "job",
        token_file=args.token_file,
        refresh=refresh,
        # A control token stays out of the stream: the first request gets a view token. A view
        # token kept from before is used while it lives (EventStream refreshes it when it nears
        # its expiry, or once refused).
        stream_token=None if token is None or token_scope(token) == "control" else token,
    )


def _follow(
    target: _Target,
    api: JobsAPI,
    args: argparse.Namespace,
    out: Console,
    *,
    http_client: httpx.Client,
    sleep: Callable[[float], None],
    backoff: Backoff | None,
) -> int:
    view = ProgressView(out, title=target.title)
    stream = EventStream(
        target.events_url,
        token=target.stream_token if target.refresh is not None else target.token,
        refresh_token=target.refresh,
        last_event_id=getattr(args, "last_event_id", None),
        client=http_client,
        max_attempts=args.max_attempts or None,
        backoff=backoff,
        sleep=sleep,
        timeout=default_timeout(args.read_timeout),
        on_retry=view.retrying,
    )
    try:
        with stream, view:
            for event in stream:
                view.show(event)
    except KeyboardInterrupt:
        return _interrupted(target, api, args, out, stream.last_event_id)

    if stream.end is StreamEnd.TERMINAL and stream.terminal_event is not None:
        return _EXIT_BY_TERMINAL[stream.terminal_event.event]
    # 204: the job has nothing after our resume point; its status says how it ended.
    if target.job_id is None or not target.api_known:
        out.print(Text("no events after the resume point; the job has ended", style="dim"))
        return ExitCode.OK
    status = str(api.status(target.job_id, token=target.token).get("status", ""))
    out.print(Text(f"no events after the resume point; job {printable(status)}", style="dim"))
    return _EXIT_BY_STATUS.get(status, ExitCode.OK)


def _interrupted(
    target: _Target, api: JobsAPI, args: argparse.Namespace, out: Console, last_event_id: str
) -> int:
    job = printable(target.job_id or "the job")
    if args.cancel_on_interrupt:
        if target.job_id is None or not target.api_known:
            out.print(
                Text(f"interrupted; cannot cancel {job}: pass --api and --job-id", style="yellow")
            )
            return ExitCode.INTERRUPTED
        try:
            api.cancel(target.job_id, token=target.token)
        except ClientError as exc:
            out.print(Text(f"interrupted; cancelling {job} failed: {exc}", style="red"))
        except KeyboardInterrupt:
            pass
        else:
            out.print(Text(f"interrupted; cancel requested for job {job}", style="yellow"))
        return ExitCode.INTERRUPTED
    resume = f" --last-event-id {last_event_id}" if last_event_id else ""
    token_file = f" --token-file {shlex.quote(str(target.token_file))}" if target.token_file else ""
    api_option = f"--api {shlex.quote(redact_url(api.base_url))}"
    if target.job_id is not None and target.api_known:
        job_option = f"--job-id {shlex.quote(target.job_id)}"
        again = f"jobstream {api_option} attach {job_option}{token_file}{resume}"
        stop = f"jobstream {api_option} cancel {job_option}{token_file}"
    else:
        url = shlex.quote(redact_url(target.events_url))
        again = f"jobstream attach --events-url {url}{token_file or ' --token-file FILE'}{resume}"
        stop = "add --cancel-on-interrupt (with --api) and press Ctrl-C"
    # soft_wrap: a command split over two lines (piped output is 80 columns) cannot be pasted.
    out.print(Text(f"interrupted; {job} keeps running on the server.", style="yellow"))
    out.print(Text(f"  follow it again:  {again}", style="yellow"), soft_wrap=True)
    out.print(Text(f"  or stop it:       {stop}", style="yellow"), soft_wrap=True)
    return ExitCode.INTERRUPTED


def _params(parser: argparse.ArgumentParser, args: argparse.Namespace) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if args.params:
        try:
            loaded = json.loads(args.params)
        except ValueError:
            parser.error("--params must be a JSON object")
        if not isinstance(loaded, dict):
            parser.error("--params must be a JSON object")
        params.update(loaded)
    for item in args.param:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            parser.error(f"--param expects KEY=VALUE, got {item!r}")
        try:
            params[key] = json.loads(raw)
        except ValueError:
            params[key] = raw
    return params


def _event_id(text: str) -> str:
    if not (text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError("an event id is a non-negative integer")
    return text


def _save_token(path: Path, token: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(token + "\n")


def _token(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str | None:
    if args.token:
        return str(args.token)
    if args.token_file is not None:
        try:
            return args.token_file.read_text(encoding="utf-8").strip() or None
        except OSError as exc:
            # Only the path and the OS's reason: never the file's content.
            parser.error(f"cannot read the token file {args.token_file}: {exc.strerror}")
    return os.environ.get("JOBSTREAM_TOKEN") or None
